package writer_test

import (
	"context"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Settling a closed bucket gives its buffered rows to its file and off the budget, and the bucket
// still becomes one file with every row in order, late rows written after the Settle included.
func TestSettleKeepsOneFile(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &writer.Budget{}
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"}, Budget: b, RowGroupBytes: 1 << 20}
	p := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	defer p.Close()
	want := map[string][]int64{}
	write := func(dir string, off int64) {
		if err := p.Write(ctx, dir, s, rawRow(t, s, off, 0)); err != nil {
			t.Fatal(err)
		}
		want[dir] = append(want[dir], off)
	}
	for i := range 2000 {
		write("t/h=10", int64(i))
	}
	write("t/h=11", 2000)
	before := p.Buffered()
	if err := p.Settle(ctx, "t/h=10"); err != nil {
		t.Fatal(err)
	}
	if b.Files() != 1 || p.Buffered() >= before {
		t.Fatalf("after Settle: %d files open, %d bytes buffered (was %d); want the closed bucket's rows in its file", b.Files(), p.Buffered(), before)
	}
	// A bucket whose rows cost less than a writer keeps them.
	if err := p.Settle(ctx, "t/h=11"); err != nil || b.Files() != 1 {
		t.Fatalf("settling a one-row bucket: %v, %d files open", err, b.Files())
	}
	if err := p.Settle(ctx, "t/none"); err != nil {
		t.Fatal(err)
	}
	write("t/h=10", 2001) // a late row
	write("t/h=11", 2002)
	files, err := p.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("staged %d files, want one per bucket", len(files))
	}
	for _, f := range files {
		tbl, err := verify.ReadPath(p.StagingPath(f))
		if err != nil {
			t.Fatal(err)
		}
		offs, col := want[f.Dir], tbl.Col(schema.ColOffset)
		if len(tbl.Rows) != len(offs) {
			t.Fatalf("%s: %d rows, want %d", f.Dir, len(tbl.Rows), len(offs))
		}
		for i, row := range tbl.Rows {
			if row[col] != offs[i] {
				t.Fatalf("%s row %d: offset %v, want %d", f.Dir, i, row[col], offs[i])
			}
		}
	}
	p.RemoveStaged(ctx, files)
}
