package pqvalue

import (
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
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
	if Column(&v) != 7 || v.Kind() != parquet.ByteArray || IsNull(&v) || v.RepetitionLevel() != 1 || v.DefinitionLevel() != 2 {
		t.Fatalf("SetLevels: %v", v)
	}
	w := parquet.ByteArrayValue(abc)
	setLevelsSlow(&w, 1, 2, 7)
	if w != v {
		t.Fatalf("setLevelsSlow: %v, SetLevels: %v", w, v)
	}
	n := parquet.NullValue()
	if !IsNull(&n) || Column(&n) != -1 {
		t.Fatalf("null %v column %d", n, Column(&n))
	}
}

// Words and SetWords, and their fallbacks, give back every kind of value with its levels and
// column; the fallbacks on every architecture, so that one not built here is still tested.
func TestWordsRoundTrip(t *testing.T) {
	for _, base := range []parquet.Value{
		parquet.NullValue(), parquet.BooleanValue(true), parquet.BooleanValue(false), parquet.Int32Value(-7),
		parquet.Int64Value(-1 << 40), parquet.FloatValue(-1.5), parquet.DoubleValue(2.5),
		parquet.ByteArrayValue([]byte("abc")), parquet.ByteArrayValue(nil), parquet.FixedLenByteArrayValue([]byte("wxyz")),
		parquet.Int96Value(deprecated.Int96{1, 2, 0xffffffff}),
	} {
		for _, lv := range [][3]int{{0, 0, 0}, {1, 2, 3}, {255, 255, parquet.MaxColumnIndex}} {
			v := base.Level(lv[0], lv[1], lv[2])
			for name, f := range map[string]struct {
				words    func(*parquet.Value) (*byte, uint64, uint64)
				setWords func(*parquet.Value, *byte, uint64, uint64)
			}{"Words": {Words, SetWords}, "wordsSlow": {wordsSlow, setWordsSlow}} {
				ptr, u64, tail := f.words(&v)
				var got parquet.Value
				f.setWords(&got, ptr, u64, tail)
				if tail&Padding != 0 || !parquet.Equal(got, v) || got.Kind() != v.Kind() || got.Column() != v.Column() ||
					got.RepetitionLevel() != v.RepetitionLevel() || got.DefinitionLevel() != v.DefinitionLevel() {
					t.Errorf("%s of %v (levels %v): got %v, tail %#x", name, v, lv, got, tail)
				}
			}
		}
	}
}
