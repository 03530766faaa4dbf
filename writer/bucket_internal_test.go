package writer

import (
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// A buffered row reads back exactly as it was given, its bytes copied out of the caller's memory.
func TestRowBufferCopiesBytes(t *testing.T) {
	for _, flat := range []bool{false, true} {
		t.Run(mode(flat), func(t *testing.T) { testRowBufferCopiesBytes(t, flat) })
	}
}

// mode names a row buffer's mode in subtests.
func mode(flat bool) string {
	if flat {
		return "flat"
	}
	return "repeated columns"
}

func testRowBufferCopiesBytes(t *testing.T, flat bool) {
	src := []byte("hello world")
	row := parquet.Row{
		parquet.ByteArrayValue(src[:5]).Level(0, 1, 0),
		parquet.ValueOf(nil).Level(0, 0, 1),
		parquet.FixedLenByteArrayValue(src[6:]).Level(0, 0, 2),
		parquet.Int64Value(42).Level(0, 0, 3),
	}
	want := row.Clone()
	b := newRowBuffer(len(row), flat)
	if _, err := b.add(row); err != nil {
		t.Fatal(err)
	}
	copy(src, "XXXXXXXXXXX")
	for c := range row {
		var got []parquet.Value
		if err := b.column(c, new([]parquet.Value), func(v []parquet.Value) error { got = append(got, v...); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !parquet.Equal(got[0], want[c]) || got[0].Column() != c ||
			got[0].DefinitionLevel() != want[c].DefinitionLevel() || got[0].RepetitionLevel() != want[c].RepetitionLevel() {
			t.Errorf("column %d: got %v, want %v", c, got, want[c])
		}
	}
}

// A refused row is taken back out of every column it reached, across a chunk boundary too, and the
// rows before it read back unchanged; in a flat buffer, whose schema repeats no column, a repeated
// value is refused too.
func TestRowBufferRefusedRowLeavesNoTrace(t *testing.T) {
	for _, flat := range []bool{false, true} {
		t.Run(mode(flat), func(t *testing.T) { testRowBufferRefusedRowLeavesNoTrace(t, flat) })
	}
}

func testRowBufferRefusedRowLeavesNoTrace(t *testing.T, flat bool) {
	row := func(i int64, cols ...int) parquet.Row {
		r := make(parquet.Row, len(cols))
		for k, c := range cols {
			r[k] = parquet.Int64Value(i*10+int64(k)).Level(0, 0, c)
		}
		return r
	}
	b := newRowBuffer(3, flat)
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
		bads := map[string]parquet.Row{
			"missing last":   row(i, 0, 1),
			"missing middle": row(i, 0, 2),
			"out of order":   row(i, 1, 0, 2),
			// As many values as columns, refused only at the last value or the second.
			"repeated, last missing":   row(i, 0, 1, 1),
			"repeated, middle missing": row(i, 0, 0, 2),
			"no column":                {parquet.Int64Value(i)},
			"too many":                 row(i, 0, 1, 2, 3),
			"empty":                    nil,
		}
		if flat {
			bads["a column repeated"] = row(i, 0, 1, 1, 2)
			bads["a column repeated, last missing"] = row(i, 0, 1, 1)
		}
		for name, bad := range bads {
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
		_ = b.column(c, new([]parquet.Value), func(vals []parquet.Value) error {
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

// Every kind of value reads back as it was added, bytes of every size among them: empty and nil,
// short, one byte either side of an arena chunk's size, several chunks long, across many chunks,
// and again after the buffer is rewound for the next batch (its current chunk kept) and reset.
// The cost counts at least the cells' capacity and the current arena chunk, and exactly those
// once rewound (TestBudgetCountsRealMemory holds the whole cost against the heap).
func TestRowBufferCellsRoundTrip(t *testing.T) {
	for _, flat := range []bool{false, true} {
		t.Run(mode(flat), func(t *testing.T) { testRowBufferCellsRoundTrip(t, flat) })
	}
}

func testRowBufferCellsRoundTrip(t *testing.T, flat bool) {
	sizes := []int{0, 1, 7, 15, 16, 100, maxChunk - 1, maxChunk, maxChunk + 1, 3 * maxChunk, 5}
	row := func(i int) parquet.Row {
		n := sizes[i%len(sizes)]
		p := make([]byte, n)
		for k := range p {
			p[k] = byte(i*31 + k)
		}
		null := parquet.NullValue()
		if i%3 == 0 {
			null = parquet.Int32Value(int32(-i))
		}
		r := parquet.Row{
			parquet.ByteArrayValue(p).Level(0, 1, 0),
			parquet.ByteArrayValue(nil).Level(0, 1, 1),
			parquet.FixedLenByteArrayValue([]byte{byte(i), 2, 3}).Level(0, 0, 2),
			parquet.Int64Value(-int64(i)<<33).Level(0, 0, 3),
			parquet.DoubleValue(float64(i)/3).Level(0, 0, 4),
			parquet.Int96Value(deprecated.Int96{uint32(i), 1, ^uint32(0)}).Level(0, 0, 5),
			parquet.BooleanValue(i%2 == 0).Level(0, 0, 6),
			null.Level(0, 0, 7),
			parquet.ByteArrayValue([]byte("abc")).Level(0, 2, 8),
		}
		if !flat { // a repeated column: a second value, with repetition level 1
			r = append(r, parquet.ByteArrayValue(p[:min(n, 9)]).Level(1, 2, 8))
		}
		return r
	}
	const columns = 9
	rows := make([]parquet.Row, 3120)
	for i := range rows {
		rows[i] = row(i)
	}
	b := newRowBuffer(columns, flat)
	check := func(from, to int) {
		t.Helper()
		for c := range columns {
			var got []parquet.Value
			_ = b.column(c, new([]parquet.Value), func(v []parquet.Value) error { got = append(got, v...); return nil })
			var want []parquet.Value
			for i := from; i < to; i++ {
				for _, v := range rows[i] {
					if v.Column() == c {
						want = append(want, v)
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("column %d: %d values, want %d", c, len(got), len(want))
			}
			for k := range want {
				g, w := got[k], want[k]
				if !parquet.Equal(g, w) || g.Kind() != w.Kind() || g.Column() != c ||
					g.RepetitionLevel() != w.RepetitionLevel() || g.DefinitionLevel() != w.DefinitionLevel() {
					t.Fatalf("column %d value %d: got %v, want %v", c, k, g, w)
				}
			}
		}
		if held := cellsAndCurrentChunk(b); b.cost < held {
			t.Fatalf("cost %d, below the %d its cells and current arena chunk hold", b.cost, held)
		}
	}
	add := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := b.add(rows[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(0, 3000)
	if len(b.bases) < 10 {
		t.Fatalf("%d arena chunks: the test meant to cross many", len(b.bases))
	}
	check(0, 3000)
	b.rewind()
	if len(b.bases) != 1 {
		t.Fatalf("rewind kept %d arena chunks, want the current one", len(b.bases))
	}
	// What a rewound buffer holds is its current chunks, which the cost then counts exactly.
	if held := cellsAndCurrentChunk(b); b.cost != held {
		t.Fatalf("rewound: cost %d, want the %d its cells and current arena chunk hold", b.cost, held)
	}
	add(3000, 3100)
	check(3000, 3100)
	if freed := b.reset(); freed <= 0 || b.cost != 0 || b.rows != 0 {
		t.Fatalf("reset freed %d, left cost %d and %d rows", freed, b.cost, b.rows)
	}
	add(3100, 3120)
	check(3100, 3120)
}

// cellsAndCurrentChunk is the capacity b's cells and current arena chunk hold, in bytes.
func cellsAndCurrentChunk(b *rowBuffer) int64 {
	var n int64
	for c := range b.cols {
		n += int64(cap(b.cols[c])) * cellSize
		for _, f := range b.full[c] {
			n += int64(cap(f)) * cellSize
		}
	}
	return n + int64(cap(b.chunk))
}
