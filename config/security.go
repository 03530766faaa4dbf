package config

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/internal/errlist"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/secret"
)

// securityErrors checks kafka.tls and kafka.sasl (files exist and parse, the mechanism is known,
// required keys are set) and output.permissions. Messages name the key and never a secret.
func (c *Config) securityErrors() []error {
	errs := errlist.Flatten(kafkasec.Check(c.Kafka.TLS, c.Kafka.SASL))
	for _, e := range c.Output.Permissions.Check() {
		errs = append(errs, fmt.Errorf("output.permissions.%w", e))
	}
	return errs
}

// secretKeys are keys whose values are secret however they were written: shown as *** by validate
// even when the file has them in clear.
var secretKeys = map[string]bool{
	"password":      true, // kafka.sasl.password
	"client_secret": true, // kafka.sasl.oauth.client_secret
	"salt":          true, // mask interceptors
	"key":           true, // mask interceptors (hmac-sha256)
	"token":         true,
}

// expandSecrets replaces ${env:NAME} and ${file:/path} references in every string value, and
// records those values and the values of secret keys written in clear, for redaction.
func (c *Config) expandSecrets() error {
	c.secrets = &secret.Set{}
	if err := c.secrets.Expand(c); err != nil {
		return err
	}
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return err
	}
	c.maskSecrets(&n) // on a copy: it records what it masks
	return nil
}

// Secrets is what the config's references expanded to, plus the values of keys that are secret by
// name; logs and errors pass through its Redact. Never nil.
func (c *Config) Secrets() *secret.Set {
	if c.secrets == nil {
		c.secrets = &secret.Set{}
	}
	return c.secrets
}

// Warnings are problems worth a log line at every start that do not stop the loader: secret files
// others can read, TLS verification turned off.
func (c *Config) Warnings() []string {
	w := append([]string(nil), c.Secrets().Warnings...)
	w = append(w, c.Kafka.warnings()...)
	// The HDFS keytab is a credential like the Kafka one (kafkasec.Warnings).
	if p := c.Output.HDFS.Kerberos.Keytab; p != "" {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			w = append(w, fmt.Sprintf("output.hdfs.kerberos.keytab %s is readable by group or others (mode %04o); chmod 600 it", p, fi.Mode().Perm()))
		}
	}
	return w
}

// maskSecrets replaces, in a marshalled config, every value that is secret by its key's name or
// that holds an expanded secret with ***. It also records the values of secret keys written in
// clear, so that they are redacted from logs too.
func (c *Config) maskSecrets(n *yaml.Node) {
	s := c.Secrets()
	var walk func(n *yaml.Node, secretKey bool)
	walk = func(n *yaml.Node, secretKey bool) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, e := range n.Content {
				walk(e, secretKey)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], secretKeys[n.Content[i].Value])
			}
		case yaml.ScalarNode:
			if n.Value == "" {
				return
			}
			if secretKey || s.Contains(n.Value) || isSecretValue(s, n.Value) {
				if secretKey {
					s.Add("", n.Value)
				}
				n.Value, n.Tag, n.Style = secret.Mask, "!!str", 0
			}
		}
	}
	walk(n, false)
}

// isSecretValue catches secrets too short for Contains.
func isSecretValue(s *secret.Set, v string) bool {
	for _, x := range s.Values() {
		if v == x {
			return true
		}
	}
	return false
}
