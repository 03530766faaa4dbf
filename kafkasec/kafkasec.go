// Package kafkasec secures the loader's Kafka connections: TLS (server verification, client
// certificates) and SASL (PLAIN, SCRAM-SHA-256/512, GSSAPI, OAUTHBEARER). It turns the kafka.tls
// and kafka.sasl blocks of the configuration into sarama settings, and checks them before the
// loader starts.
//
// Every sarama client the loader creates gets its settings from config.Config.Sarama, which calls
// Apply, so the consumer group, the commit client, offsets, audit and backfill all connect alike.
package kafkasec

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/IBM/sarama"
)

// TLS is the kafka.tls block.
type TLS struct {
	// Enabled turns TLS on. Default: false, or true when any other key of the block is set.
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM file of the certificates that may sign the brokers' certificates.
	// Default: the system's roots.
	CAFile string `yaml:"ca_file,omitempty"`
	// CertFile and KeyFile are the loader's client certificate and key (PEM), for brokers that
	// require them (ssl.client.auth=required). Set both or neither.
	CertFile string `yaml:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty"`
	// ServerName is the name the brokers' certificates must carry. Default: the host of the
	// broker address dialed.
	ServerName string `yaml:"server_name,omitempty"`
	// InsecureSkipVerify accepts any certificate, so anyone on the path can read and change the
	// traffic; the loader logs a warning at every start. For tests only. Default: false.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
}

func (t TLS) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" || t.InsecureSkipVerify
}

// Mechanisms.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
	GSSAPI      = "GSSAPI"
	OAuthBearer = "OAUTHBEARER"
)

var mechanisms = []string{Plain, ScramSHA256, ScramSHA512, GSSAPI, OAuthBearer}

// SASL is the kafka.sasl block.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or OAUTHBEARER. Default: none
	// (no SASL).
	Mechanism string `yaml:"mechanism,omitempty"`
	// Username and Password authenticate PLAIN and SCRAM. Write the password as
	// ${env:NAME} or ${file:/path} to keep it out of the file.
	Username string `yaml:"username,omitempty"`
	Password string `yaml:"password,omitempty"`
	// Kerberos configures GSSAPI.
	Kerberos Kerberos `yaml:"kerberos,omitempty"`
	// OAuth configures OAUTHBEARER.
	OAuth OAuth `yaml:"oauth,omitempty"`
}

func (s SASL) mechanism() string { return strings.ToUpper(strings.TrimSpace(s.Mechanism)) }

// Apply sets sc up for t and s; it reads the files they name (certificates, keys). Call Check
// first for messages that name the key to fix.
func Apply(sc *sarama.Config, t TLS, s SASL) error {
	if t.on() {
		tc, err := t.config()
		if err != nil {
			return fmt.Errorf("kafka.tls: %w", err)
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	m := s.mechanism()
	if m == "" {
		return nil
	}
	sc.Net.SASL.Enable = true
	sc.Net.SASL.Handshake = true
	sc.Net.SASL.Version = sarama.SASLHandshakeV1
	sc.Net.SASL.Mechanism = sarama.SASLMechanism(m)
	switch m {
	case Plain:
		sc.Net.SASL.User, sc.Net.SASL.Password = s.Username, s.Password
	case ScramSHA256, ScramSHA512:
		sc.Net.SASL.User, sc.Net.SASL.Password = s.Username, s.Password
		sc.Net.SASL.SCRAMClientGeneratorFunc = scramClient(m)
	case GSSAPI:
		g, err := s.Kerberos.gssapi()
		if err != nil {
			return fmt.Errorf("kafka.sasl.kerberos: %w", err)
		}
		sc.Net.SASL.GSSAPI = g
	case OAuthBearer:
		p, err := NewTokenProvider(s.OAuth)
		if err != nil {
			return fmt.Errorf("kafka.sasl.oauth: %w", err)
		}
		sc.Net.SASL.TokenProvider = p
	default:
		return fmt.Errorf("kafka.sasl.mechanism: %q is not one of %s", s.Mechanism, strings.Join(mechanisms, ", "))
	}
	return nil
}

// Check returns every problem with t and s, each naming its key under kafka. and the fix. It
// reads the files named (CA, certificate and key, keytab, krb5.conf) but connects nowhere. No
// message contains a password or secret.
func Check(t TLS, s SASL) error {
	var errs []error
	if t.on() {
		errs = append(errs, t.check()...)
	}
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka.sasl.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	switch m := s.mechanism(); m {
	case "":
		if s.Username != "" || s.Password != "" {
			bad("mechanism", "missing, but username or password is set; set it to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
		}
	case Plain, ScramSHA256, ScramSHA512:
		if s.Username == "" {
			bad("username", "missing; %s needs a username and password", m)
		}
		if s.Password == "" {
			bad("password", "missing; %s needs it; write it as ${env:NAME} or ${file:/path} to keep it out of the file", m)
		}
	case GSSAPI:
		for _, e := range s.Kerberos.check() {
			errs = append(errs, fmt.Errorf("kafka.sasl.kerberos.%w", e))
		}
	case OAuthBearer:
		for _, e := range s.OAuth.check() {
			errs = append(errs, fmt.Errorf("kafka.sasl.oauth.%w", e))
		}
	default:
		bad("mechanism", "%q is not one of %s", s.Mechanism, strings.Join(mechanisms, ", "))
	}
	return errors.Join(errs...)
}

// Warnings are settings that work but weaken security; the loader logs them at every start.
func Warnings(t TLS, s SASL) []string {
	var w []string
	if t.InsecureSkipVerify {
		w = append(w, "kafka.tls.insecure_skip_verify is set: the brokers' certificates are not checked, so anyone on the network path can read and change the traffic, credentials included")
	}
	if m := s.mechanism(); m == Plain && !t.on() {
		w = append(w, "kafka.sasl.mechanism PLAIN without kafka.tls sends the password in clear; enable kafka.tls")
	} else if m == OAuthBearer && !t.on() {
		w = append(w, "kafka.sasl.mechanism OAUTHBEARER without kafka.tls sends the token in clear; enable kafka.tls")
	}
	if s.mechanism() == OAuthBearer && strings.HasPrefix(s.OAuth.TokenURL, "http://") {
		w = append(w, "kafka.sasl.oauth.token_url is http://: the client secret and tokens travel in clear; use https")
	}
	// Files that hold credentials should be the loader's alone, as ${file:...} secrets.
	for _, f := range []struct{ key, path string }{
		{"kafka.tls.key_file", t.KeyFile},
		{"kafka.sasl.kerberos.keytab", s.Kerberos.Keytab},
		{"kafka.sasl.oauth.token_file", s.OAuth.TokenFile},
	} {
		if fi, err := os.Stat(f.path); f.path != "" && err == nil && fi.Mode().Perm()&0o077 != 0 {
			w = append(w, fmt.Sprintf("%s %s is readable by group or others (mode %04o); chmod 600 it", f.key, f.path, fi.Mode().Perm()))
		}
	}
	return w
}

// ErrRefused marks a credential that cannot work although the configuration may be right (a
// ticket cache whose ticket has expired): the command line exits 1 for it, as for a broker's
// refusal of a login, not 2.
var ErrRefused = errors.New("credentials refused")

// refused marks err as ErrRefused without changing its message.
type refused struct{ err error }

func (r refused) Error() string   { return r.err.Error() }
func (r refused) Unwrap() []error { return []error{r.err, ErrRefused} }
