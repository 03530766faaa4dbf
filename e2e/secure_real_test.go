package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// The secure real tier: the loader against the real broker's SASL_SSL, SASL_PLAINTEXT and SSL
// (mTLS) listeners that `scripts/real-env.sh up --secure` adds (scripts/real-env-secure.sh). Each
// mechanism loads a topic exactly once through the real binary; each wrong credential or
// certificate ends the binary with exit 1 within seconds, with a message naming the cause.
//
// K2H_REAL=1 turns them on (like the rest of the real tier); on an environment started without
// --secure they skip, unless K2H_REAL_SECURE=1 (scripts/real-tier.sh), which makes that a failure.

// secureEnv is the K2H_TEST_* part of the real environment's env file.
type secureEnv map[string]string

func (s secureEnv) brokers(key string) []string { return strings.Split(s[key], ",") }

// theSecureEnv returns the real environment and its secure listeners.
func theSecureEnv(t *testing.T) (*realEnv, secureEnv) {
	t.Helper()
	e := theRealEnv(t)
	b, err := os.ReadFile(filepath.Join(e.dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	s := secureEnv{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.HasPrefix(k, "K2H_TEST_") {
			s[k] = v
		}
	}
	if s["K2H_TEST_SASL_SSL_BROKERS"] == "" {
		if v, _ := strconv.ParseBool(os.Getenv("K2H_REAL_SECURE")); v {
			t.Fatalf("K2H_REAL_SECURE=1 but the real environment has no secure listeners: start it with scripts/real-env.sh up --secure")
		}
		t.Skip("the real environment has no secure listeners (scripts/real-env.sh up --secure)")
	}
	return e, s
}

// secureLoaderPasswordVar is the environment variable the configs' ${env:...} references name.
const secureLoaderPasswordVar = "K2H_TEST_KAFKA_PASSWORD"

// kafkaSecurity is the kafka.tls/kafka.sasl part of a test's config, and the brokers it is for.
type kafkaSecurity struct {
	brokers []string
	block   string // YAML lines under kafka:, indented two spaces
}

// saslBlock is a kafka.sasl block for user loader; password is the YAML value (a reference).
func saslBlock(mech, password string) string {
	return fmt.Sprintf("  sasl:\n    mechanism: %s\n    username: loader\n    password: %q\n", mech, password)
}

func tlsBlock(ca, cert, key string) string {
	if cert == "" {
		return fmt.Sprintf("  tls: {ca_file: %s}\n", ca)
	}
	return fmt.Sprintf("  tls: {ca_file: %s, cert_file: %s, key_file: %s}\n", ca, cert, key)
}

// secureConfig writes the harness's config with the brokers and security block of sec (mode
// 0600, as a config naming secrets should be) and returns its path.
func (h *harness) secureConfig(t *testing.T, group string, sec kafkaSecurity, edit func(string) string) string {
	t.Helper()
	y := h.configYAML(group)
	old := "  brokers: [" + strings.Join(h.brokers, ", ") + "]\n"
	if !strings.Contains(y, old) {
		t.Fatalf("the harness config has no %q line to replace", strings.TrimSpace(old))
	}
	y = strings.Replace(y, old, "  brokers: ["+strings.Join(sec.brokers, ", ")+"]\n"+sec.block, 1)
	if edit != nil {
		y = edit(y)
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runSecureLoader runs the real binary with env added to the environment; it fails the test if the
// binary runs longer than limit.
func runSecureLoader(t *testing.T, limit time.Duration, env []string, args ...string) (code int, out string, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("kafka2hdfs %v did not finish within %s:\n%s", args, limit, buf.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return code, buf.String(), took
}

// secureMechanisms are the listener and mechanism pairs every secure environment has, with the
// config block each needs. The password comes from the environment for PLAIN and from a file
// for SCRAM, so both kinds of reference meet a real broker.
func secureMechanisms(s secureEnv) map[string]kafkaSecurity {
	ca := s["K2H_TEST_CA_FILE"]
	envPW := "${env:" + secureLoaderPasswordVar + "}"
	filePW := "${file:" + s["K2H_TEST_SASL_PASSWORD_FILE"] + "}"
	m := map[string]kafkaSecurity{
		"SSL+mTLS": {s.brokers("K2H_TEST_MTLS_BROKERS"), tlsBlock(ca, s["K2H_TEST_CLIENT_CERT"], s["K2H_TEST_CLIENT_KEY"])},
	}
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		pw := filePW
		if mech == "PLAIN" {
			pw = envPW
		}
		m[mech+"/SASL_SSL"] = kafkaSecurity{s.brokers("K2H_TEST_SASL_SSL_BROKERS"), tlsBlock(ca, "", "") + saslBlock(mech, pw)}
		m[mech+"/SASL_PLAINTEXT"] = kafkaSecurity{s.brokers("K2H_TEST_SASL_PLAINTEXT_BROKERS"), saslBlock(mech, pw)}
	}
	if s["K2H_TEST_KRB5_CONF"] != "" {
		gss := gssapiBlock(s, s["K2H_TEST_PRINCIPAL"], "kafka")
		m["GSSAPI/SASL_PLAINTEXT"] = kafkaSecurity{s.brokers("K2H_TEST_GSSAPI_BROKERS"), gss}
		m["GSSAPI/SASL_SSL"] = kafkaSecurity{s.brokers("K2H_TEST_GSSAPI_SSL_BROKERS"), tlsBlock(ca, "", "") + gss}
	}
	return m
}

// staleKeytab writes a keytab for principal (user@REALM) whose keys come from a password the KDC
// never had: what a keytab exported before the principal's keys changed looks like.
func staleKeytab(t *testing.T, principal string) string {
	t.Helper()
	user, realm, _ := strings.Cut(principal, "@")
	kt := keytab.New()
	for _, et := range []int32{etypeID.AES256_CTS_HMAC_SHA1_96, etypeID.AES128_CTS_HMAC_SHA1_96} {
		if err := kt.AddEntry(user, realm, "not-the-keys-of-"+user, time.Now(), 1, et); err != nil {
			t.Fatal(err)
		}
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "stale.keytab")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func gssapiBlockKeytab(s secureEnv, keytabPath string) string {
	return strings.Replace(gssapiBlock(s, s["K2H_TEST_PRINCIPAL"], "kafka"), "keytab: "+s["K2H_TEST_KEYTAB"], "keytab: "+keytabPath, 1)
}

// gssapiBlock is a kafka.sasl block for GSSAPI with the environment's keytab and krb5.conf.
func gssapiBlock(s secureEnv, principal, service string) string {
	return fmt.Sprintf("  sasl:\n    mechanism: GSSAPI\n    kerberos:\n      principal: %s\n      keytab: %s\n      krb5_conf: %s\n      service_name: %s\n",
		principal, s["K2H_TEST_KEYTAB"], s["K2H_TEST_KRB5_CONF"], service)
}

// TestRealSecureLoad loads a topic with `kafka2hdfs batch` over each listener and mechanism of
// the real broker, and proves every offset landed exactly once and the group committed the log
// ends.
func TestRealSecureLoad(t *testing.T) {
	_, s := theSecureEnv(t)
	for name, sec := range secureMechanisms(s) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			markStart(t)
			h := newRealHarness(t, "secure", 2)
			h.produce(1_200, 40)
			group := h.g("g-secure")
			cfg := h.secureConfig(t, group, sec, nil)
			code, out, took := runSecureLoader(t, 3*time.Minute, []string{secureLoaderPasswordVar + "=" + s["K2H_TEST_SASL_PASSWORD"]},
				"batch", "--config", cfg, "--progress", "none")
			if code != 0 {
				t.Fatalf("batch over %s: exit %d after %s:\n%s", name, code, took.Round(time.Millisecond), out)
			}
			t.Logf("batch over %s: exit 0 in %s", name, took.Round(time.Millisecond))
			if strings.Contains(out, s["K2H_TEST_SASL_PASSWORD"]) {
				t.Errorf("the batch output shows the password:\n%s", out)
			}
			fsys, p := h.outputFS()
			rep := h.proveFS(t, group, "secure load over "+name+" [real Kafka "+h.real.kafkaVersion+"]", "", fsys, p)
			h.checkDeadLetters(rep)
		})
	}
}

// TestRealSecureRefused: a wrong password, a certificate the loader does not trust, a missing or
// untrusted client certificate, and TLS against the wrong kind of listener each end `batch` with
// exit 1 within seconds, with a message naming the cause, and never show the password.
func TestRealSecureRefused(t *testing.T) {
	_, s := theSecureEnv(t)
	ca, other := s["K2H_TEST_CA_FILE"], s["K2H_TEST_OTHER_CA_FILE"]
	pwRef := "${env:" + secureLoaderPasswordVar + "}"
	const wrongPW = "K2H-not-the-password-93c1"
	saslSSL, saslPlain, mtls := s.brokers("K2H_TEST_SASL_SSL_BROKERS"), s.brokers("K2H_TEST_SASL_PLAINTEXT_BROKERS"), s.brokers("K2H_TEST_MTLS_BROKERS")
	type refusal struct {
		name     string
		sec      kafkaSecurity
		password string
		want     string // in the output
	}
	cases := []refusal{
		{"wrong password/SCRAM-SHA-512/SASL_SSL", kafkaSecurity{saslSSL, tlsBlock(ca, "", "") + saslBlock("SCRAM-SHA-512", pwRef)}, wrongPW,
			"SASL SCRAM-SHA-512 as loader was refused: check kafka.sasl.username and password"},
		{"wrong password/SCRAM-SHA-256/SASL_PLAINTEXT", kafkaSecurity{saslPlain, saslBlock("SCRAM-SHA-256", pwRef)}, wrongPW,
			"SASL SCRAM-SHA-256 as loader was refused: check kafka.sasl.username and password"},
		{"wrong password/PLAIN/SASL_SSL", kafkaSecurity{saslSSL, tlsBlock(ca, "", "") + saslBlock("PLAIN", pwRef)}, wrongPW,
			"SASL PLAIN as loader was refused: check kafka.sasl.username and password"},
		{"untrusted broker certificate/SASL_SSL", kafkaSecurity{saslSSL, tlsBlock(other, "", "") + saslBlock("SCRAM-SHA-512", pwRef)}, "",
			"certificate signed by unknown authority; the brokers' certificate is not signed by a trusted CA: set kafka.tls.ca_file"},
		{"untrusted broker certificate/SSL", kafkaSecurity{mtls, tlsBlock(other, s["K2H_TEST_CLIENT_CERT"], s["K2H_TEST_CLIENT_KEY"])}, "",
			"the brokers' certificate is not signed by a trusted CA: set kafka.tls.ca_file"},
		{"no client certificate/SSL", kafkaSecurity{mtls, tlsBlock(ca, "", "")}, "",
			"the brokers require a client certificate they trust: set kafka.tls.cert_file and key_file"},
		{"untrusted client certificate/SSL", kafkaSecurity{mtls, tlsBlock(ca, s["K2H_TEST_OTHER_CLIENT_CERT"], s["K2H_TEST_OTHER_CLIENT_KEY"])}, "",
			"the brokers require a client certificate they trust: set kafka.tls.cert_file and key_file"},
		{"no TLS/SASL_SSL", kafkaSecurity{saslSSL, saslBlock("SCRAM-SHA-512", pwRef)}, "",
			"if the listener uses TLS (SSL or SASL_SSL), enable kafka.tls"},
		{"TLS/SASL_PLAINTEXT", kafkaSecurity{saslPlain, tlsBlock(ca, "", "") + saslBlock("SCRAM-SHA-512", pwRef)}, "",
			"turn kafka.tls off or use the TLS listener's port"},
	}
	if s["K2H_TEST_KRB5_CONF"] != "" {
		cases = append(cases,
			refusal{"GSSAPI/unknown principal", kafkaSecurity{saslPlain, gssapiBlock(s, "nobody@EXAMPLE.COM", "kafka")}, "", "KDC_ERR_C_PRINCIPAL_UNKNOWN Client not found in Kerberos database - Client not found in Kerberos database; the KDC does not know the loader's principal: check kafka.sasl.kerberos.principal (SASL GSSAPI as nobody@EXAMPLE.COM)"},
			refusal{"GSSAPI/wrong service name", kafkaSecurity{saslPlain, gssapiBlock(s, s["K2H_TEST_PRINCIPAL"], "not-kafka")}, "", "KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database - Server not found in Kerberos database; the KDC has no principal not-kafka/<broker host> for the brokers: set kafka.sasl.kerberos.service_name"},
			refusal{"GSSAPI/wrong keytab", kafkaSecurity{saslPlain, gssapiBlockKeytab(s, staleKeytab(t, s["K2H_TEST_PRINCIPAL"]))}, "",
				"KRB_AP_ERR_BAD_INTEGRITY Integrity check on decrypted field failed - PREAUTH_FAILED; the KDC refused the keytab's key (a stale keytab, or one of another principal): check kafka.sasl.kerberos.keytab"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newRealHarness(t, "refused", 1)
			pw := c.password
			if pw == "" {
				pw = s["K2H_TEST_SASL_PASSWORD"]
			}
			cfg := h.secureConfig(t, h.g("g-refused"), c.sec, nil)
			code, out, took := runSecureLoader(t, time.Minute, []string{secureLoaderPasswordVar + "=" + pw}, "batch", "--config", cfg, "--progress", "none")
			t.Logf("exit %d after %s; last line: %s", code, took.Round(time.Millisecond), lastLines(strings.TrimSpace(out), 1))
			if code != 1 || !strings.Contains(out, c.want) || took > 15*time.Second {
				t.Errorf("exit %d after %s, want exit 1 within 15 s with %q:\n%s", code, took.Round(time.Millisecond), c.want, out)
			}
			for _, secret := range []string{pw, s["K2H_TEST_SASL_PASSWORD"]} {
				if strings.Contains(out, secret) {
					t.Errorf("the output shows the password %q:\n%s", secret, out)
				}
			}
		})
	}
}

// TestRealSecureNoSecretInOutput runs `validate`, then `run` at debug level (sarama's protocol
// lines included) with /metrics served, over the real broker's SASL_SSL listener with SCRAM, the
// password from ${env:...}; once the group has committed every record it stops the loader and
// searches everything it wrote for the password: validate's output, the run's stdout and stderr
// (its only log), /metrics, and every file under the output root on the real HDFS (data, dead
// letters, markers).
func TestRealSecureNoSecretInOutput(t *testing.T) {
	_, s := theSecureEnv(t)
	password := s["K2H_TEST_SASL_PASSWORD"]
	if len(password) < 8 {
		t.Fatalf("the environment's password %q is too short to search for", password)
	}
	h := newRealHarness(t, "leak", 2)
	h.produce(1_000, 25)
	group := h.g("g-leak")
	sec := kafkaSecurity{s.brokers("K2H_TEST_SASL_SSL_BROKERS"),
		tlsBlock(s["K2H_TEST_CA_FILE"], "", "") + saslBlock("SCRAM-SHA-512", "${env:"+secureLoaderPasswordVar+"}")}
	cfg := h.secureConfig(t, group, sec, func(y string) string { return strings.Replace(y, "level: info", "level: debug", 1) })
	env := []string{secureLoaderPasswordVar + "=" + password}

	code, validateOut, _ := runSecureLoader(t, time.Minute, env, "validate", "--config", cfg)
	if code != 0 || !strings.Contains(validateOut, "***") {
		t.Fatalf("validate: exit %d, want 0 and the password shown as ***:\n%s", code, validateOut)
	}

	addr := deadAddr(t) // free now; the loader binds it
	run := spawnArgs(t, "run", []string{"run", "--config", cfg, "--metrics-addr", addr}, env...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("run output (tail):\n%s", run.tail(6000))
		}
	})
	h.waitCommitted(group, 1, time.Minute)
	metrics := scrape(t, "http://"+addr+"/metrics")
	if run.exited() {
		t.Fatalf("run exited before SIGTERM: %v\n%s", run.err, run.tail(6000))
	}
	run.signal(syscall.SIGTERM)
	if err := run.wait(time.Minute); err != nil {
		t.Fatalf("run: %v\n%s", err, run.out.String())
	}
	if !strings.Contains(run.out.String(), "component=sarama") {
		t.Errorf("no sarama debug lines in the run's log: the search below would miss them")
	}
	if !strings.Contains(metrics, "kafka2hdfs_") {
		t.Fatalf("no kafka2hdfs metrics scraped:\n%s", metrics)
	}

	outputs := map[string]string{"validate": validateOut, "run stdout+stderr": run.out.String(), "/metrics": metrics}
	fsys, root := h.outputFS()
	var walk func(dir string)
	walk = func(dir string) {
		infos, err := fsys.ReadDir(context.Background(), dir)
		if err != nil {
			t.Fatalf("list %s: %v", dir, err)
		}
		for _, fi := range infos {
			p := dir + "/" + fi.Name()
			if fi.IsDir() {
				walk(p)
				continue
			}
			f, err := fsys.Open(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
			_ = f.Close()
			if err != nil {
				t.Fatalf("read %s: %v", p, err)
			}
			outputs[p] = string(b)
		}
	}
	walk(root)
	files := len(outputs) - 3
	if files < 2 {
		t.Fatalf("only %d output files under %s", files, root)
	}
	for where, text := range outputs {
		if strings.Contains(text, password) {
			t.Errorf("%s contains the password", where)
		}
	}
	t.Logf("searched validate (%d bytes), the run's log (%d bytes), /metrics (%d bytes) and %d HDFS files for the password: not found",
		len(validateOut), len(run.out.String()), len(metrics), files)
	fsys2, p := h.outputFS()
	h.checkDeadLetters(h.proveFS(t, group, "secure run, searched for its password [real Kafka "+h.real.kafkaVersion+"]", "", fsys2, p))
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
