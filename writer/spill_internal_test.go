package writer

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// Every kind of value, null included, comes back from a spill segment with its levels and column.
func TestSpillValueRoundTrip(t *testing.T) {
	cols := [][]parquet.Value{
		{
			parquet.BooleanValue(true).Level(0, 1, 0),
			parquet.BooleanValue(false).Level(0, 1, 0),
			parquet.NullValue().Level(0, 0, 0),
		},
		{
			parquet.Int32Value(-7).Level(0, 0, 1),
			parquet.Int64Value(-1<<62).Level(0, 0, 1),
			parquet.Int96Value(deprecated.Int96{1, 2, 0xffffffff}).Level(0, 0, 1),
		},
		{
			parquet.FloatValue(-1.5).Level(1, 2, 2),
			parquet.DoubleValue(3.25e300).Level(0, 2, 2),
		},
		{
			parquet.ByteArrayValue([]byte("hello")).Level(0, 3, 3),
			parquet.ByteArrayValue([]byte{}).Level(2, 3, 3),
			parquet.FixedLenByteArrayValue([]byte{1, 2, 3, 4}).Level(0, 0, 3),
		},
		{}, // a column with no values (all rows empty lists would still have values; this tests the count)
	}
	seg := appendSegment(nil, cols)
	src := seg
	for c, want := range cols {
		var got []parquet.Value
		var err error
		got, src, err = decodeColumn(src, c, nil)
		if err != nil {
			t.Fatalf("column %d: %v", c, err)
		}
		if len(got) != len(want) {
			t.Fatalf("column %d: %d values, want %d", c, len(got), len(want))
		}
		for i := range want {
			w, g := want[i], got[i]
			if !parquet.Equal(w, g) || w.Kind() != g.Kind() || w.IsNull() != g.IsNull() ||
				w.RepetitionLevel() != g.RepetitionLevel() || w.DefinitionLevel() != g.DefinitionLevel() ||
				g.Column() != c {
				t.Errorf("column %d value %d: got %v (kind %v, r%d d%d c%d), want %v", c, i,
					g, g.Kind(), g.RepetitionLevel(), g.DefinitionLevel(), g.Column(), w)
			}
		}
	}
	if len(src) != 0 {
		t.Errorf("%d bytes left after the last column", len(src))
	}
}

// A spill segment is only ever read back by the process that wrote it, but a decoder must still
// refuse (not panic on) whatever a short read or a bug could hand it, and what it accepts must
// encode back to the same bytes.
func FuzzDecodeColumn(f *testing.F) {
	f.Add(appendSegment(nil, [][]parquet.Value{{parquet.ByteArrayValue([]byte("ab")).Level(0, 1, 0), parquet.NullValue()}}))
	f.Add(appendSegment(nil, [][]parquet.Value{{parquet.Int64Value(5), parquet.DoubleValue(1), parquet.Int96Value(deprecated.Int96{1, 2, 3})}}))
	f.Add([]byte{0x05, 0x06})
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, rest, err := decodeColumn(data, 0, nil)
		if err != nil {
			return
		}
		used := data[:len(data)-len(rest)]
		if len(used) == 0 {
			t.Fatal("decoded a column from no bytes")
		}
		// A non-canonical uvarint or a boolean byte other than 0/1 decodes fine but encodes
		// differently; what it encodes to must then be a fixed point (values compared as bytes,
		// so that NaN equals itself).
		again := appendSegment(nil, [][]parquet.Value{vals})
		back, rest, err := decodeColumn(again, 0, nil)
		if err != nil || len(rest) != 0 || len(back) != len(vals) {
			t.Fatalf("re-encoded values do not decode: %d of %d values, %d bytes left, %v", len(back), len(vals), len(rest), err)
		}
		if third := appendSegment(nil, [][]parquet.Value{back}); !bytes.Equal(third, again) {
			t.Fatalf("encoding is not stable: %x then %x", again, third)
		}
	})
}
