package writer

import (
	"testing"

	"github.com/parquet-go/parquet-go"
)

// The row buffer's fast path must be the one taken with the parquet-go this module pins; if an
// upgrade changed parquet.Value's layout, this fails and says why add got slower.
func TestValuePtrPatchable(t *testing.T) {
	if !valuePtrPatchable {
		t.Fatal("parquet.Value no longer holds its bytes' pointer first: rowBuffer.add rebuilds every byte-array value (slower, still correct)")
	}
}

// A buffered row reads back exactly as it was given, its bytes copied out of the caller's memory.
func TestRowBufferCopiesBytes(t *testing.T) {
	src := []byte("hello world")
	row := parquet.Row{
		parquet.ByteArrayValue(src[:5]).Level(0, 1, 0),
		parquet.ValueOf(nil).Level(0, 0, 1),
		parquet.FixedLenByteArrayValue(src[6:]).Level(0, 0, 2),
		parquet.Int64Value(42).Level(0, 0, 3),
	}
	want := row.Clone()
	b := newRowBuffer(len(row))
	b.add(row, 1)
	copy(src, "XXXXXXXXXXX")
	for c := range row {
		var got []parquet.Value
		if err := b.column(c, func(v []parquet.Value) error { got = append(got, v...); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !parquet.Equal(got[0], want[c]) || got[0].Column() != c ||
			got[0].DefinitionLevel() != want[c].DefinitionLevel() || got[0].RepetitionLevel() != want[c].RepetitionLevel() {
			t.Errorf("column %d: got %v, want %v", c, got, want[c])
		}
	}
}
