package interceptor

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestMask(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		in   field.Value
		want field.Value
	}{
		// FIPS 180-2 test vector, so the default method is pinned to plain SHA-256 of the text.
		{"sha256 vector", Config{Method: "sha256"}, str("abc"), str("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{"sha256 default", Config{}, str("abc"), str("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{"sha256 salt first", Config{Salt: "pepper:"}, str("alice@example.com"), str(sha256Hex("pepper:alice@example.com"))},
		{"sha256 number text", Config{}, num("4.50"), str(sha256Hex("4.50"))},
		{"sha256 object text", Config{}, field.Value{Kind: field.Object, Bytes: []byte(`{"a":1}`)}, str(sha256Hex(`{"a":1}`))},
		{"sha256 empty string", Config{}, str(""), str(sha256Hex(""))},
		{"sha256 missing stays", Config{}, missing, missing},
		{"sha256 null stays", Config{}, null, null},
		// RFC 4231 test case 2.
		{"hmac vector", Config{Method: "hmac-sha256", Key: "Jefe"}, str("what do ya want for nothing?"), str("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")},
		{"hmac missing stays", Config{Method: "hmac-sha256", Key: "Jefe"}, missing, missing},
		{"redact default", Config{Method: "redact"}, str("4111 1111 1111 1111"), str("REDACTED")},
		{"redact replacement", Config{Method: "redact", Replacement: "***"}, num("12"), str("***")},
		{"redact null stays", Config{Method: "redact"}, null, null},
		{"null", Config{Method: "null"}, str("secret"), null},
		{"null missing stays", Config{Method: "null"}, missing, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Type, tt.cfg.Field = "mask", "user.email"
			g := newRig(t, []string{"user.email"}, []string{"user.email"}, tt.cfg)
			r := g.record(tt.in)
			keep, err := g.chain.Intercept(r)
			if got := g.get(r, 0); !keep || err != nil || !sameValue(got, tt.want) {
				t.Errorf("Intercept(%v) = %v, %v, %v, want %v", fmtValue(tt.in), fmtValue(got), keep, err, fmtValue(tt.want))
			}
		})
	}
}

// TestMaskHides checks that nothing after the mask can reach the cleartext: not the name, not a path
// under it, and not a path under a masked parent.
func TestMaskHides(t *testing.T) {
	g := newRig(t, []string{"user.email", "user"}, []string{"user.email", "user.email.domain"},
		Config{Type: "mask", Field: "user.email", Method: "redact"})
	r := g.record(str("a@b.c"), field.Value{Kind: field.Object, Bytes: []byte(`{"email":"a@b.c"}`)})
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	if got := g.get(r, 0); !sameValue(got, str("REDACTED")) {
		t.Errorf("user.email = %v, want REDACTED", fmtValue(got))
	}
	if got := g.get(r, 1); !sameValue(got, missing) {
		t.Errorf("user.email.domain = %v, want missing", fmtValue(got))
	}

	g = newRig(t, []string{"user", "user.email"}, []string{"user", "user.email"},
		Config{Type: "mask", Field: "user", Method: "null"})
	r = g.record(field.Value{Kind: field.Object, Bytes: []byte(`{"email":"a@b.c"}`)}, str("a@b.c"))
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	if got := g.get(r, 0); !sameValue(got, null) {
		t.Errorf("user = %v, want null", fmtValue(got))
	}
	if got := g.get(r, 1); !sameValue(got, missing) {
		t.Errorf("user.email after masking user = %v, want missing", fmtValue(got))
	}
}

func TestMaskHeaderInPlace(t *testing.T) {
	g := newRig(t, []string{"@header.user"}, []string{"@header.user"},
		Config{Type: "mask", Field: "@header.user", Method: "hmac-sha256", Key: "Jefe"})
	if g.in[0] != g.out[0] {
		t.Errorf("@header.user moved from slot %d to %d; headers are masked in place", g.in[0], g.out[0])
	}
	r := g.record(str("what do ya want for nothing?"))
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	want := str("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
	if got := g.get(r, 0); !sameValue(got, want) {
		t.Errorf("Intercept(@header.user) = %v, want %v", fmtValue(got), fmtValue(want))
	}
}

// TestMaskOwnsBytes checks that a masked value survives the reuse of everything it was made from:
// the record's input buffer and the interceptor's pooled hashing state.
func TestMaskOwnsBytes(t *testing.T) {
	for _, method := range []string{"sha256", "hmac-sha256", "redact"} {
		t.Run(method, func(t *testing.T) {
			cfg := Config{Type: "mask", Field: "f", Method: method}
			if method == "hmac-sha256" {
				cfg.Key = "k"
			}
			g := newRig(t, []string{"f"}, []string{"f"}, cfg)
			buf := []byte("first")
			r1 := g.record(field.Value{Kind: field.String, Bytes: buf})
			if _, err := g.chain.Intercept(r1); err != nil {
				t.Fatal(err)
			}
			first := string(g.get(r1, 0).Bytes)

			copy(buf, "xxxxx")
			r2 := g.record(str("second"))
			if _, err := g.chain.Intercept(r2); err != nil {
				t.Fatal(err)
			}
			// A later stage appending to a value must not write into the next record's value.
			_ = append(g.get(r2, 0).Bytes, "tail"...)
			r3 := g.record(str("third"))
			if _, err := g.chain.Intercept(r3); err != nil {
				t.Fatal(err)
			}
			if got := string(g.get(r1, 0).Bytes); got != first {
				t.Errorf("first record's masked value changed from %q to %q", first, got)
			}
			if method == "redact" {
				if got := string(g.get(r3, 0).Bytes); got != "REDACTED" {
					t.Errorf("redacted value = %q after an append to a previous one, want REDACTED", got)
				}
			}
		})
	}
}
