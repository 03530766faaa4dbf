package kafkasec

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// jwt makes an unsigned token with an exp claim; the provider only reads exp.
func jwt(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"sub": "kafka2hdfs", "exp": exp.Unix()})
	return enc([]byte(`{"alg":"none"}`)) + "." + enc(payload) + "." + enc([]byte("sig"))
}

func TestTokenFileReread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("opaque-1")
	p, err := NewTokenProvider(OAuth{TokenFile: path, Extensions: map[string]string{"logicalCluster": "lkc-1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p.now = func() time.Time { return now }
	tok := func() string {
		t.Helper()
		at, err := p.Token()
		if err != nil {
			t.Fatal(err)
		}
		if at.Extensions["logicalCluster"] != "lkc-1" {
			t.Errorf("extensions = %v", at.Extensions)
		}
		return at.Token
	}
	if got := tok(); got != "opaque-1" {
		t.Fatalf("Token = %q, want the file's content without the newline", got)
	}
	write("opaque-2")
	if got := tok(); got != "opaque-1" {
		t.Errorf("Token = %q right after reading: want the cached token", got)
	}
	now = now.Add(fileReread + time.Second)
	if got := tok(); got != "opaque-2" {
		t.Errorf("Token = %q a minute later, want the file re-read", got)
	}
	// A JWT expiring in 30s is re-read at 80% of its lifetime, before the minute.
	now = now.Add(fileReread + time.Second)
	short := jwt(now.Add(30 * time.Second))
	write(short)
	if got := tok(); got != short {
		t.Fatalf("Token = %q, want the JWT", got)
	}
	write("opaque-3")
	now = now.Add(25 * time.Second)
	if got := tok(); got != "opaque-3" {
		t.Errorf("Token = %q 25s into a 30s JWT, want it renewed", got)
	}
	// A failed re-read keeps a still-valid token; an expired one is an error naming the file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(fileReread + time.Second)
	if got := tok(); got != "opaque-3" {
		t.Errorf("Token = %q with the file gone, want the still-valid cached token", got)
	}
	now = now.Add(time.Hour)
	if _, err := p.Token(); err == nil || !strings.Contains(err.Error(), "token_file "+path) {
		t.Errorf("expired token, file gone: %v, want an error naming the file", err)
	}
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "get-token")
	counter := filepath.Join(dir, "n")
	body := fmt.Sprintf("#!/bin/sh\necho x >> %s\nif [ \"$1\" = fail ]; then echo 'idp down' >&2; exit 3; fi\nif [ \"$1\" = json ]; then echo '{\"access_token\":\"from-json\",\"expires_in\":\"100\"}'; exit 0; fi\necho token-from-command\n", counter)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	runs := func() int { b, _ := os.ReadFile(counter); return strings.Count(string(b), "x") }

	p, err := NewTokenProvider(OAuth{TokenCommand: []string{script}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if at, err := p.Token(); err != nil || at.Token != "token-from-command" {
			t.Fatalf("Token = %v, %v", at, err)
		}
	}
	if runs() != 1 {
		t.Errorf("command ran %d times for 3 tokens, want 1 (cached for 80%% of the default 5m)", runs())
	}

	p, _ = NewTokenProvider(OAuth{TokenCommand: []string{script, "json"}})
	now := time.Now()
	p.now = func() time.Time { return now }
	if at, err := p.Token(); err != nil || at.Token != "from-json" {
		t.Fatalf("json Token = %v, %v", at, err)
	}
	now = now.Add(81 * time.Second) // past 80% of expires_in 100
	if _, err := p.Token(); err != nil {
		t.Fatal(err)
	}
	if runs() != 3 {
		t.Errorf("command ran %d times in all, want 3 (json renewed after 80%% of expires_in)", runs())
	}

	p, _ = NewTokenProvider(OAuth{TokenCommand: []string{script, "fail"}})
	if _, err := p.Token(); err == nil || !strings.Contains(err.Error(), "idp down") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: %v, want its status and stderr", err)
	}
}

func TestClientCredentials(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		id, secret, ok := r.BasicAuth()
		id, _ = url.QueryUnescape(id) // RFC 6749 2.3.1
		secret, _ = url.QueryUnescape(secret)
		if r.FormValue("client_id") != "" {
			id, secret, ok = r.FormValue("client_id"), r.FormValue("client_secret"), true
		}
		if r.Method != http.MethodPost || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
		if !ok || id != "loader" || secret != "s3cret/with+chars" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad credentials"}`)
			return
		}
		if r.FormValue("scope") != "kafka.read kafka.group" {
			http.Error(w, `{"error":"invalid_scope"}`, http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":60}`, calls.Load())
	}))
	defer srv.Close()

	for _, auth := range []string{"", "basic", "post"} {
		calls.Store(0)
		o := OAuth{TokenURL: srv.URL + "/token", ClientID: "loader", ClientSecret: "s3cret/with+chars", Scopes: []string{"kafka.read", "kafka.group"}, ClientAuth: auth}
		p, err := NewTokenProvider(o)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		p.now = func() time.Time { return now }
		at, err := p.Token()
		if err != nil || at.Token != "tok-1" {
			t.Fatalf("client_auth %q: Token = %v, %v", auth, at, err)
		}
		now = now.Add(30 * time.Second)
		if at, _ := p.Token(); at.Token != "tok-1" {
			t.Errorf("Token at 30s of 60 = %q, want the cached tok-1", at.Token)
		}
		now = now.Add(20 * time.Second) // 50s: past 80% of 60
		if at, _ := p.Token(); at.Token != "tok-2" {
			t.Errorf("Token at 50s of 60 = %q, want a new tok-2", at.Token)
		}
	}

	p, _ := NewTokenProvider(OAuth{TokenURL: srv.URL, ClientID: "loader", ClientSecret: "wrong-secret-value"})
	_, err := p.Token()
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: %v, want the status and OAuth error", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error shows the secret: %v", err)
	}
}

