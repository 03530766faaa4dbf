package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func noSleep(context.Context, time.Duration) error { return nil }

func TestFetch(t *testing.T) {
	const avsc = `{"type":"record","name":"r","fields":[{"name":"a","type":"int"}]}`
	for _, tc := range []struct {
		name    string
		cfg     func(url string) Config
		handler func(calls int32, w http.ResponseWriter, r *http.Request)
		wantErr error
		wantMsg string
		calls   int32
	}{
		{
			name: "ok, basic auth",
			cfg:  func(u string) Config { return Config{URL: u, BasicAuth: BasicAuth{"u", "s3cret-pw"}} },
			handler: func(_ int32, w http.ResponseWriter, r *http.Request) {
				if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "s3cret-pw" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				_, _ = w.Write([]byte(`{"schema":` + quote(avsc) + `}`))
			},
			calls: 1,
		},
		{
			name: "ok, bearer, after two 503s",
			cfg:  func(u string) Config { return Config{URL: u, BearerToken: "tok-123456"} },
			handler: func(n int32, w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer tok-123456" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				if n <= 2 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				_, _ = w.Write([]byte(`{"schema":` + quote(avsc) + `}`))
			},
			calls: 3,
		},
		{
			name:    "down: bounded retries",
			cfg:     func(u string) Config { return Config{URL: u, Retries: 3} },
			handler: func(int32, http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			wantErr: ErrUnavailable,
			calls:   3,
		},
		{
			name:    "unknown id: no retry",
			cfg:     func(u string) Config { return Config{URL: u} },
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) },
			wantErr: ErrUnknownID,
			calls:   1,
		},
		{
			name: "wrong password: no retry, no secret in the message",
			cfg:  func(u string) Config { return Config{URL: u, BasicAuth: BasicAuth{"u", "wrong-pw"}} },
			handler: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
			},
			wantMsg: "401",
			calls:   1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/schemas/ids/7" {
					t.Errorf("path %s", r.URL.Path)
				}
				tc.handler(calls.Add(1), w, r)
			}))
			defer srv.Close()
			c, err := New(tc.cfg(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			c.sleep = noSleep
			s, err := c.Fetch(context.Background(), 7)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
			case tc.wantMsg != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantMsg) || strings.Contains(err.Error(), "wrong-pw") {
					t.Fatalf("err %v, want one with %q and no password", err, tc.wantMsg)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if s.Text != avsc || s.Type != "AVRO" || s.ID != 7 {
					t.Fatalf("schema %+v", s)
				}
				// Cached: no second request.
				if _, err := c.Fetch(context.Background(), 7); err != nil {
					t.Fatal(err)
				}
			}
			if got := calls.Load(); got != tc.calls {
				t.Fatalf("%d requests, want %d", got, tc.calls)
			}
		})
	}
}

func TestVersions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/schemas/ids/3/versions":
			_, _ = w.Write([]byte(`[{"subject":"orders-value","version":2}]`))
		case "/subjects/orders-value/versions/1":
			_, _ = w.Write([]byte(`{"subject":"orders-value","version":1,"id":1,"schema":"\"int\""}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Versions(context.Background(), 3)
	if err != nil || len(v) != 1 || v[0] != (SubjectVersion{"orders-value", 2}) {
		t.Fatalf("versions %v, %v", v, err)
	}
	if v, err := c.Versions(context.Background(), 4); err != nil || len(v) != 0 {
		t.Fatalf("a registry without the endpoint: %v, %v; want none and no error", v, err)
	}
	s, err := c.SubjectVersion(context.Background(), SubjectVersion{"orders-value", 1})
	if err != nil || s.ID != 1 || s.Text != `"int"` {
		t.Fatalf("subject version: %+v, %v", s, err)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "url: missing"},
		{Config{URL: "ftp://x"}, "not an http"},
		{Config{URL: "http://u:p@x"}, "holds credentials"},
		{Config{URL: "http://x", BearerToken: "t", BasicAuth: BasicAuth{Username: "u"}}, "not both"},
		{Config{URL: "http://x", BasicAuth: BasicAuth{Password: "p"}}, "username: missing"},
	} {
		errs := tc.cfg.Check()
		if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, errs, tc.want)
		}
	}
	if errs := (Config{URL: "https://sr:8081"}).Check(); len(errs) != 0 {
		t.Errorf("a good config: %v", errs)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
