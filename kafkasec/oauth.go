package kafkasec

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// OAuth is kafka.sasl.oauth, for OAUTHBEARER. Exactly one token source is set: TokenFile,
// TokenCommand or TokenURL (the OIDC client-credentials flow).
type OAuth struct {
	// TokenFile holds the token, as written by a sidecar that renews it. It is re-read a minute
	// after it was last read, or sooner when the token (a JWT) is 80% through its lifetime.
	TokenFile string `yaml:"token_file,omitempty"`
	// TokenCommand is run (argv, no shell) to print a token on stdout: the token itself, or a
	// JSON object with access_token and expires_in (seconds). It is run again when the token is
	// 80% through its lifetime (JWT exp or expires_in; else after 5 minutes).
	TokenCommand []string `yaml:"token_command,omitempty"`
	// TokenURL is the identity provider's token endpoint; the loader requests a token with the
	// client_credentials grant, ClientID, ClientSecret and Scopes, and requests a new one when
	// 80% of expires_in has passed.
	TokenURL     string   `yaml:"token_url,omitempty"`
	ClientID     string   `yaml:"client_id,omitempty"`
	ClientSecret string   `yaml:"client_secret,omitempty"`
	Scopes       []string `yaml:"scopes,omitempty"`
	// ClientAuth is how the client authenticates to TokenURL: basic (HTTP Basic, RFC 6749's
	// default) or post (client_id and client_secret in the form). Default: basic.
	ClientAuth string `yaml:"client_auth,omitempty"`
	// Extensions are SASL extensions sent with the token (KIP-342), such as logicalCluster for
	// Confluent Cloud.
	Extensions map[string]string `yaml:"extensions,omitempty"`
}

const (
	fetchTimeout   = 30 * time.Second
	fileReread     = time.Minute
	defaultLife    = 5 * time.Minute
	refreshAtRatio = 0.8 // as the Java client's sasl.login.refresh.window.factor
)

// TokenProvider implements sarama.AccessTokenProvider over one token source, caching the token
// until it is due for renewal. A failed renewal returns the cached token while it is still
// valid, so a short outage of the identity provider does not break connections.
type TokenProvider struct {
	source string // for errors: "token_file /path", "token_url https://..."
	fetch  func(ctx context.Context, now time.Time) (token string, life time.Duration, err error)
	ext    map[string]string
	now    func() time.Time
	// maxAge caps how long a token is kept regardless of its lifetime (token_file: a minute).
	maxAge time.Duration

	mu        sync.Mutex
	token     string
	expires   time.Time
	refreshAt time.Time
	// staleSince is when the last token handed out had expired (its exp), zero if it had not:
	// the broker's refusal does not say why, so Explain reports it.
	staleSince time.Time
}

var _ sarama.AccessTokenProvider = (*TokenProvider)(nil)

// NewTokenProvider checks o names one source and returns its provider; it fetches nothing yet.
func NewTokenProvider(o OAuth) (*TokenProvider, error) {
	if errs := o.check(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	p := &TokenProvider{ext: o.Extensions, now: time.Now}
	switch {
	case o.TokenFile != "":
		p.source, p.maxAge = "token_file "+o.TokenFile, fileReread
		p.fetch = func(_ context.Context, now time.Time) (string, time.Duration, error) {
			return readTokenFile(o.TokenFile, now)
		}
	case len(o.TokenCommand) > 0:
		p.source = "token_command " + o.TokenCommand[0]
		p.fetch = func(ctx context.Context, now time.Time) (string, time.Duration, error) {
			return runTokenCommand(ctx, o.TokenCommand, now)
		}
	default:
		p.source = "token_url " + o.TokenURL
		cl := &http.Client{Timeout: fetchTimeout}
		p.fetch = func(ctx context.Context, now time.Time) (string, time.Duration, error) {
			return clientCredentials(ctx, cl, o, now)
		}
	}
	return p, nil
}

// stale says, for the last token handed out, whether it had already expired and since when.
func (p *TokenProvider) stale() (since time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.staleSince, !p.staleSince.IsZero()
}

// Token implements sarama.AccessTokenProvider.
func (p *TokenProvider) Token() (*sarama.AccessToken, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.token != "" && now.Before(p.refreshAt) {
		return &sarama.AccessToken{Token: p.token, Extensions: p.ext}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	tok, life, err := p.fetch(ctx, now)
	if err != nil {
		if p.token != "" && now.Before(p.expires) {
			return &sarama.AccessToken{Token: p.token, Extensions: p.ext}, nil
		}
		return nil, fmt.Errorf("oauth %s: %w", p.source, err)
	}
	if life == 0 {
		life = defaultLife // neither expires_in nor a JWT exp: assume a short life
	}
	// An already expired token (life < 0) is handed out once, for the broker to refuse with a
	// clear error, and read again at the next call.
	p.staleSince = time.Time{}
	if life < 0 {
		p.staleSince = now.Add(life)
	}
	life = max(life, 0)
	p.token, p.expires = tok, now.Add(life)
	wait := time.Duration(float64(life) * refreshAtRatio)
	if p.maxAge > 0 && wait > p.maxAge {
		wait = p.maxAge
	}
	p.refreshAt = now.Add(wait)
	return &sarama.AccessToken{Token: tok, Extensions: p.ext}, nil
}

func readTokenFile(path string, now time.Time) (string, time.Duration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", 0, errors.New("the file is empty")
	}
	return tok, jwtLife(tok, now), nil
}

func runTokenCommand(ctx context.Context, argv []string, now time.Time) (string, time.Duration, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// stderr says why; stdout might hold a token and is never shown.
		return "", 0, fmt.Errorf("%w: %s", err, firstLine(stderr.String()))
	}
	out := strings.TrimSpace(stdout.String())
	if strings.HasPrefix(out, "{") {
		return parseTokenResponse([]byte(out), now)
	}
	if out == "" {
		return "", 0, errors.New("printed no token")
	}
	return out, jwtLife(out, now), nil
}

