package kafkasec

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

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
	if sc.Net.SASL.Mechanism == sarama.SASLTypeGSSAPI {
		if hint := kerberosHint(msg, sc); hint != "" {
			return fmt.Errorf("%w; %s (%s)", err, hint, who)
		}
	}
	switch {
	case errors.Is(err, sarama.ErrSASLAuthenticationFailed):
		check := "kafka.sasl.username and password"
		switch sc.Net.SASL.Mechanism {
		case sarama.SASLTypeGSSAPI:
			check = "kafka.sasl.kerberos (principal, keytab or ticket cache) and service_name"
		case sarama.SASLTypeOAuth:
			check = "kafka.sasl.oauth (the token's audience and scopes) against the brokers' OAUTHBEARER settings"
			if tp, ok := sc.Net.SASL.TokenProvider.(*TokenProvider); ok {
				if since, stale := tp.stale(); stale {
					return fmt.Errorf("%w; %s was refused: the token from %s had expired at %s: renew it at its source", err, who,
						tp.source, since.UTC().Format(time.RFC3339))
				}
			}
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

// kerberosHint names the key to check for the KDC's and gokrb5's refusals (error codes of RFC
// 4120 as gokrb5 prints them; wordings checked against MiniKdc in e2e.TestRealSecureRefused).
func kerberosHint(msg string, sc *sarama.Config) string {
	switch {
	case strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return "the KDC does not know the loader's principal: check kafka.sasl.kerberos.principal"
	case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return fmt.Sprintf("the KDC has no principal %s/<broker host> for the brokers: set kafka.sasl.kerberos.service_name to the brokers' sasl.kerberos.service.name, and list the brokers by the host name in their principal",
			sc.Net.SASL.GSSAPI.ServiceName)
	case strings.Contains(msg, "PREAUTH_FAILED") || strings.Contains(msg, "KRB_AP_ERR_BAD_INTEGRITY") || strings.Contains(msg, "Decrypting_Error"):
		return "the KDC refused the keytab's key (a stale keytab, or one of another principal): check kafka.sasl.kerberos.keytab"
	case strings.Contains(msg, "KRB_AP_ERR_TKT_EXPIRED") || strings.Contains(msg, "KDC_ERR_TGT_REVOKED") || strings.Contains(msg, "ticket expired") || strings.Contains(msg, "TGT has expired"):
		return "the Kerberos ticket has expired: renew the ticket cache (kinit) or use kafka.sasl.kerberos.keytab"
	case strings.Contains(msg, "matching key not found in keytab") || strings.Contains(msg, "could not get key from keytab"):
		return "the keytab has no key for the principal: check kafka.sasl.kerberos.keytab and principal"
	case strings.Contains(msg, "Networking_Error") || strings.Contains(msg, "KDC_Error: error sending"):
		return "the KDC did not answer: check the realm's kdc entries in kafka.sasl.kerberos.krb5_conf"
	}
	return ""
}
