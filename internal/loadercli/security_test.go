package loadercli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/internal/testpki"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
)

// loaderCmd runs kafka2hdfs with args: this test binary itself, acting as the command (see
// TestMain), so the loader runs under the same build flags (-race) and needs no separate build.
func loaderCmd(ctx context.Context, password string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), benchChildVar+"=1", "K2H_TEST_KAFKA_PASSWORD="+password)
	return cmd
}

// secureCluster is a kfake broker with one SASL user over TLS (or plaintext with no pki), and a
// topic of JSON records carrying email addresses, some of them bad (n is not a number).
type secureCluster struct {
	c       *kfake.Cluster
	pki     *testpki.PKI
	tls     kafkasec.TLS
	mech    string
	records int
}

const (
	testUser     = "loader"
	testPassword = "K2H-kafka-pw-7f3a9c1b"
	testMaskKey  = "K2H-mask-key-51e0d2aa"
	testEmail    = "alice.secret@example.com"
)

// Listener kinds of a secureCluster.
const (
	plaintext = "SASL_PLAINTEXT"
	overTLS   = "SASL_SSL"
	mutualTLS = "SASL_SSL+mTLS" // the broker requires a client certificate too
)

func newSecureCluster(t *testing.T, mech, listener string) *secureCluster {
	t.Helper()
	s := &secureCluster{pki: testpki.New(t), mech: mech, records: 20}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(2, "clicks"), kfake.GroupMinSessionTimeout(time.Second),
		kfake.EnableSASL(), kfake.Superuser(mech, testUser, testPassword)}
	switch listener {
	case overTLS:
		opts = append(opts, kfake.TLS(s.pki.ServerTLS(false)))
		s.tls = kafkasec.TLS{CAFile: s.pki.CAFile}
	case mutualTLS:
		opts = append(opts, kfake.TLS(s.pki.ServerTLS(true)))
		s.tls = kafkasec.TLS{CAFile: s.pki.CAFile, CertFile: s.pki.ClientCert, KeyFile: s.pki.ClientKey}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s.c = c

	sc := sarama.NewConfig()
	sc.Version = sarama.V2_8_0_0
	sc.Producer.Return.Successes = true
	if err := kafkasec.Apply(sc, s.tls, kafkasec.SASL{Mechanism: mech, Username: testUser, Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	p, err := sarama.NewSyncProducer(c.ListenAddrs(), sc)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var msgs []*sarama.ProducerMessage
	for i := range s.records {
		n := fmt.Sprint(i)
		if i%5 == 4 {
			n = `"not a number"` // a dead letter
		}
		v := fmt.Sprintf(`{"id":"e%d","ts":"2026-12-05T08:%02d:00Z","user":{"email":"%d.%s"},"n":%s}`, i, i, i, testEmail, n)
		msgs = append(msgs, &sarama.ProducerMessage{Topic: "clicks", Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(v)})
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
	return s
}

// config writes a config file using the cluster, with the password and mask key as references.
func (s *secureCluster) config(t *testing.T, root string) string {
	t.Helper()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "mask.key")
	if err := os.WriteFile(keyFile, []byte(testMaskKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsBlock := ""
	switch {
	case s.tls.CertFile != "":
		tlsBlock = fmt.Sprintf("\n  tls: {ca_file: %s, cert_file: %s, key_file: %s}", s.tls.CAFile, s.tls.CertFile, s.tls.KeyFile)
	case s.tls.CAFile != "":
		tlsBlock = fmt.Sprintf("\n  tls: {ca_file: %s}", s.tls.CAFile)
	}
	text := fmt.Sprintf(`kafka:
  brokers: [%s]
  session_timeout: 6s
  rebalance_timeout: 20s%s
  sasl:
    mechanism: %s
    username: %s
    password: "${env:K2H_TEST_KAFKA_PASSWORD}"
output:
  root: %s
  compression: none
rotation: {max_records: 1000, max_age: 300ms, allowed_lateness: 1h}
log: {level: debug}
topics:
  - name: clicks
    interceptors:
      - {type: mask, field: user.email, method: hmac-sha256, key: "${file:%s}"}
    partitioner: {granularity: day}
    schema:
      - {name: id, type: string, required: true}
      - {name: email, type: string, field: user.email}
      - {name: n, type: int64}
`, strings.Join(s.c.ListenAddrs(), ", "), tlsBlock, s.mech, testUser, root, keyFile)
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runLoader runs the binary with the password in the environment.
func runLoader(t *testing.T, password string, args ...string) (code int, out string, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := loaderCmd(ctx, password, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v\n%s", args, err, buf.String())
	}
	return code, buf.String(), took
}

// TestSecureLoad loads through every mechanism kfake supports, over TLS and plaintext; a wrong
// password and an untrusted certificate fail with exit 1 within seconds, naming the cause.
func TestSecureLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, mech := range []string{kafkasec.Plain, kafkasec.ScramSHA256, kafkasec.ScramSHA512} {
		listeners := []string{overTLS, plaintext}
		if mech == kafkasec.ScramSHA512 {
			listeners = append(listeners, mutualTLS)
		}
		for _, listener := range listeners {
			t.Run(mech+"/"+listener, func(t *testing.T) {
				s := newSecureCluster(t, mech, listener)
				root := t.TempDir()
				cfg := s.config(t, root)
				code, out, _ := runLoader(t, testPassword, "batch", "--config", cfg, "--progress", "none")
				if code != 0 {
					t.Fatalf("batch exit %d:\n%s", code, out)
				}
				if want := fmt.Sprintf("rows published:   %d", s.records*4/5); !strings.Contains(out, want) || !strings.Contains(out, "dead letters:     4") {
					t.Errorf("summary lacks %q and 4 dead letters:\n%s", want, out)
				}

				code, out, took := runLoader(t, "not-the-password", "batch", "--config", s.config(t, t.TempDir()), "--progress", "none")
				if code != exitFailed || took > 15*time.Second || !strings.Contains(out, "while authenticating (SASL "+mech+" as loader)") {
					t.Errorf("wrong password: exit %d after %s, want %d within seconds naming the cause:\n%s", code, took.Round(time.Millisecond), exitFailed, out)
				}
				if strings.Contains(out, "not-the-password") {
					t.Errorf("output shows the wrong password:\n%s", out)
				}
				if listener == plaintext {
					return
				}
				untrusted := s.config(t, t.TempDir())
				b, _ := os.ReadFile(untrusted)
				if err := os.WriteFile(untrusted, bytes.ReplaceAll(b, []byte(s.pki.CAFile), []byte(s.pki.OtherCAFile)), 0o600); err != nil {
					t.Fatal(err)
				}
				code, out, took = runLoader(t, testPassword, "batch", "--config", untrusted, "--progress", "none")
				if code != exitFailed || took > 15*time.Second || !strings.Contains(out, "not signed by a trusted CA: set kafka.tls.ca_file") {
					t.Errorf("untrusted CA: exit %d after %s, want %d within seconds naming the cause:\n%s", code, took.Round(time.Millisecond), exitFailed, out)
				}
			})
		}
	}
}

// TestNoSecretInOutput runs validate and run with secrets from ${env:...} and ${file:...} at debug
// level, and looks for them in everything the loader writes: stdout, stderr, the output files
// (data and _errors), and /metrics. Dead letters hold the masked email, not the clear one.
func TestNoSecretInOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	s := newSecureCluster(t, kafkasec.ScramSHA512, overTLS)
	root := t.TempDir()
	cfg := s.config(t, root)
	secrets := []string{testPassword, testMaskKey, testEmail}

	code, validateOut, _ := runLoader(t, testPassword, "validate", "--config", cfg)
	if code != 0 {
		t.Fatalf("validate exit %d:\n%s", code, validateOut)
	}
	if strings.Count(validateOut, "***") < 2 {
		t.Errorf("validate masks fewer than 2 values (password, key):\n%s", validateOut)
	}
	// A bad value holding a secret is quoted redacted in the configuration error.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("  session_timeout: 6s"), []byte("  group: \"${env:K2H_TEST_KAFKA_PASSWORD}!\"\n  session_timeout: 6s"), 1)
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, badOut, _ := runLoader(t, testPassword, "validate", "--config", bad)
	if code != exitConfig || !strings.Contains(badOut, `kafka.group: "***" is not a usable group id`) {
		t.Errorf("bad group: exit %d, want %d and the value redacted:\n%s", code, exitConfig, badOut)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := loaderCmd(context.Background(), testPassword, "run", "--config", cfg, "--metrics-addr", addr)
	var runOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &runOut, &runOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // the test failed before Wait: do not leave it running
	var metrics string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		if strings.Contains(metrics, `kafka2hdfs_dead_letters_total{stage="convert",topic="clicks"} 4`) && countParquet(t, root) >= 2 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, runOut.String())
	}
	if !strings.Contains(metrics, "kafka2hdfs_dead_letters_total") {
		t.Fatalf("no metrics scraped:\n%s\n%s", metrics, runOut.String())
	}
	if !strings.Contains(runOut.String(), "component=sarama") {
		t.Errorf("no sarama debug lines in the log: the check below would miss them")
	}

	outputs := map[string]string{"validate": validateOut, "validate (invalid)": badOut, "run stdout+stderr": runOut.String(), "/metrics": metrics}
	var deadLetters int
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(p, "_errors") && strings.HasSuffix(p, ".parquet") {
			deadLetters++
			if !bytes.Contains(b, []byte(`"email":"`)) {
				t.Errorf("%s: no masked email field in the dead letters", p)
			}
		}
		outputs[p] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if deadLetters == 0 {
		t.Fatalf("no dead-letter files under %s", root)
	}
	for where, text := range outputs {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %q", where, secret)
			}
		}
	}
}

func countParquet(t *testing.T, root string) int {
	n := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "/_tmp") {
			n++
		}
		return nil
	})
	return n
}
