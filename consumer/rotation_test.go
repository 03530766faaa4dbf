package consumer

import (
	"context"
	"testing"
	"time"
)

// A late record, for a bucket the watermark has already closed, rides with the step instead of
// cutting it: otherwise each late record of an out-of-order stream would flush the partition, and
// every open bucket's file with it, tiny. A bucket that closes while open still cuts the step.
func TestLateRecordDoesNotCutTheStep(t *testing.T) {
	pl, done := benchPipeline(t, benchNineSpec) // kafka timestamps, hourly buckets, 5m lateness
	defer done()
	ctx := context.Background()
	msgs := benchMessages(40)
	hour := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	feed := func(i int, ts time.Time) string {
		t.Helper()
		m := msgs[i]
		m.Offset, m.Timestamp = int64(i), ts
		if err := pl.handle(ctx, m); err != nil {
			t.Fatal(err)
		}
		return pl.due(time.Now())
	}
	for i := range 10 {
		if why := feed(i, hour.Add(time.Duration(i)*3*time.Minute)); why != "" {
			t.Fatalf("record %d in an open bucket: due %q", i, why)
		}
	}
	if why := feed(10, hour.Add(-105*time.Minute)); why != "" { // 08:15, long closed
		t.Fatalf("a late record made the step due: %q", why)
	}
	if why := feed(11, hour.Add(64*time.Minute)); why != "" { // 11:04: 10:00's bucket not closed yet
		t.Fatalf("within the lateness: due %q", why)
	}
	if why := feed(12, hour.Add(66*time.Minute)); why != "bucket closed" { // 11:06 passes 11:00 + 5m
		t.Fatalf("the open bucket closed: due %q, want bucket closed", why)
	}
	batch := pl.w.Seal()
	files, err := batch.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, f := range files {
		rows[f.Dir] = f.Rows
	}
	want := map[string]int64{"clicks/dt=2026-11-22/hour=10": 10, "clicks/dt=2026-11-22/hour=08": 1, "clicks/dt=2026-11-22/hour=11": 2}
	if len(rows) != len(want) {
		t.Fatalf("step files %v, want %v", rows, want)
	}
	for dir, n := range want {
		if rows[dir] != n {
			t.Errorf("%s: %d rows, want %d (all: %v)", dir, rows[dir], n, rows)
		}
	}
	pl.w.RemoveStaged(ctx, files)
}

// A small file is counted as closed when its own bucket had closed by the time its step was cut
// (it could not have grown), and by the cut otherwise: here the late record's bucket and the one
// that just closed are closed, the newest bucket was cut while open.
func TestSmallFilesByCause(t *testing.T) {
	pl, done := benchPipeline(t, benchNineSpec) // kafka timestamps, hourly buckets, 5m lateness
	defer done()
	ctx := context.Background()
	msgs := benchMessages(4)
	hour := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i, ts := range []time.Time{hour, hour.Add(-105 * time.Minute), hour.Add(30 * time.Minute), hour.Add(66 * time.Minute)} {
		m := msgs[i]
		m.Offset, m.Timestamp = int64(i), ts
		if err := pl.handle(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	why := pl.due(time.Now())
	if why != "bucket closed" {
		t.Fatalf("due %q, want bucket closed", why)
	}
	if err := pl.flush(ctx, why); err != nil {
		t.Fatal(err)
	}
	got := pl.g.stats.Summary().SmallFiles
	if len(got) != 2 || got[SmallClosed] != 2 || got["bucket closed"] != 1 {
		t.Errorf("small files by cause %v, want closed 2 (hours 08 and 10), bucket closed 1 (hour 11, still open)", got)
	}
}
