package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// OAUTHBEARER against the real broker, two ways. Its SASL_SSL listener validates as production
// does: RS256 tokens checked by Kafka's OAuthBearerValidatorCallbackHandler against the identity
// provider's public key (a JWKS file made by real-env-secure.sh), the audience and the issuer. Its
// SASL_PLAINTEXT listener keeps Kafka's default validator, which takes unsigned tokens only. The
// tests serve the identity provider's token endpoint (OIDC client credentials) and sign with the
// key real-env-secure.sh made.

// tokenEndpoint is an OIDC token endpoint for the client-credentials flow with HTTP Basic client
// authentication. Each request that authenticates gets mint()'s token.
func tokenEndpoint(t *testing.T, clientID, secret string, mint func() string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		id, sec, ok := r.BasicAuth()
		if !ok || id != clientID || sec != secret || r.FormValue("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":600}`, mint())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/oauth2/token"
}

var b64url = base64.RawURLEncoding.EncodeToString

// claims are a token's claims for sub, valid for ten minutes from now.
func claims(sub, iss, aud string) map[string]any {
	now := time.Now().Unix()
	c := map[string]any{"sub": sub, "iat": now, "exp": now + 600}
	if iss != "" {
		c["iss"] = iss
	}
	if aud != "" {
		c["aud"] = aud
	}
	return c
}

func jwtPart(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64url(b)
}

// unsignedToken is what Kafka's default validator accepts: alg none, no signature.
func unsignedToken(t *testing.T, c map[string]any) func() string {
	return func() string { return jwtPart(t, map[string]string{"alg": "none"}) + "." + jwtPart(t, c) + "." }
}

// rs256Token signs c with the PKCS#8 PEM RSA key in keyFile under kid.
func rs256Token(t *testing.T, keyFile, kid string, c map[string]any) func() string {
	t.Helper()
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the OAuth signing key: %v", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", keyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", keyFile, err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		t.Fatalf("%s: a %T, want an RSA key", keyFile, k)
	}
	return func() string {
		signing := jwtPart(t, map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + jwtPart(t, c)
		sum := sha256.Sum256([]byte(signing))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Error(err)
		}
		return signing + "." + b64url(sig)
	}
}

func oauthBlock(tokenURL, clientID, secretRef string) string {
	return fmt.Sprintf("  sasl:\n    mechanism: OAUTHBEARER\n    oauth:\n      token_url: %s\n      client_id: %s\n      client_secret: %q\n",
		tokenURL, clientID, secretRef)
}

// TestRealSecureOAuthBearer: the OIDC client-credentials flow against a token endpoint the test
// serves, and the token in the SASL exchange with the real broker: a load exactly once with a
// signed token the broker verifies; a wrong client secret (the token endpoint refuses), a token
// signed with a key the broker does not trust, one for another audience, and (at the listener with
// Kafka's default validator) a token that claims a signature each end the loader with exit 1
// within seconds, naming the cause.
func TestRealSecureOAuthBearer(t *testing.T) {
	_, s := theSecureEnv(t)
	for _, k := range []string{"K2H_TEST_OAUTH_SIGNED_BROKERS", "K2H_TEST_OAUTH_UNSECURED_BROKERS", "K2H_TEST_OAUTH_SIGNING_KEY", "K2H_TEST_OTHER_OAUTH_SIGNING_KEY"} {
		if s[k] == "" {
			t.Fatalf("the secure environment has no %s (an env file from an older real-env-secure.sh: down and up again)", k)
		}
	}
	signed, unsecured := s.brokers("K2H_TEST_OAUTH_SIGNED_BROKERS"), s.brokers("K2H_TEST_OAUTH_UNSECURED_BROKERS")
	iss, aud := s["K2H_TEST_OAUTH_ISSUER"], s["K2H_TEST_OAUTH_AUDIENCE"]
	const clientSecret = "K2H-oauth-client-secret-5d8e"
	env := []string{secureLoaderPasswordVar + "=" + clientSecret}
	ref := "${env:" + secureLoaderPasswordVar + "}"
	ca := tlsBlock(s["K2H_TEST_CA_FILE"], "", "")

	t.Run("load", func(t *testing.T) {
		t.Parallel()
		markStart(t)
		h := newRealHarness(t, "oauth", 2)
		h.produce(1_200, 40)
		group := h.g("g-oauth")
		url := tokenEndpoint(t, "kafka2hdfs", clientSecret, rs256Token(t, s["K2H_TEST_OAUTH_SIGNING_KEY"], "k2h-test", claims("loader", iss, aud)))
		cfg := h.secureConfig(t, group, kafkaSecurity{signed, ca + oauthBlock(url, "kafka2hdfs", ref)}, nil)
		code, out, took := runSecureLoader(t, 3*time.Minute, env, "batch", "--config", cfg, "--progress", "none")
		if code != 0 {
			t.Fatalf("batch over OAUTHBEARER (RS256, JWKS-validated): exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
		}
		t.Logf("batch over OAUTHBEARER/SASL_SSL with a signed token: exit 0 in %s", took.Round(time.Millisecond))
		if strings.Contains(out, clientSecret) {
			t.Errorf("the output shows the client secret:\n%s", out)
		}
		fsys, p := h.outputFS()
		h.checkDeadLetters(h.proveFS(t, group, "secure load over OAUTHBEARER/SASL_SSL, signed token [real Kafka "+h.real.kafkaVersion+"]", "", fsys, p))
	})
	// A token from a file, and from a command, as a sidecar or a credential helper would hand it
	// over: signed by the trusted key, read (and re-read before expiry) by the loader.
	tokenFile := func(t *testing.T, c map[string]any) string {
		p := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(p, []byte(rs256Token(t, s["K2H_TEST_OAUTH_SIGNING_KEY"], "k2h-test", c)()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, src := range []struct{ name, block string }{
		{"token_file", "  sasl:\n    mechanism: OAUTHBEARER\n    oauth:\n      token_file: %s\n"},
		{"token_command", "  sasl:\n    mechanism: OAUTHBEARER\n    oauth:\n      token_command: [cat, %s]\n"},
	} {
		t.Run("load/"+src.name, func(t *testing.T) {
			t.Parallel()
			markStart(t)
			h := newRealHarness(t, "oauth-"+strings.ReplaceAll(src.name, "_", "-"), 2)
			h.produce(600, 20)
			group := h.g("g-oauth-src")
			block := fmt.Sprintf(src.block, tokenFile(t, claims("loader", iss, aud)))
			cfg := h.secureConfig(t, group, kafkaSecurity{signed, ca + block}, nil)
			code, out, took := runSecureLoader(t, 3*time.Minute, nil, "batch", "--config", cfg, "--progress", "none")
			if code != 0 {
				t.Fatalf("batch over OAUTHBEARER with a %s: exit %d after %s:\n%s", src.name, code, took.Round(time.Millisecond), out)
			}
			fsys, p := h.outputFS()
			h.checkDeadLetters(h.proveFS(t, group, "secure load over OAUTHBEARER/SASL_SSL, signed token from a "+src.name+" [real Kafka "+h.real.kafkaVersion+"]", "", fsys, p))
		})
	}
	t.Run("expired token in the token_file", func(t *testing.T) {
		t.Parallel()
		c := claims("loader", iss, aud)
		exp := time.Now().Add(-time.Minute).Unix()
		c["iat"], c["exp"] = exp-600, exp
		path := tokenFile(t, c)
		h := newRealHarness(t, "oauth-expired", 1)
		block := "  sasl:\n    mechanism: OAUTHBEARER\n    oauth:\n      token_file: " + path + "\n"
		cfg := h.secureConfig(t, h.g("g-oauth-expired"), kafkaSecurity{signed, ca + block}, nil)
		code, out, took := runSecureLoader(t, time.Minute, nil, "batch", "--config", cfg, "--progress", "none")
		t.Logf("exit %d after %s; last line: %s", code, took.Round(time.Millisecond), lastLines(strings.TrimSpace(out), 1))
		want := "SASL OAUTHBEARER was refused: the token from token_file " + path + " had expired at " + time.Unix(exp, 0).UTC().Format(time.RFC3339)
		if code != 1 || !strings.Contains(out, want) || took > 15*time.Second {
			t.Errorf("exit %d after %s, want exit 1 within 15 s with %q:\n%s", code, took.Round(time.Millisecond), want, out)
		}
	})
	refused := "SASL OAUTHBEARER was refused: check kafka.sasl.oauth"
	for _, c := range []struct {
		name, secret string
		brokers      []string
		mint         func() string
		want         string
	}{
		{"wrong client secret", "K2H-not-the-secret-11aa", signed,
			rs256Token(t, s["K2H_TEST_OAUTH_SIGNING_KEY"], "k2h-test", claims("loader", iss, aud)),
			": 401 Unauthorized: invalid_client; check client_id, client_secret and scopes"},
		{"signed by an untrusted key", clientSecret, signed,
			rs256Token(t, s["K2H_TEST_OTHER_OAUTH_SIGNING_KEY"], "k2h-test", claims("loader", iss, aud)), refused},
		{"another audience", clientSecret, signed,
			rs256Token(t, s["K2H_TEST_OAUTH_SIGNING_KEY"], "k2h-test", claims("loader", iss, "not-kafka")), refused},
		{"unsigned token at the verifying listener", clientSecret, signed,
			unsignedToken(t, claims("loader", iss, aud)), refused},
		{"signature claimed at the default validator", clientSecret, unsecured,
			rs256Token(t, s["K2H_TEST_OAUTH_SIGNING_KEY"], "k2h-test", claims("loader", "", "")), refused},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newRealHarness(t, "oauth-refused", 1)
			sec := ca
			if c.brokers[0] == unsecured[0] {
				sec = "" // SASL_PLAINTEXT
			}
			url := tokenEndpoint(t, "kafka2hdfs", clientSecret, c.mint)
			cfg := h.secureConfig(t, h.g("g-oauth-refused"), kafkaSecurity{c.brokers, sec + oauthBlock(url, "kafka2hdfs", ref)}, nil)
			code, out, took := runSecureLoader(t, time.Minute, []string{secureLoaderPasswordVar + "=" + c.secret}, "batch", "--config", cfg, "--progress", "none")
			t.Logf("exit %d after %s; last line: %s", code, took.Round(time.Millisecond), lastLines(strings.TrimSpace(out), 1))
			if code != 1 || !strings.Contains(out, c.want) || took > 15*time.Second {
				t.Errorf("exit %d after %s, want exit 1 within 15 s with %q:\n%s", code, took.Round(time.Millisecond), c.want, out)
			}
			if strings.Contains(out, c.secret) {
				t.Errorf("the output shows the client secret:\n%s", out)
			}
		})
	}
}
