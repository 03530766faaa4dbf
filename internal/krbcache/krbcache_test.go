package krbcache_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/kafka2hdfs/kafka2hdfs/internal/krbcache"
	"github.com/kafka2hdfs/kafka2hdfs/internal/testkrb"
)

func TestCheck(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	cred := func(service string, realm string, end time.Time) testkrb.Cred {
		return testkrb.Cred{
			Server:      types.NewPrincipalName(nametype.KRB_NT_SRV_INST, service),
			ServerRealm: realm,
			Key:         types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)},
			AuthTime:    end.Add(-time.Hour), StartTime: end.Add(-time.Hour), EndTime: end,
			Flags: []byte{0, 0, 0, 0},
		}
	}
	for _, c := range []struct {
		name  string
		creds []testkrb.Cred
		want  string // "" for no error
	}{
		{"valid TGT", []testkrb.Cred{cred("krbtgt/EXAMPLE.COM", "EXAMPLE.COM", now.Add(time.Minute))}, ""},
		{"expired TGT", []testkrb.Cred{cred("krbtgt/EXAMPLE.COM", "EXAMPLE.COM", now.Add(-90*time.Second))},
			": the ticket-granting ticket of loader@EXAMPLE.COM expired at 2026-12-05T11:58:30Z (1m30s ago); run kinit again, or set kafka.sasl.kerberos.keytab and principal"},
		{"TGT ends now", []testkrb.Cred{cred("krbtgt/EXAMPLE.COM", "EXAMPLE.COM", now)}, "expired at 2026-12-05T12:00:00Z (0s ago)"},
		{"service ticket only", []testkrb.Cred{cred("kafka/127.0.0.1", "EXAMPLE.COM", now.Add(time.Hour))},
			" holds no ticket-granting ticket for loader@EXAMPLE.COM; run kinit, or set kafka.sasl.kerberos.keytab and principal"},
		{"TGT of another realm only", []testkrb.Cred{cred("krbtgt/OTHER.ORG", "OTHER.ORG", now.Add(time.Hour))},
			" holds no ticket-granting ticket for loader@EXAMPLE.COM"},
		{"empty cache", nil, " holds no ticket-granting ticket"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "krb5cc")
			if err := testkrb.WriteCCache(p, "loader", "EXAMPLE.COM", c.creds...); err != nil {
				t.Fatal(err)
			}
			cc, err := credentials.LoadCCache(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := krbcache.Principal(cc); got != "loader@EXAMPLE.COM" {
				t.Errorf("Principal = %q", got)
			}
			err = krbcache.Check(cc, p, "kafka.sasl.kerberos", now)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Check: %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "ticket cache "+p)):
				t.Errorf("Check: %v, want ticket cache %s...%q", err, p, c.want)
			}
		})
	}
}
