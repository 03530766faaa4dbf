package pqvalue

import (
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The in-place paths must be the ones taken with the parquet-go this module pins, and agree with
// its exported API (init stops the program if they do not; this says so in a test run first).
func TestLayout(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the in-place layout is used on amd64 and arm64; on %s Fast is %v", runtime.GOARCH, Fast)
	}
	if why := layoutMismatch(); !Fast || why != "" {
		t.Fatalf("parquet.Value is not as pqvalue reads it in place: %s", why)
	}
}

// Whatever this architecture compiles in, the functions agree with parquet-go's exported API; and
// the fallbacks kept apart so that the functions inline agree with them, on every architecture.
func TestFallback(t *testing.T) {
	abc := []byte("abc")
	v := parquet.ByteArrayValue(abc)
	SetLevels(&v, 1, 2, 7)
	if Column(&v) != 7 || Kind(&v) != parquet.ByteArray || IsNull(&v) || v.RepetitionLevel() != 1 || v.DefinitionLevel() != 2 {
		t.Fatalf("SetLevels: %v", v)
	}
	w := parquet.ByteArrayValue(abc)
	setLevelsSlow(&w, 1, 2, 7)
	if w != v {
		t.Fatalf("setLevelsSlow: %v, SetLevels: %v", w, v)
	}
	xyz := []byte("xyz")
	SetByteArray(&v, xyz)
	setByteArraySlow(&w, xyz)
	if string(w.ByteArray()) != "xyz" || w.Column() != 7 || w.DefinitionLevel() != 2 || w.RepetitionLevel() != 1 {
		t.Fatalf("setByteArraySlow: %v", w)
	}
	if Fast && w != v {
		t.Fatalf("setByteArraySlow: %v, SetByteArray: %v", w, v)
	}
	var c parquet.Value
	Copy(&c, &v)
	if string(ByteArray(&c)) != "xyz" || c.Column() != 7 || c.DefinitionLevel() != 2 {
		t.Fatalf("copy %v", c)
	}
	n := parquet.NullValue()
	if !IsNull(&n) || Column(&n) != -1 {
		t.Fatalf("null %v column %d", n, Column(&n))
	}
}
