package kafkasec

import (
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/internal/testpki"
)

// connect builds a sarama client the way the loader does (Apply on a fresh config, NewClient) and asks
// for the topics, returning how long it took.
func connect(t *testing.T, addrs []string, tl TLS, s SASL) (time.Duration, error) {
	t.Helper()
	sc := sarama.NewConfig()
	sc.Version = sarama.V2_8_0_0
	if err := Apply(sc, tl, s); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	start := time.Now()
	cl, err := NewClient(addrs, sc)
	if err == nil {
		_, err = cl.Topics()
		cl.Close()
	}
	return time.Since(start), err
}

// TestConnectKfake runs every mechanism kfake supports, over plaintext and TLS: the right
// password connects; a wrong one fails fast with a message that says authentication failed.
func TestConnectKfake(t *testing.T) {
	pki := testpki.New(t)
	for _, mech := range []string{Plain, ScramSHA256, ScramSHA512} {
		for _, overTLS := range []bool{false, true} {
			name := mech + "/plaintext"
			if overTLS {
				name = mech + "/tls"
			}
			t.Run(name, func(t *testing.T) {
				opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(1, "t"), kfake.EnableSASL(), kfake.Superuser(mech, "loader", "right-password")}
				var tl TLS
				if overTLS {
					opts = append(opts, kfake.TLS(pki.ServerTLS(false)))
					tl = TLS{Enabled: true, CAFile: pki.CAFile}
				}
				c, err := kfake.NewCluster(opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := connect(t, c.ListenAddrs(), tl, SASL{Mechanism: mech, Username: "loader", Password: "right-password"}); err != nil {
					t.Fatalf("right password: %v", err)
				}
				took, err := connect(t, c.ListenAddrs(), tl, SASL{Mechanism: strings.ToLower(mech), Username: "loader", Password: "wrong-password"})
				if err == nil {
					t.Fatal("wrong password connected")
				}
				if took > 10*time.Second {
					t.Errorf("wrong password took %s to fail, want seconds", took)
				}
				if msg := err.Error(); !strings.Contains(msg, "authenticating (SASL "+mech+" as loader)") || !strings.Contains(msg, "password") || strings.Contains(msg, "wrong-password") {
					t.Errorf("wrong password: %q: want the cause (authentication), without the password", msg)
				}
				t.Logf("wrong password fails in %s: %v", took.Round(time.Millisecond), err)
			})
		}
	}
}

func TestConnectTLS(t *testing.T) {
	pki := testpki.New(t)
	for _, tc := range []struct {
		name   string
		mtls   bool
		tls    TLS
		errHas string // "" for success
	}{
		{name: "ca file", tls: TLS{CAFile: pki.CAFile}},
		{name: "server name override", tls: TLS{CAFile: pki.CAFile, ServerName: "broker.test"}},
		{name: "wrong server name", tls: TLS{CAFile: pki.CAFile, ServerName: "other.test"}, errHas: "certificate"},
		{name: "untrusted CA", tls: TLS{CAFile: pki.OtherCAFile}, errHas: "certificate"},
		{name: "system roots do not know the test CA", tls: TLS{Enabled: true}, errHas: "certificate"},
		{name: "insecure skip verify", tls: TLS{InsecureSkipVerify: true}},
		{name: "mtls", mtls: true, tls: TLS{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}},
		{name: "mtls without a client certificate", mtls: true, tls: TLS{CAFile: pki.CAFile}, errHas: "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"), kfake.TLS(pki.ServerTLS(tc.mtls)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			took, err := connect(t, c.ListenAddrs(), tc.tls, SASL{})
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("connect: %v", err)
			case tc.errHas != "" && err == nil:
				t.Fatal("connected, want a failure")
			case tc.errHas != "" && !strings.Contains(err.Error(), tc.errHas):
				t.Errorf("error %q does not name the cause (%s)", err, tc.errHas)
			}
			if took > 10*time.Second {
				t.Errorf("took %s, want seconds", took)
			}
			if err != nil {
				t.Logf("fails in %s: %v", took.Round(time.Millisecond), err)
			}
		})
	}
}
