package writer

import (
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

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
	if _, err := b.add(row); err != nil {
		t.Fatal(err)
	}
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

// A refused row is taken back out of every column it reached, across a chunk boundary too, and the
// rows before it read back unchanged.
func TestRowBufferRefusedRowLeavesNoTrace(t *testing.T) {
	row := func(i int64, cols ...int) parquet.Row {
		r := make(parquet.Row, len(cols))
		for k, c := range cols {
			r[k] = parquet.Int64Value(i*10+int64(k)).Level(0, 0, c)
		}
		return r
	}
	b := newRowBuffer(3)
	var want [3][]int64
	good := 0
	for i := int64(0); good < 3*maxValueChunk; i++ {
		if _, err := b.add(row(i, 0, 1, 2)); err != nil {
			t.Fatal(err)
		}
		good++
		for c := range 3 {
			want[c] = append(want[c], i*10+int64(c))
		}
		// Refused rows, tried where a column's chunk is full too (the refused row then starts
		// a new chunk, which must be taken back).
		for name, bad := range map[string]parquet.Row{
			"missing last":   row(i, 0, 1),
			"missing middle": row(i, 0, 2),
			"out of order":   row(i, 1, 0, 2),
			// As many values as columns, refused only at the last value or the second.
			"repeated, last missing":   row(i, 0, 1, 1),
			"repeated, middle missing": row(i, 0, 0, 2),
			"no column":                {parquet.Int64Value(i)},
			"too many":                 row(i, 0, 1, 2, 3),
			"empty":                    nil,
		} {
			if _, err := b.add(bad); err == nil {
				t.Fatalf("row %d: %s accepted", i, name)
			}
		}
	}
	if b.rows != int64(good) {
		t.Fatalf("rows = %d, want %d", b.rows, good)
	}
	for c := range 3 {
		var got []int64
		_ = b.column(c, func(vals []parquet.Value) error {
			for _, v := range vals {
				if v.Column() != c {
					t.Fatalf("column %d holds a value of column %d", c, v.Column())
				}
				got = append(got, v.Int64())
			}
			return nil
		})
		if !slices.Equal(got, want[c]) {
			t.Fatalf("column %d: %d values, want %d (first difference at %d)", c, len(got), len(want[c]), firstDiff(got, want[c]))
		}
	}
}

func firstDiff(a, b []int64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
