package kafkasec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

func TestGSSAPIConfig(t *testing.T) {
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n  default_realm = EXAMPLE.COM\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kt := keytab.New()
	if err := kt.AddEntry("kafka2hdfs", "EXAMPLE.COM", "pw", time.Now(), 1, 18); err != nil { // 18: aes256-cts-hmac-sha1-96
		t.Fatal(err)
	}
	ktPath := filepath.Join(dir, "loader.keytab")
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ktPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	sc := sarama.NewConfig()
	err = Apply(sc, TLS{}, SASL{Mechanism: "gssapi", Kerberos: Kerberos{Principal: "kafka2hdfs", Keytab: ktPath, Krb5Conf: krb5}})
	if err != nil {
		t.Fatal(err)
	}
	g := sc.Net.SASL.GSSAPI
	if sc.Net.SASL.Mechanism != sarama.SASLTypeGSSAPI || g.AuthType != sarama.KRB5_KEYTAB_AUTH || g.KeyTabPath != ktPath ||
		g.Username != "kafka2hdfs" || g.Realm != "EXAMPLE.COM" || g.ServiceName != "kafka" || g.KerberosConfigPath != krb5 || !g.DisablePAFXFAST {
		t.Errorf("GSSAPI = %+v", g)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("sarama rejects the config: %v", err)
	}

	host, _ := os.Hostname()
	sc = sarama.NewConfig()
	if err := Apply(sc, TLS{}, SASL{Mechanism: GSSAPI, Kerberos: Kerberos{Principal: "svc/_HOST@OTHER.ORG", Keytab: ktPath, Krb5Conf: krb5, ServiceName: "kafka-prod"}}); err != nil {
		t.Fatal(err)
	}
	if g := sc.Net.SASL.GSSAPI; g.Username != "svc/"+strings.ToLower(host) || g.Realm != "OTHER.ORG" || g.ServiceName != "kafka-prod" {
		t.Errorf("_HOST principal: %+v", g)
	}

	// No keytab: the ticket cache, which must exist.
	err = Apply(sarama.NewConfig(), TLS{}, SASL{Mechanism: GSSAPI, Kerberos: Kerberos{CCache: filepath.Join(dir, "nocache"), Krb5Conf: krb5}})
	if err == nil || !strings.Contains(err.Error(), "kafka.sasl.kerberos: ccache") || !strings.Contains(err.Error(), "kinit") {
		t.Errorf("missing ccache: %v", err)
	}
}
