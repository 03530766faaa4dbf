package kafkasec

import "crypto/tls"

// ClientConfig is the tls.Config the block describes, for other clients than Kafka's (the schema
// registry's) that take the same keys.
func (t TLS) ClientConfig() (*tls.Config, error) { return t.config() }

// On reports whether any key of the block is set.
func (t TLS) On() bool { return t.on() }
