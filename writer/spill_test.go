package writer_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Spilling frees a partition's buffered rows without cutting its files: every bucket still becomes
// exactly one file holding all its rows in offset order, whether its rows were spilled once, many
// times or never, and whether the bucket later grew into a file of its own (its spilled rows then
// go in first) or was written whole at Stage. The spill files leave nothing on disk.
func TestSpillKeepsBucketsWhole(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	spillDir := t.TempDir()
	b := &writer.Budget{SpillDir: spillDir}
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: b, RowGroupBytes: 64 << 10}
	p := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	defer p.Close()

	want := map[string][]int64{} // bucket dir -> offsets written
	spills, freedTotal := 0, int64(0)
	for i := range 6000 {
		dir := fmt.Sprintf("t/b=%02d", i%23)
		if i%2 == 0 {
			dir = "t/big" // spilled first, then grows past the size at which a bucket gets its file
		}
		if err := p.Write(ctx, dir, s, rawRow(t, s, int64(i), i%3)); err != nil {
			t.Fatal(err)
		}
		want[dir] = append(want[dir], int64(i))
		if i%250 == 249 && i < 3000 {
			if b.Files() != 0 {
				t.Fatalf("a bucket got a file before its rows were spilled")
			}
			before := b.Bytes()
			freed, err := p.Spill()
			if err != nil {
				t.Fatal(err)
			}
			if freed <= 0 || b.Bytes() != before-freed {
				t.Fatalf("spill %d: freed %d bytes, budget %d -> %d", spills, freed, before, b.Bytes())
			}
			spills++
			freedTotal += freed
		}
	}
	if b.Spill() <= 0 {
		t.Fatal("nothing in spill files after spilling")
	}
	if b.Files() != 1 {
		t.Fatalf("%d files open; want the big bucket's, opened after its rows were spilled", b.Files())
	}
	if left, _ := os.ReadDir(spillDir); len(left) != 0 {
		t.Errorf("spill dir holds %d entries while spilling; spill files have no name", len(left))
	}
	bytes, segs := b.Spilled()
	t.Logf("%d spills freed %d bytes; %d bytes in %d segments spilled", spills, freedTotal, bytes, segs)

	files, err := p.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Fatalf("staged %d files, want one per bucket: %d", len(files), len(want))
	}
	for _, f := range files {
		tbl, err := verify.ReadPath(p.StagingPath(f))
		if err != nil {
			t.Fatal(err)
		}
		offs := want[f.Dir]
		if len(tbl.Rows) != len(offs) || f.Rows != int64(len(offs)) {
			t.Fatalf("%s: %d rows read, %d staged, want %d", f.Dir, len(tbl.Rows), f.Rows, len(offs))
		}
		off, val, hdr := tbl.Col(schema.ColOffset), tbl.Col("value"), tbl.Col("headers")
		for i, row := range tbl.Rows {
			if row[off] != offs[i] {
				t.Fatalf("%s row %d: offset %v, want %d", f.Dir, i, row[off], offs[i])
			}
			if v, _ := row[val].([]byte); string(v) != `{"a":1}` {
				t.Fatalf("%s row %d: value %q", f.Dir, i, v)
			}
			hs, _ := row[hdr].([]verify.Header)
			if len(hs) != int(offs[i]%3) {
				t.Fatalf("%s row %d: %d headers, want %d", f.Dir, i, len(hs), offs[i]%3)
			}
			for j, h := range hs {
				if h.Key != "h" || string(h.Value) != string(rune('0'+j)) {
					t.Fatalf("%s row %d: header %d is %q=%q", f.Dir, i, j, h.Key, h.Value)
				}
			}
		}
	}
	if b.Bytes() != 0 || b.Files() != 0 || b.Spill() != 0 {
		t.Errorf("after staging: %d bytes, %d files, %d spilled bytes on the budget", b.Bytes(), b.Files(), b.Spill())
	}
}

// Without a spill directory, or once the spill limit is reached, Spill can only end the row
// groups of open files; with neither it frees nothing, which tells the caller to flush. Aborting a
// step with spilled rows takes them off the budget.
func TestSpillLimits(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		budget    *writer.Budget
		wantSpill bool
	}{
		{"no spill dir", &writer.Budget{}, false},
		{"spill limit reached", &writer.Budget{SpillDir: t.TempDir(), MaxSpillBytes: 100}, false},
		{"spilling", &writer.Budget{SpillDir: t.TempDir()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPartition(t, tc.budget) // 1 KiB row groups: a file at 1 KiB of rows
			for i := range 5 {
				if err := p.Write(ctx, "t/small", s, rawRow(t, s, int64(i), 0)); err != nil {
					t.Fatal(err)
				}
			}
			freed, err := p.Spill()
			if err != nil {
				t.Fatal(err)
			}
			if got := freed > 0; got != tc.wantSpill {
				t.Fatalf("freed %d bytes, want spilled: %v", freed, tc.wantSpill)
			}
			if got := tc.budget.Spill() > 0; got != tc.wantSpill {
				t.Fatalf("%d bytes spilled, want spilled: %v", tc.budget.Spill(), tc.wantSpill)
			}
			p.Abort(ctx)
			if tc.budget.Bytes() != 0 || tc.budget.Spill() != 0 {
				t.Errorf("after abort: %d bytes, %d spilled", tc.budget.Bytes(), tc.budget.Spill())
			}
		})
	}
}
