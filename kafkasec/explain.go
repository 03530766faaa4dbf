package kafkasec

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/IBM/sarama"
)

// NewClient is sarama.NewClient with an error that names the likely cause when the brokers
// refuse the loader's credentials or certificate. sarama gives up after Metadata.Retry.Max
// attempts (about a second), so a wrong password fails the start rather than retrying forever.
func NewClient(addrs []string, sc *sarama.Config) (sarama.Client, error) {
	cl, err := sarama.NewClient(addrs, sc)
	if err != nil {
		return nil, Explain(err, sc)
	}
	return cl, nil
}

// Explain adds what to check to a failed connection's error, judged from the settings used. The
// error stays in the chain (errors.Is works); no secret is included.
func Explain(err error, sc *sarama.Config) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA) || strings.Contains(msg, "certificate signed by unknown authority"):
		return fmt.Errorf("%w; the brokers' certificate is not signed by a trusted CA: set kafka.tls.ca_file to the CA that signed it", err)
	case errors.As(err, &hostname) || strings.Contains(msg, "certificate is valid for"):
		return fmt.Errorf("%w; the brokers' certificate does not name the address dialed: list the brokers by a name the certificate carries, or set kafka.tls.server_name", err)
	case errors.As(err, &invalid) || strings.Contains(msg, "certificate has expired"):
		return fmt.Errorf("%w; the brokers' certificate is not valid now", err)
	case strings.Contains(msg, "tls: certificate required") || strings.Contains(msg, "tls: bad certificate") || strings.Contains(msg, "unknown certificate authority"):
		return fmt.Errorf("%w; the brokers require a client certificate they trust: set kafka.tls.cert_file and key_file", err)
	case strings.Contains(msg, "first record does not look like a TLS handshake") || strings.Contains(msg, "tls: server sent"):
		return fmt.Errorf("%w; the listener does not speak TLS: turn kafka.tls off or use the TLS listener's port", err)
	}
	// Closing with bytes unread (the rest of a TLS ClientHello, say) resets the connection.
	closed := errors.Is(err, io.EOF) || strings.HasSuffix(msg, "EOF") ||
		errors.Is(err, syscall.ECONNRESET) || strings.Contains(msg, "connection reset by peer")
	// A broker closes the connection on bytes it cannot read as a Kafka request: a TLS
	// handshake on a plaintext listener, or a request on a TLS listener.
	tlsHint := "; if the listener uses TLS (SSL or SASL_SSL), enable kafka.tls"
	if sc.Net.TLS.Enable {
		tlsHint = "; if the listener does not use TLS (PLAINTEXT or SASL_PLAINTEXT), turn kafka.tls off or use the TLS listener's port"
	}
	if !sc.Net.SASL.Enable {
		if closed {
			return fmt.Errorf("%w; the brokers closed the connection: if the listener requires SASL, configure kafka.sasl%s", err, tlsHint)
		}
		return err
	}
	who := fmt.Sprintf("SASL %s", sc.Net.SASL.Mechanism)
	if u := sc.Net.SASL.User; u != "" {
		who += " as " + u
	} else if u := sc.Net.SASL.GSSAPI.Username; u != "" {
		who += " as " + u + "@" + sc.Net.SASL.GSSAPI.Realm
	}
	switch {
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed):
		check := "kafka.sasl.username and password"
		switch sc.Net.SASL.Mechanism {
		case sarama.SASLTypeGSSAPI:
			check = "kafka.sasl.kerberos (principal, keytab or ticket cache) and service_name"
		case sarama.SASLTypeOAuth:
			check = "kafka.sasl.oauth (the token's audience and scopes) against the brokers' OAUTHBEARER settings"
		}
		return fmt.Errorf("%w; %s was refused: check %s", err, who, check)
	case errors.Is(err, sarama.ErrUnsupportedSASLMechanism):
		return fmt.Errorf("%w; the listener does not take %s: set kafka.sasl.mechanism to one it has enabled (sasl.enabled.mechanisms)", err, sc.Net.SASL.Mechanism)
	case closed:
		// Apache Kafka answers a wrong password with SASL_AUTHENTICATION_FAILED (the case
		// above); it closes the connection when the bytes are not what the listener expects,
		// TLS or not (checked against the real broker: e2e.TestRealSecureRefused). Some other
		// brokers (kfake among them) close it on a wrong password too.
		return fmt.Errorf("%w; the brokers closed the connection while authenticating (%s)%s, or the password (or token, or Kerberos identity) is wrong: check kafka.sasl", err, who, tlsHint)
	}
	return err
}
