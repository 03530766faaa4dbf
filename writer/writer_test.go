package writer_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

func newPartition(t *testing.T, budget *writer.Budget) *writer.Partition {
	t.Helper()
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: budget, RowGroupBytes: 1 << 10}
	p := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	t.Cleanup(p.Close)
	return p
}

// rawRow is a valid row of the raw schema: metadata columns, value, headers (a repeated column).
func rawRow(t *testing.T, s *schema.Schema, off int64, headers int) parquet.Row {
	t.Helper()
	r := &record.Record{Topic: "t", Offset: off, Value: []byte(`{"a":1}`)}
	for i := range headers {
		r.Headers = append(r.Headers, record.Header{Key: "h", Value: []byte{byte('0' + i)}})
	}
	row, err := s.AppendRaw(r, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// A row that does not hold every column in order is refused before any of it is written, so the
// file stays readable and holds exactly the good rows.
func TestWriteRefusesMalformedRows(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := newPartition(t, &writer.Budget{})
	good := 0
	for i := range 300 {
		if err := p.Write(ctx, "t/d", s, rawRow(t, s, int64(i), i%3)); err != nil {
			t.Fatal(err)
		}
		good++
		full := rawRow(t, s, int64(i), 0) // one value per column, so dropping one drops a column
		bad := map[string]parquet.Row{
			"empty":          nil,
			"last missing":   full[:len(full)-1],
			"first missing":  full[1:],
			"middle missing": append(append(parquet.Row{}, full[:2]...), full[3:]...),
			"out of order":   append(append(parquet.Row{full[1]}, full[0]), full[2:]...),
		}
		for name, row := range bad {
			if err := p.Write(ctx, "t/d", s, row); err == nil {
				t.Fatalf("%s: Write accepted a malformed row", name)
			}
		}
	}
	files, err := p.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Rows != int64(good) {
		t.Fatalf("staged %+v, want one file of %d rows", files, good)
	}
	tbl, err := verify.ReadPath(p.StagingPath(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != good {
		t.Fatalf("read %d rows back, want %d", len(tbl.Rows), good)
	}
	off := tbl.Col(schema.ColOffset)
	for i, row := range tbl.Rows {
		if row[off] != int64(i) {
			t.Fatalf("row %d has offset %v", i, row[off])
		}
	}
}

// A sealed batch keeps its memory on the budget until it is staged, while the partition buffers
// the next step's rows beside it; staging releases exactly the batch's share.
func TestSealedBatchStaysOnBudgetUntilStaged(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &writer.Budget{}
	p := newPartition(t, b)
	for i := range 30 {
		if err := p.Write(ctx, "t/a", s, rawRow(t, s, int64(i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	sealedBytes, sealedFiles := b.Bytes(), b.Files()
	if sealedBytes <= 0 || sealedFiles != 1 {
		t.Fatalf("before sealing: %d bytes, %d files; want bytes and the one file a row group opened", sealedBytes, sealedFiles)
	}
	batch := p.Seal()
	if p.Buckets() != 0 || b.Bytes() != sealedBytes || b.Files() != 1 {
		t.Fatalf("after sealing: %d buckets, budget %d bytes %d files; want 0 buckets and the budget unchanged", p.Buckets(), b.Bytes(), b.Files())
	}
	for i := 30; i < 33; i++ {
		if err := p.Write(ctx, "t/b", s, rawRow(t, s, int64(i), 0)); err != nil {
			t.Fatal(err)
		}
	}
	nextBytes := b.Bytes() - sealedBytes
	if nextBytes <= 0 || b.Files() != 1 {
		t.Fatalf("next step: %d bytes, %d files on the budget; want bytes and no new file (3 rows fill no row group)", nextBytes, b.Files())
	}
	files, err := batch.Stage(ctx)
	if err != nil || len(files) != 1 || files[0].Rows != 30 {
		t.Fatalf("stage batch: %+v, %v", files, err)
	}
	if b.Bytes() != nextBytes || b.Files() != 0 {
		t.Fatalf("after staging the batch: %d bytes, %d files; want %d bytes, 0 files", b.Bytes(), b.Files(), nextBytes)
	}
	p.Abort(ctx)
	if b.Bytes() != 0 || b.Files() != 0 {
		t.Fatalf("after abort: %d bytes, %d files", b.Bytes(), b.Files())
	}
}

// Rows of a bucket with an open file are handed to its column writers in batches: whatever ends
// a row group or the file early (Settle, Spill, Stage) writes the pending batch first, so the file
// holds every row, in order, and the budget gets back to zero.
func TestBatchedRowsKeepTheirOrder(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &writer.Budget{}
	p := newPartition(t, b)
	const n = 1000
	for i := range n {
		if err := p.Write(ctx, "t/d", s, rawRow(t, s, int64(i), i%3)); err != nil {
			t.Fatal(err)
		}
		switch {
		case i%211 == 5:
			if err := p.Settle(ctx, "t/d"); err != nil {
				t.Fatal(err)
			}
		case i%97 == 3:
			if _, err := p.Spill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := p.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Rows != n {
		t.Fatalf("staged %+v, want one file of %d rows", files, n)
	}
	if b.Bytes() != 0 || b.Files() != 0 {
		t.Fatalf("after staging: %d bytes, %d files on the budget", b.Bytes(), b.Files())
	}
	tbl, err := verify.ReadPath(p.StagingPath(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != n {
		t.Fatalf("read %d rows back, want %d", len(tbl.Rows), n)
	}
	off, hdr := tbl.Col(schema.ColOffset), tbl.Col("headers")
	for i, row := range tbl.Rows {
		if row[off] != int64(i) {
			t.Fatalf("row %d has offset %v", i, row[off])
		}
		if h := reflect.ValueOf(row[hdr]); h.Kind() != reflect.Slice || h.Len() != i%3 {
			t.Fatalf("row %d has headers %v, want %d", i, row[hdr], i%3)
		}
	}
}
