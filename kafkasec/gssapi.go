package kafkasec

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/IBM/sarama"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/kafka2hdfs/kafka2hdfs/internal/krbcache"
)

// Kerberos is kafka.sasl.kerberos, for GSSAPI. Its keys are those of output.hdfs.kerberos where
// they mean the same (principal, keytab, ccache, krb5_conf), so one identity can serve both; a
// keytab is used when Keytab is set, else a ticket cache (kinit's).
type Kerberos struct {
	// Principal logs in with Keytab, as user@REALM or service/_HOST@REALM (_HOST is this host's
	// name); without a realm, krb5.conf's default_realm. With a ticket cache: the cache's
	// principal.
	Principal string `yaml:"principal,omitempty"`
	Keytab    string `yaml:"keytab,omitempty"`
	// CCache is the ticket cache. Default: $KRB5CCNAME (FILE: caches only), else
	// /tmp/krb5cc_<uid>.
	CCache string `yaml:"ccache,omitempty"`
	// Krb5Conf defaults to $KRB5_CONFIG, else /etc/krb5.conf.
	Krb5Conf string `yaml:"krb5_conf,omitempty"`
	// ServiceName is the first part of the brokers' principal (sasl.kerberos.service.name on the
	// brokers): kafka/<broker host>@REALM. Default: kafka.
	ServiceName string `yaml:"service_name,omitempty"`
}

func (k Kerberos) krb5Conf() string {
	if k.Krb5Conf != "" {
		return k.Krb5Conf
	}
	if p := os.Getenv("KRB5_CONFIG"); p != "" {
		return p
	}
	return "/etc/krb5.conf"
}

func (k Kerberos) ccache() (string, error) {
	if k.CCache != "" {
		return k.CCache, nil
	}
	if cc := os.Getenv("KRB5CCNAME"); cc != "" {
		kind, p, ok := strings.Cut(cc, ":")
		if !ok {
			return cc, nil
		}
		if kind != "FILE" {
			return "", fmt.Errorf("KRB5CCNAME=%s is not a FILE: ticket cache, the only kind supported; set kafka.sasl.kerberos.ccache, or a keytab", cc)
		}
		return p, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find the default ticket cache: %w; set KRB5CCNAME", err)
	}
	return "/tmp/krb5cc_" + u.Uid, nil
}

// gssapi builds sarama's settings, reading krb5.conf (for the default realm) and the ticket cache
// (for its principal) when needed.
func (k Kerberos) gssapi() (sarama.GSSAPIConfig, error) {
	g := sarama.GSSAPIConfig{
		KerberosConfigPath: k.krb5Conf(),
		ServiceName:        k.ServiceName,
		// gokrb5's FAST pre-authentication is refused by Active Directory and most MIT KDCs (as
		// on the HDFS side).
		DisablePAFXFAST: true,
	}
	if g.ServiceName == "" {
		g.ServiceName = "kafka"
	}
	cfg, err := krbconfig.Load(g.KerberosConfigPath)
	if err != nil {
		return g, fmt.Errorf("krb5_conf %s: %w", g.KerberosConfigPath, err)
	}
	principal := k.Principal
	if k.Keytab != "" {
		g.AuthType, g.KeyTabPath = sarama.KRB5_KEYTAB_AUTH, k.Keytab
	} else {
		g.AuthType = sarama.KRB5_CCACHE_AUTH
		if g.CCachePath, err = k.ccache(); err != nil {
			return g, err
		}
		cc, err := credentials.LoadCCache(g.CCachePath)
		if err != nil {
			return g, fmt.Errorf("ccache %s: %w; run kinit, or set a keytab", g.CCachePath, err)
		}
		// A cache expires under a right configuration: ErrRefused, as for a refused login.
		if err := krbcache.Check(cc, g.CCachePath, "kafka.sasl.kerberos", time.Now()); err != nil {
			return g, refused{err}
		}
		if principal == "" {
			principal = krbcache.Principal(cc)
		}
	}
	if principal == "" {
		return g, errors.New("principal: missing; a keytab needs the principal to log in as, such as kafka2hdfs/_HOST@EXAMPLE.COM")
	}
	name, realm, _ := strings.Cut(principal, "@")
	if strings.Contains(name, "_HOST") {
		host, err := os.Hostname()
		if err != nil {
			return g, fmt.Errorf("principal %s: this host's name for _HOST: %w", principal, err)
		}
		name = strings.ReplaceAll(name, "_HOST", strings.ToLower(host))
	}
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	if realm == "" {
		return g, fmt.Errorf("principal %s has no realm and %s sets no default_realm; write it as name@REALM", principal, g.KerberosConfigPath)
	}
	g.Username, g.Realm = name, realm
	return g, nil
}

// check reports problems, each starting with the key below kafka.sasl.kerberos.
func (k Kerberos) check() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if _, err := krbconfig.Load(k.krb5Conf()); err != nil {
		bad("krb5_conf", "%s: %v; give a readable krb5.conf (or set KRB5_CONFIG)", k.krb5Conf(), err)
	}
	if k.Keytab != "" {
		if _, err := keytab.Load(k.Keytab); err != nil {
			bad("keytab", "%s: %v; give a keytab made by ktutil or kadmin", k.Keytab, err)
		}
		if k.Principal == "" {
			bad("principal", "missing; a keytab needs the principal to log in as, such as kafka2hdfs/_HOST@EXAMPLE.COM")
		}
		return errs
	}
	cc, err := k.ccache()
	if err != nil {
		bad("ccache", "%v", err)
	} else if _, err := credentials.LoadCCache(cc); err != nil {
		bad("ccache", "%s: %v; run kinit first, or set keytab and principal", cc, err)
	}
	return errs
}
