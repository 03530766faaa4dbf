package pqvalue

import (
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The in-place paths must be the ones taken with the parquet-go this module pins; if an upgrade
// changed parquet.Value's layout, this fails and says why the loader got slower.
func TestLayout(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the in-place layout is checked on amd64 and arm64; on %s it may differ (Fast is %v)", runtime.GOARCH, Fast)
	}
	if !Fast {
		t.Fatal("parquet.Value's layout is not the one pqvalue assumes: every cell goes through parquet-go's exported accessors (slower, still correct)")
	}
}

// The fallbacks agree with the in-place paths (where the layout allows those).
func TestFallback(t *testing.T) {
	defer func(f bool) { Fast = f }(Fast)
	modes := []bool{false}
	if Fast {
		modes = append(modes, true)
	}
	for _, fast := range modes {
		Fast = fast
		v := parquet.ByteArrayValue([]byte("abc"))
		SetLevels(&v, 1, 2, 7)
		if Column(&v) != 7 || Kind(&v) != parquet.ByteArray || IsNull(&v) || v.RepetitionLevel() != 1 || v.DefinitionLevel() != 2 {
			t.Fatalf("fast %v: %v", fast, v)
		}
		SetByteArray(&v, []byte("xyz"))
		var c parquet.Value
		Copy(&c, &v)
		if string(ByteArray(&c)) != "xyz" || c.Column() != 7 || c.DefinitionLevel() != 2 {
			t.Fatalf("fast %v: copy %v", fast, c)
		}
		n := parquet.NullValue()
		if !IsNull(&n) || Column(&n) != -1 {
			t.Fatalf("fast %v: null %v column %d", fast, n, Column(&n))
		}
	}
}
