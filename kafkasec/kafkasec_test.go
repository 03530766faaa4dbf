package kafkasec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	loose, tight := filepath.Join(dir, "loose"), filepath.Join(dir, "tight")
	for p, mode := range map[string]os.FileMode{loose: 0o644, tight: 0o600} {
		if err := os.WriteFile(p, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		tls  TLS
		sasl SASL
		want []string // substrings, one per warning
	}{
		{"none", TLS{CAFile: loose}, SASL{Mechanism: ScramSHA512}, nil},
		{"skip verify", TLS{InsecureSkipVerify: true}, SASL{}, []string{"insecure_skip_verify"}},
		{"plain in clear", TLS{}, SASL{Mechanism: "plain"}, []string{"PLAIN without kafka.tls"}},
		{"oauth in clear", TLS{}, SASL{Mechanism: OAuthBearer, OAuth: OAuth{TokenURL: "http://idp/token"}}, []string{"OAUTHBEARER without kafka.tls", "token_url is http://"}},
		{"loose key file", TLS{KeyFile: loose}, SASL{}, []string{"kafka.tls.key_file " + loose + " is readable by group or others (mode 0644)"}},
		{"tight files", TLS{KeyFile: tight}, SASL{Mechanism: GSSAPI, Kerberos: Kerberos{Keytab: tight}}, nil},
		{"loose keytab and token", TLS{Enabled: true}, SASL{Kerberos: Kerberos{Keytab: loose}, OAuth: OAuth{TokenFile: loose}}, []string{"kafka.sasl.kerberos.keytab", "kafka.sasl.oauth.token_file"}},
	} {
		got := Warnings(tc.tls, tc.sasl)
		if len(got) != len(tc.want) {
			t.Errorf("%s: warnings %q, want %d", tc.name, got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: warning %q, want %q in it", tc.name, got[i], w)
			}
		}
	}
}
