package writer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
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

// A spill file has no name at any moment where the file system allows it, so a kill between
// creating and unlinking it (which other partitions may be doing when one of them hits a kill)
// cannot leave it behind.
func TestSpillFileHasNoName(t *testing.T) {
	dir := t.TempDir()
	f, err := openAnonymous(dir)
	if errors.Is(err, errNoAnonymous) {
		t.Skipf("%s cannot make anonymous files: spill files are named, then unlinked", dir)
	}
	if err != nil {
		t.Fatalf("open an anonymous file: %v", err)
	}
	sf := &spillFile{f: f}
	defer sf.close()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("an open spill file shows as %d directory entries", len(left))
	}
	if _, err := sf.f.WriteAt([]byte("rows"), 0); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := sf.f.ReadAt(got, 0); err != nil || string(got) != "rows" {
		t.Errorf("read back %q, %v", got, err)
	}
}

// What a kill left in the spill directory is cleared at the next start; other files are not
// touched.
func TestPrepareSpillDir(t *testing.T) {
	dir := t.TempDir()
	spillDir := filepath.Join(dir, "spill")
	if n, err := PrepareSpillDir(spillDir); err != nil || n != 0 {
		t.Fatalf("a new directory: removed %d, %v", n, err)
	}
	left := []string{"kafka2hdfs-123.spill", "kafka2hdfs-9.spill"}
	keep := []string{"notes.txt", "kafka2hdfs-1.spill.keep", "other-1.spill"}
	for _, name := range append(left, keep...) {
		if err := os.WriteFile(filepath.Join(spillDir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := PrepareSpillDir(spillDir)
	if err != nil || n != len(left) {
		t.Errorf("removed %d, %v; want %d", n, err, len(left))
	}
	var got []string
	entries, _ := os.ReadDir(spillDir)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(keep))
	if !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := PrepareSpillDir(filepath.Join(file, "spill")); err == nil {
		t.Error("a directory under a file was accepted")
	}
}
