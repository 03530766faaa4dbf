package kafkasec

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestRealBroker connects to a secured cluster named by the environment, one subtest per
// listener and mechanism, and skips what the environment does not provide; plain `go test` skips
// it all. The test environment (testenv/, scripts/real-env.sh) sets:
//
//	K2H_TEST_CA_FILE                    CA of the brokers' certificates (SASL_SSL, SSL)
//	K2H_TEST_SASL_SSL_BROKERS           SASL_SSL listener, host:port[,host:port]
//	K2H_TEST_SASL_PLAINTEXT_BROKERS     SASL_PLAINTEXT listener
//	K2H_TEST_SASL_USER, K2H_TEST_SASL_PASSWORD   a user for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
//	K2H_TEST_MTLS_BROKERS               SSL listener with ssl.client.auth=required
//	K2H_TEST_CLIENT_CERT, K2H_TEST_CLIENT_KEY    a client certificate the brokers trust
//	K2H_TEST_GSSAPI_BROKERS             listener taking GSSAPI; K2H_TEST_GSSAPI_TLS=1 if it is SASL_SSL
//	K2H_TEST_KRB5_CONF, K2H_TEST_KEYTAB, K2H_TEST_PRINCIPAL, K2H_TEST_KAFKA_SERVICE (default kafka)
//	K2H_TEST_OAUTH_BROKERS              SASL_SSL listener taking OAUTHBEARER
//	K2H_TEST_OAUTH_TOKEN_URL, K2H_TEST_OAUTH_CLIENT_ID, K2H_TEST_OAUTH_CLIENT_SECRET, K2H_TEST_OAUTH_SCOPE
//
// Each case connects with the right credentials, then with wrong ones, which must fail within
// seconds naming the cause.
func TestRealBroker(t *testing.T) {
	env := func(k string) string { return os.Getenv("K2H_TEST_" + k) }
	brokers := func(k string) []string {
		if v := env(k); v != "" {
			return strings.Split(v, ",")
		}
		return nil
	}
	tlsCA := TLS{CAFile: env("CA_FILE")}
	type tc struct {
		name      string
		brokers   []string
		tls       TLS
		good, bad SASL
		badTLS    *TLS   // instead of bad SASL
		errHas    string // of the bad connection; "" for any error
	}
	var cases []tc
	for _, mech := range []string{Plain, ScramSHA256, ScramSHA512} {
		good := SASL{Mechanism: mech, Username: env("SASL_USER"), Password: env("SASL_PASSWORD")}
		bad := good
		bad.Password += "-wrong"
		cases = append(cases,
			tc{name: mech + "/SASL_SSL", brokers: brokers("SASL_SSL_BROKERS"), tls: tlsCA, good: good, bad: bad, errHas: "was refused"},
			tc{name: mech + "/SASL_PLAINTEXT", brokers: brokers("SASL_PLAINTEXT_BROKERS"), good: good, bad: bad, errHas: "was refused"})
	}
	mtls := TLS{CAFile: env("CA_FILE"), CertFile: env("CLIENT_CERT"), KeyFile: env("CLIENT_KEY")}
	cases = append(cases, tc{name: "SSL/mTLS", brokers: brokers("MTLS_BROKERS"), tls: mtls, badTLS: &tlsCA, errHas: "client certificate"})
	gss := SASL{Mechanism: GSSAPI, Kerberos: Kerberos{Principal: env("PRINCIPAL"), Keytab: env("KEYTAB"), Krb5Conf: env("KRB5_CONF"), ServiceName: env("KAFKA_SERVICE")}}
	badGSS := gss
	badGSS.Kerberos.ServiceName = "not-kafka"
	gssTLS := TLS{}
	if env("GSSAPI_TLS") != "" {
		gssTLS = tlsCA
	}
	// A ticket for a service the KDC does not know: the KDC's error, whatever its wording.
	cases = append(cases, tc{name: "GSSAPI", brokers: brokers("GSSAPI_BROKERS"), tls: gssTLS, good: gss, bad: badGSS})
	var scopes []string
	if s := env("OAUTH_SCOPE"); s != "" {
		scopes = strings.Fields(s)
	}
	oauth := SASL{Mechanism: OAuthBearer, OAuth: OAuth{TokenURL: env("OAUTH_TOKEN_URL"), ClientID: env("OAUTH_CLIENT_ID"), ClientSecret: env("OAUTH_CLIENT_SECRET"), Scopes: scopes}}
	badOAuth := oauth
	badOAuth.OAuth.ClientSecret += "-wrong"
	cases = append(cases, tc{name: "OAUTHBEARER", brokers: brokers("OAUTH_BROKERS"), tls: tlsCA, good: oauth, bad: badOAuth, errHas: "token_url"})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.brokers) == 0 {
				t.Skip("no brokers for this case in the environment (see the test's doc comment)")
			}
			if err := Check(c.tls, c.good); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if _, err := connect(t, c.brokers, c.tls, c.good); err != nil {
				t.Fatalf("connect: %v", err)
			}
			badTLS, bad := c.tls, c.bad
			if c.badTLS != nil {
				badTLS = *c.badTLS
			}
			took, err := connect(t, c.brokers, badTLS, bad)
			if err == nil || (c.errHas != "" && !strings.Contains(err.Error(), c.errHas)) || took > 30*time.Second {
				t.Errorf("bad credentials: %v after %s, want an error naming %q within seconds", err, took, c.errHas)
			}
		})
	}
}
