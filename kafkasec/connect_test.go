package kafkasec

import (
	"net"
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
		name        string
		mtls        bool
		plainServer bool // a plaintext listener that closes on a request it cannot read
		tls         TLS
		errHas      string // "" for success
	}{
		{name: "ca file", tls: TLS{CAFile: pki.CAFile}},
		{name: "server name override", tls: TLS{CAFile: pki.CAFile, ServerName: "broker.test"}},
		{name: "wrong server name", tls: TLS{CAFile: pki.CAFile, ServerName: "other.test"}, errHas: "or set kafka.tls.server_name"},
		{name: "untrusted CA", tls: TLS{CAFile: pki.OtherCAFile}, errHas: "set kafka.tls.ca_file to the CA that signed it"},
		{name: "system roots do not know the test CA", tls: TLS{Enabled: true}, errHas: "set kafka.tls.ca_file to the CA that signed it"},
		{name: "insecure skip verify", tls: TLS{InsecureSkipVerify: true}},
		{name: "mtls", mtls: true, tls: TLS{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}},
		{name: "mtls without a client certificate", mtls: true, tls: TLS{CAFile: pki.CAFile}, errHas: "set kafka.tls.cert_file and key_file"},
		{name: "plaintext client, TLS listener", tls: TLS{}, errHas: "if the listener uses TLS (SSL or SASL_SSL), enable kafka.tls"},
		// kfake would wait for the rest of a 369 MB "request" (the ClientHello read as a size)
		// until sarama's read timeout, four times; a real broker closes the connection at once
		// (socket.request.max.bytes), as this listener does.
		{name: "TLS client, plaintext listener", plainServer: true, tls: TLS{CAFile: pki.CAFile}, errHas: "if the listener does not use TLS (PLAINTEXT or SASL_PLAINTEXT), turn kafka.tls off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var addrs []string
			if tc.plainServer {
				addrs = []string{closingListener(t)}
			} else {
				c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"), kfake.TLS(pki.ServerTLS(tc.mtls)))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				addrs = c.ListenAddrs()
			}
			took, err := connect(t, addrs, tc.tls, SASL{})
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

// closingListener accepts connections and closes each after its first read, as a Kafka broker
// does with a request size over socket.request.max.bytes.
func closingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Read(make([]byte, 4))
			c.Close()
		}
	}()
	return ln.Addr().String()
}