func clientCredentials(ctx context.Context, cl *http.Client, o OAuth, now time.Time) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(o.Scopes) > 0 {
		form.Set("scope", strings.Join(o.Scopes, " "))
	}
	if o.ClientAuth == "post" {
		form.Set("client_id", o.ClientID)
		form.Set("client_secret", o.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if o.ClientAuth != "post" {
		// RFC 6749 2.3.1: the id and secret are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
	}
	resp, err := cl.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(body, &e)
		msg := strings.TrimSpace(e.Error + " " + e.Description)
		if msg == "" {
			msg = "no OAuth error in the response"
		}
		return "", 0, fmt.Errorf("%s: %s; check client_id, client_secret and scopes", resp.Status, msg)
	}
	return parseTokenResponse(body, now)
}

func parseTokenResponse(b []byte, now time.Time) (string, time.Duration, error) {
	var r struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return "", 0, fmt.Errorf("token response is not JSON: %w", err)
	}
	if r.AccessToken == "" {
		return "", 0, errors.New("token response has no access_token")
	}
	// Some providers send expires_in as a string.
	var secs float64
	if err := json.Unmarshal(bytes.Trim(r.ExpiresIn, `"`), &secs); err == nil && secs > 0 {
		return r.AccessToken, time.Duration(secs * float64(time.Second)), nil
	}
	return r.AccessToken, jwtLife(r.AccessToken, now), nil
}

// jwtLife is the time left until the token's exp claim (negative if past), or 0 if it is not a
// JWT with one.
func jwtLife(tok string, now time.Time) time.Duration {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return 0
	}
	var c struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil || c.Exp <= 0 {
		return 0
	}
	if d := time.Unix(int64(c.Exp), 0).Sub(now); d != 0 {
		return d
	}
	return -1 // expiring now, not "no exp"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "no message on stderr"
	}
	return s
}

// check reports problems, each starting with the key below kafka.sasl.oauth.
func (o OAuth) check() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	n := 0
	for _, set := range []bool{o.TokenFile != "", len(o.TokenCommand) > 0, o.TokenURL != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		bad("token_file", "set exactly one of token_file, token_command and token_url (%d set)", n)
		return errs
	}
	switch {
	case o.TokenFile != "":
		if _, err := os.Stat(o.TokenFile); err != nil {
			bad("token_file", "%v; give the file a sidecar writes the token to", err)
		}
	case len(o.TokenCommand) > 0:
		if _, err := exec.LookPath(o.TokenCommand[0]); err != nil {
			bad("token_command", "%v; give the program and its arguments as a list, such as [/usr/local/bin/get-token, --audience, kafka]", err)
		}
	default:
		u, err := url.Parse(o.TokenURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("token_url", "%q is not an http(s) URL; give the token endpoint, such as https://idp.example.com/oauth2/token", o.TokenURL)
		}
		if o.ClientID == "" {
			bad("client_id", "missing; token_url needs client_id and client_secret")
		}
		if o.ClientSecret == "" {
			bad("client_secret", "missing; write it as ${env:NAME} or ${file:/path} to keep it out of the file")
		}
		if o.ClientAuth != "" && o.ClientAuth != "basic" && o.ClientAuth != "post" {
			bad("client_auth", "%q is not basic or post", o.ClientAuth)
		}
	}
	return errs
}