func TestJWTLife(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		tok  string
		want time.Duration
	}{
		{jwt(now.Add(time.Hour)), time.Hour},
		{"opaque", 0},
		{"a.b.c", 0},
		{"a." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + ".c", 0},
	} {
		if got := jwtLife(tc.tok, now); got != tc.want {
			t.Errorf("jwtLife(%q) = %s, want %s", tc.tok, got, tc.want)
		}
	}
}

// The broker's refusal of an expired token says only "invalid credentials"; Explain names the
// token's source and when it expired, and says nothing of expiry for a token that was valid.
func TestExplainExpiredToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	exp := time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC)
	if err := os.WriteFile(path, []byte(jwt(exp)), 0o600); err != nil {
		t.Fatal(err)
	}
	refusal := fmt.Errorf("kafka server: %w", sarama.ErrSASLAuthenticationFailed)
	for _, c := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"expired", exp.Add(time.Hour), "SASL OAUTHBEARER was refused: the token from token_file " + path + " had expired at 2026-12-05T11:00:00Z: renew it at its source"},
		{"valid", exp.Add(-time.Hour), "SASL OAUTHBEARER was refused: check kafka.sasl.oauth (the token's audience and scopes)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewTokenProvider(OAuth{TokenFile: path})
			if err != nil {
				t.Fatal(err)
			}
			p.now = func() time.Time { return c.now }
			if _, err := p.Token(); err != nil {
				t.Fatal(err)
			}
			sc := sarama.NewConfig()
			sc.Net.SASL.Enable, sc.Net.SASL.Mechanism, sc.Net.SASL.TokenProvider = true, sarama.SASLTypeOAuth, p
			err = Explain(refusal, sc)
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
				t.Errorf("Explain = %v, want it to contain %q and wrap the refusal", err, c.want)
			}
		})
	}
}
