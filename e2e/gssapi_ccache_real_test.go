package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/kafka2hdfs/kafka2hdfs/internal/testkrb"
)

// gssapiBlockCCache is a kafka.sasl block for GSSAPI from a ticket cache (what kinit leaves), no
// keytab: the principal comes from the cache.
func gssapiBlockCCache(s secureEnv, ccache string) string {
	return fmt.Sprintf("  sasl:\n    mechanism: GSSAPI\n    kerberos:\n      ccache: %s\n      krb5_conf: %s\n      service_name: kafka\n",
		ccache, s["K2H_TEST_KRB5_CONF"])
}

// kdcTGT asks the real KDC (as krb5Conf names it) for a ticket-granting ticket of principal
// (name@REALM) with the keys in keytabPath, valid for lifetime (the KDC may shorten it).
func kdcTGT(t *testing.T, krb5Conf, keytabPath, principal string, lifetime time.Duration) testkrb.Cred {
	t.Helper()
	cfg, err := config.Load(krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Load(keytabPath)
	if err != nil {
		t.Fatal(err)
	}
	user, realm, _ := strings.Cut(principal, "@")
	tgt, err := testkrb.TGT(cfg, user, realm, kt, lifetime)
	if err != nil {
		t.Fatal(err)
	}
	return tgt
}

// writeCCache writes a ticket cache of principal holding tgt, as kinit would leave it.
func writeCCache(t *testing.T, principal string, tgt testkrb.Cred) string {
	t.Helper()
	user, realm, _ := strings.Cut(principal, "@")
	p := filepath.Join(t.TempDir(), "krb5cc_"+user)
	if err := testkrb.WriteCCache(p, user, realm, tgt); err != nil {
		t.Fatal(err)
	}
	return p
}

// loaderCCache writes a ticket cache holding a TGT of the loader's principal from the real KDC,
// valid for lifetime; it returns the cache's path and the TGT's end.
func loaderCCache(t *testing.T, s secureEnv, lifetime time.Duration) (string, time.Time) {
	t.Helper()
	tgt := kdcTGT(t, s["K2H_TEST_KRB5_CONF"], s["K2H_TEST_KEYTAB"], s["K2H_TEST_PRINCIPAL"], lifetime)
	return writeCCache(t, s["K2H_TEST_PRINCIPAL"], tgt), tgt.EndTime
}

// TestRealSecureGSSAPITicketCache: GSSAPI with a ticket cache instead of a keytab, against the
// real broker and MiniKdc. A cache holding a valid TGT (from the KDC, written as kinit writes it)
// loads a topic exactly once over SASL_PLAINTEXT and SASL_SSL; a cache whose TGT has expired ends
// the loader with exit 1 within seconds, naming the cache and the cure.
func TestRealSecureGSSAPITicketCache(t *testing.T) {
	_, s := theSecureEnv(t)
	if s["K2H_TEST_KRB5_CONF"] == "" {
		t.Fatal("the secure environment has no KDC (K2H_TEST_KRB5_CONF)")
	}
	ca := tlsBlock(s["K2H_TEST_CA_FILE"], "", "")
	for _, l := range []struct{ name, brokers, tls string }{
		{"SASL_PLAINTEXT", "K2H_TEST_GSSAPI_BROKERS", ""},
		{"SASL_SSL", "K2H_TEST_GSSAPI_SSL_BROKERS", ca},
	} {
		t.Run("load/"+l.name, func(t *testing.T) {
			t.Parallel()
			markStart(t)
			cc, _ := loaderCCache(t, s, 10*time.Minute)
			h := newRealHarness(t, "gssapi-ccache", 2)
			h.produce(1_200, 40)
			group := h.g("g-ccache")
			cfg := h.secureConfig(t, group, kafkaSecurity{s.brokers(l.brokers), l.tls + gssapiBlockCCache(s, cc)}, nil)
			code, out, took := runSecureLoader(t, 3*time.Minute, []string{"KRB5CCNAME="}, "batch", "--config", cfg, "--progress", "none")
			if code != 0 {
				t.Fatalf("batch over GSSAPI with a ticket cache: exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
			}
			t.Logf("batch over GSSAPI/%s with a ticket cache: exit 0 in %s", l.name, took.Round(time.Millisecond))
			fsys, p := h.outputFS()
			h.checkDeadLetters(h.proveFS(t, group, "secure load over GSSAPI/"+l.name+" from a ticket cache [real Kafka "+h.real.kafkaVersion+"]", "", fsys, p))
		})
	}
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		cc, end := loaderCCache(t, s, 10*time.Second)
		time.Sleep(time.Until(end.Add(time.Second)))
		h := newRealHarness(t, "gssapi-ccache-expired", 1)
		cfg := h.secureConfig(t, h.g("g-ccache-expired"), kafkaSecurity{s.brokers("K2H_TEST_GSSAPI_BROKERS"), gssapiBlockCCache(s, cc)}, nil)
		code, out, took := runSecureLoader(t, time.Minute, []string{"KRB5CCNAME="}, "batch", "--config", cfg, "--progress", "none")
		t.Logf("exit %d after %s; last line: %s", code, took.Round(time.Millisecond), lastLines(strings.TrimSpace(out), 1))
		want := "kafka.sasl.kerberos: ticket cache " + cc + ": the ticket-granting ticket of " + s["K2H_TEST_PRINCIPAL"] + " expired at "
		if code != 1 || !strings.Contains(out, want) || took > 15*time.Second {
			t.Errorf("exit %d after %s, want exit 1 within 15 s with %q:\n%s", code, took.Round(time.Millisecond), want, out)
		}
	})
}
