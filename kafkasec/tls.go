package kafkasec

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// config builds the client's tls.Config from the files named.
func (t TLS) config() (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // #nosec G402 -- an explicit option that logs a warning at every start
	}
	if t.CAFile != "" {
		pool, err := loadCA(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

func (t TLS) check() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka.tls.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if t.CAFile != "" {
		if _, err := loadCA(t.CAFile); err != nil {
			bad("ca_file", "%v; give the PEM file of the CA that signed the brokers' certificates, or leave it empty for the system's roots", err)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		bad("key_file", "missing; cert_file %s needs its private key", t.CertFile)
	case t.CertFile == "" && t.KeyFile != "":
		bad("cert_file", "missing; key_file %s needs its certificate", t.KeyFile)
	case t.CertFile != "":
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			bad("cert_file", "%s with key_file %s: %v; give a PEM certificate and its matching PEM private key", t.CertFile, t.KeyFile, err)
		}
	}
	return errs
}
