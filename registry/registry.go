// Package registry is a client of a Confluent-compatible schema registry (Confluent Schema Registry,
// Apicurio's ccompat API, Karapace, Redpanda): it fetches writer schemas by id, caches them for the
// process' life (an id never changes its schema), and finds the subject and version an id belongs to.
//
// A registry that does not answer is retried a bounded number of times with backoff; after that the
// lookup fails with ErrUnavailable, which stops the run (exit 1) rather than dead-lettering records
// that are fine. An id the registry does not know is ErrUnknownID.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
)

// Config is the schema_registry block of the configuration.
type Config struct {
	// URL is the base of the Confluent-compatible API, e.g. http://sr:8081 or, for Apicurio,
	// http://apicurio:8080/apis/ccompat/v7.
	URL       string    `yaml:"url"`
	BasicAuth BasicAuth `yaml:"basic_auth,omitempty"`
	// BearerToken is sent as "Authorization: Bearer ...". Not with basic_auth.
	BearerToken string       `yaml:"bearer_token,omitempty"`
	TLS         kafkasec.TLS `yaml:"tls,omitempty"`
	// Timeout bounds one request. Default: 10s.
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Retries is the number of attempts of one lookup before it fails with ErrUnavailable.
	// Default: 5.
	Retries int `yaml:"retries,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Defaults.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 5
	firstBackoff   = 250 * time.Millisecond
	maxBackoff     = 4 * time.Second
)

// Set reports whether the block is configured at all.
func (c Config) Set() bool { return c.URL != "" }

// Check returns the block's configuration errors, each naming its key.
func (c Config) Check() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("schema_registry.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		bad("url", "missing; give the registry's base URL, e.g. http://sr:8081 (Apicurio: http://host:8080/apis/ccompat/v7)")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		bad("url", "%q is not an http:// or https:// URL", c.URL)
	case u.User != nil:
		bad("url", "holds credentials; put them under basic_auth so that they are kept secret")
	}
	if c.BearerToken != "" && (c.BasicAuth.Username != "" || c.BasicAuth.Password != "") {
		bad("bearer_token", "set bearer_token or basic_auth, not both")
	}
	if c.BasicAuth.Password != "" && c.BasicAuth.Username == "" {
		bad("basic_auth.username", "missing; basic_auth.password needs a username")
	}
	if c.Timeout < 0 {
		bad("timeout", "%v is negative", c.Timeout)
	}
	if c.Retries < 0 {
		bad("retries", "%d is negative", c.Retries)
	}
	if c.TLS.On() {
		if _, err := c.TLS.ClientConfig(); err != nil {
			bad("tls", "%v", err)
		}
	}
	return errs
}

// ErrUnavailable means the registry did not answer (connection refused, timeout, 5xx, 429) within
// the configured attempts. The run stops on it: the records are fine, the registry is not.
var ErrUnavailable = errors.New("schema registry unavailable")

// ErrUnknownID means the registry answered that it has no schema with the id.
var ErrUnknownID = errors.New("unknown schema id")

// Schema is a writer schema as the registry serves it.
type Schema struct {
	ID int
	// Type is AVRO, PROTOBUF or JSON (the registry's schemaType; "" is AVRO).
	Type string
	// Text is the schema itself: Avro JSON, .proto source or JSON Schema.
	Text string
	// References are the schemas this one imports (protobuf imports, Avro named types), as the
	// registry lists them; Fetch does not resolve them.
	References []Reference
}

// Reference is a schema reference.
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// SubjectVersion is one (subject, version) an id is registered under.
type SubjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Client fetches schemas. It is safe for concurrent use; lookups of the same id share the cache
// (a burst of partitions seeing a new id may each ask once before the first answer is cached,
// which costs requests, not correctness).
type Client struct {
	base    string
	http    *http.Client
	auth    func(*http.Request)
	retries int
	// sleep waits between attempts; tests replace it.
	sleep func(context.Context, time.Duration) error

	mu       sync.Mutex
	byID     map[int]*Schema
	versions map[int][]SubjectVersion
	bySubVer map[SubjectVersion]*Schema
}

// New builds a client from a checked Config.
func New(c Config) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.TLS.On() {
		tc, err := c.TLS.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("schema_registry.tls: %w", err)
		}
		tr.TLSClientConfig = tc
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	retries := c.Retries
	if retries == 0 {
		retries = DefaultRetries
	}
	cl := &Client{
		base:     strings.TrimRight(c.URL, "/"),
		http:     &http.Client{Transport: tr, Timeout: timeout},
		retries:  retries,
		sleep:    sleepCtx,
		byID:     map[int]*Schema{},
		versions: map[int][]SubjectVersion{},
		bySubVer: map[SubjectVersion]*Schema{},
	}
	switch {
	case c.BearerToken != "":
		tok := c.BearerToken
		cl.auth = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	case c.BasicAuth.Username != "":
		u, p := c.BasicAuth.Username, c.BasicAuth.Password
		cl.auth = func(r *http.Request) { r.SetBasicAuth(u, p) }
	}
	return cl, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// schemaResponse is the body of GET /schemas/ids/{id} and GET /subjects/{s}/versions/{v}.
type schemaResponse struct {
	Schema     string      `json:"schema"`
	SchemaType string      `json:"schemaType"`
	ID         int         `json:"id"`
	References []Reference `json:"references"`
}

// Fetch returns the schema with id, from the cache or the registry.
func (c *Client) Fetch(ctx context.Context, id int) (*Schema, error) {
	c.mu.Lock()
	s, ok := c.byID[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	var r schemaResponse
	if err := c.get(ctx, "/schemas/ids/"+strconv.Itoa(id), &r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w %d", ErrUnknownID, id)
		}
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	s = &Schema{ID: id, Type: schemaType(r.SchemaType), Text: r.Schema, References: r.References}
	c.mu.Lock()
	c.byID[id] = s
	c.mu.Unlock()
	return s, nil
}

func schemaType(t string) string {
	if t == "" {
		return "AVRO"
	}
	return strings.ToUpper(t)
}

// Versions returns the (subject, version) pairs id is registered under, oldest registration first.
// A registry that does not serve the endpoint (404) gives none and no error.
func (c *Client) Versions(ctx context.Context, id int) ([]SubjectVersion, error) {
	c.mu.Lock()
	v, ok := c.versions[id]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	err := c.get(ctx, "/schemas/ids/"+strconv.Itoa(id)+"/versions", &v)
	if errors.Is(err, ErrNotFound) {
		v, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("versions of schema id %d: %w", id, err)
	}
	c.mu.Lock()
	c.versions[id] = v
	c.mu.Unlock()
	return v, nil
}

// SubjectVersion returns the schema registered as version sv.Version of sv.Subject.
func (c *Client) SubjectVersion(ctx context.Context, sv SubjectVersion) (*Schema, error) {
	c.mu.Lock()
	s, ok := c.bySubVer[sv]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	var r schemaResponse
	p := "/subjects/" + url.PathEscape(sv.Subject) + "/versions/" + strconv.Itoa(sv.Version)
	if err := c.get(ctx, p, &r); err != nil {
		return nil, fmt.Errorf("subject %s version %d: %w", sv.Subject, sv.Version, err)
	}
	s = &Schema{ID: r.ID, Type: schemaType(r.SchemaType), Text: r.Schema, References: r.References}
	c.mu.Lock()
	c.bySubVer[sv] = s
	c.mu.Unlock()
	return s, nil
}

// ErrNotFound is the registry's 404 for a subject or version (Fetch turns it into ErrUnknownID).
var ErrNotFound = errors.New("not found")

// get GETs path into out, retrying what may pass (transport errors, 5xx, 429) with backoff.
func (c *Client) get(ctx context.Context, path string, out any) error {
	backoff := firstBackoff
	var last error
	for attempt := 1; ; attempt++ {
		retry, err := c.once(ctx, path, out)
		if err == nil || !retry {
			return err
		}
		last = err
		if attempt >= c.retries || ctx.Err() != nil {
			break
		}
		if err := c.sleep(ctx, backoff); err != nil {
			break
		}
		backoff = min(2*backoff, maxBackoff)
	}
	return fmt.Errorf("%w: %d attempts, the last: %v", ErrUnavailable, c.retries, last)
}

// once makes one request. retry says whether the failure may pass on its own.
func (c *Client) once(ctx context.Context, path string, out any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json, application/json")
	if c.auth != nil {
		c.auth(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds no credentials (Check refuses them), so the error may be shown.
		return true, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return true, fmt.Errorf("GET %s: reading the answer: %w", path, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound:
		return false, ErrNotFound
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, fmt.Errorf("GET %s: %s: check schema_registry.basic_auth / bearer_token", path, resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("GET %s: %s: %s", path, resp.Status, snippet(body))
	default:
		return false, fmt.Errorf("GET %s: %s: %s", path, resp.Status, snippet(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return false, fmt.Errorf("GET %s: the answer is not the registry's JSON: %w", path, err)
	}
	return false, nil
}

func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
