package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/internal/testpki"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
)

// loadFile writes text to a file and loads it as the commands do (Load expands secrets).
func loadFile(t *testing.T, text string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

func TestSecretsExpandedAndMasked(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "mask.key")
	if err := os.WriteFile(keyFile, []byte("mask-key-from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("K2H_TEST_KAFKA_PW", "kafka-pw-from-env")
	t.Setenv("K2H_TEST_USER", "loader-user")
	text := doc(map[string]string{
		"kafka": `kafka: {brokers: ["k1:9092"], sasl: {mechanism: SCRAM-SHA-512, username: "${env:K2H_TEST_USER}", password: "${env:K2H_TEST_KAFKA_PW}"}, tls: {enabled: true}}`,
		"topics": `topics: [{name: clicks, schema: [{name: id, type: string}], interceptors: [
		  {type: mask, field: email, method: hmac-sha256, key: "${file:` + keyFile + `}"},
		  {type: mask, field: phone, salt: "clear-text-salt"}]}]`,
	})
	c, err := loadFile(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.SASL.Password != "kafka-pw-from-env" || c.Topics[0].Interceptors[0].Key != "mask-key-from-file" {
		t.Errorf("not expanded: password %q, key %q", c.Kafka.SASL.Password, c.Topics[0].Interceptors[0].Key)
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"kafka-pw-from-env", "mask-key-from-file", "clear-text-salt", "loader-user"} {
		if strings.Contains(out, secret) {
			t.Errorf("YAML() shows %q:\n%s", secret, out)
		}
	}
	if strings.Count(out, "***") != 4 {
		t.Errorf("YAML() masks %d values, want 4 (username and password from ${env}, key, salt):\n%s", strings.Count(out, "***"), out)
	}
	if !strings.Contains(out, "mechanism: SCRAM-SHA-512") {
		t.Errorf("YAML() lost the mechanism:\n%s", out)
	}
	// The clear-text salt is now known as a secret too: logs redact it.
	if got := c.Secrets().Redact("salt=clear-text-salt pw=kafka-pw-from-env"); got != "salt=*** pw=***" {
		t.Errorf("Redact = %q", got)
	}
	w := strings.Join(c.Warnings(), "\n")
	if !strings.Contains(w, keyFile) || !strings.Contains(w, "chmod 600") {
		t.Errorf("warnings %q: want one naming the group/world-readable %s", w, keyFile)
	}

	t.Setenv("K2H_TEST_KAFKA_PW", "")
	os.Unsetenv("K2H_TEST_KAFKA_PW")
	_, err = loadFile(t, text)
	if err == nil || !strings.Contains(err.Error(), "kafka.sasl.password: ${env:K2H_TEST_KAFKA_PW}: environment variable K2H_TEST_KAFKA_PW is not set") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestKafkaSecurityValidate(t *testing.T) {
	pki := testpki.New(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n  default_realm = EXAMPLE.COM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, kafka string
		want        []string // substrings of the problems, in order; none for a valid config
	}{
		{"tls with a CA", `{tls: {ca_file: ` + pki.CAFile + `}}`, nil},
		{"mtls", `{tls: {ca_file: ` + pki.CAFile + `, cert_file: ` + pki.ClientCert + `, key_file: ` + pki.ClientKey + `}}`, nil},
		{"ca missing", `{tls: {ca_file: /nonexistent/ca.pem}}`, []string{"kafka.tls.ca_file: open /nonexistent/ca.pem: no such file"}},
		{"ca not pem", `{tls: {ca_file: ` + notPEM + `}}`, []string{"kafka.tls.ca_file: " + notPEM + " holds no PEM certificate"}},
		{"cert without key", `{tls: {cert_file: ` + pki.ClientCert + `}}`, []string{"kafka.tls.key_file: missing"}},
		{"key does not match", `{tls: {cert_file: ` + pki.ClientCert + `, key_file: ` + notPEM + `}}`, []string{"kafka.tls.cert_file: "}},
		{"plain", `{sasl: {mechanism: PLAIN, username: u, password: p}}`, nil},
		{"scram lower case", `{sasl: {mechanism: scram-sha-256, username: u, password: p}}`, nil},
		{"scram without password", `{sasl: {mechanism: SCRAM-SHA-512, username: u}}`, []string{"kafka.sasl.password: missing"}},
		{"unknown mechanism", `{sasl: {mechanism: DIGEST-MD5}}`, []string{`kafka.sasl.mechanism: "DIGEST-MD5" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI, OAUTHBEARER`}},
		{"password without mechanism", `{sasl: {username: u, password: p}}`, []string{"kafka.sasl.mechanism: missing"}},
		{"gssapi keytab missing", `{sasl: {mechanism: GSSAPI, kerberos: {krb5_conf: ` + krb5 + `, keytab: /nonexistent/k.keytab}}}`,
			[]string{"kafka.sasl.kerberos.keytab: /nonexistent/k.keytab", "kafka.sasl.kerberos.principal: missing"}},
		{"gssapi ccache missing", `{sasl: {mechanism: GSSAPI, kerberos: {krb5_conf: ` + krb5 + `, ccache: /nonexistent/cc}}}`,
			[]string{"kafka.sasl.kerberos.ccache: /nonexistent/cc"}},
		{"gssapi krb5.conf missing", `{sasl: {mechanism: GSSAPI, kerberos: {krb5_conf: /nonexistent/krb5.conf, ccache: /nonexistent/cc}}}`,
			[]string{"kafka.sasl.kerberos.krb5_conf: /nonexistent/krb5.conf", "kafka.sasl.kerberos.ccache"}},
		{"oauth file", `{sasl: {mechanism: OAUTHBEARER, oauth: {token_file: ` + notPEM + `}}}`, nil},
		{"oauth two sources", `{sasl: {mechanism: OAUTHBEARER, oauth: {token_file: ` + notPEM + `, token_url: "https://idp/token"}}}`, []string{"kafka.sasl.oauth.token_file: set exactly one"}},
		{"oauth url without client", `{sasl: {mechanism: OAUTHBEARER, oauth: {token_url: "https://idp/token"}}}`,
			[]string{"kafka.sasl.oauth.client_id: missing", "kafka.sasl.oauth.client_secret: missing"}},
		{"oauth command not found", `{sasl: {mechanism: OAUTHBEARER, oauth: {token_command: [/nonexistent/get-token]}}}`, []string{"kafka.sasl.oauth.token_command: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := strings.Replace(tc.kafka, "{", `{brokers: ["k1:9092"], `, 1)
			_, err := load(doc(map[string]string{"kafka": "kafka: " + k}))
			var got []string
			if err != nil {
				got = problems(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d: %q", strings.Join(got, "\n"), len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) && !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want %q", i, got[i], w)
				}
			}
		})
	}
}

func TestKafkaSecurityWarnings(t *testing.T) {
	for _, tc := range []struct {
		kafka Kafka
		want  string
	}{
		{Kafka{TLS: kafkasec.TLS{InsecureSkipVerify: true}}, "insecure_skip_verify"},
		{Kafka{SASL: kafkasec.SASL{Mechanism: "PLAIN"}}, "password in clear"},
		{Kafka{TLS: kafkasec.TLS{Enabled: true}, SASL: kafkasec.SASL{Mechanism: "PLAIN"}}, ""},
	} {
		c := &Config{Kafka: tc.kafka}
		got := strings.Join(c.Warnings(), "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: warnings %q, want %q", tc.kafka, got, tc.want)
		}
	}
}

func TestPermissionsValidate(t *testing.T) {
	for _, tc := range []struct {
		output string
		want   string
	}{
		{`output: {root: /data/out, permissions: {file: "0600", dir: "0700"}}`, ""},
		{`output: {root: /data/out, permissions: {file: "0440"}}`, "output.permissions.file: 0440 must give the owner read and write"},
		{`output: {root: /data/out, permissions: {dir: "0640"}}`, "output.permissions.dir: 0640 must give the owner rwx"},
	} {
		_, err := load(doc(map[string]string{"output": tc.output}))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.output, err, tc.want)
		}
	}
}

// The HDFS keytab is a credential: readable by others, it is warned about like the Kafka one.
func TestHDFSKeytabWarning(t *testing.T) {
	dir := t.TempDir()
	loose, tight := filepath.Join(dir, "loose.keytab"), filepath.Join(dir, "tight.keytab")
	for p, mode := range map[string]os.FileMode{loose: 0o640, tight: 0o600} {
		if err := os.WriteFile(p, []byte{5, 2}, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // the umask may have cleared bits
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{loose: "output.hdfs.kerberos.keytab " + loose + " is readable by group or others (mode 0640); chmod 600 it", tight: ""} {
		c := &Config{}
		c.Output.HDFS.Kerberos.Keytab = path
		got := strings.Join(c.Warnings(), "\n")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: warnings %q, want %q", path, got, want)
		}
	}
}
