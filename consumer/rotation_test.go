package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// feeder hands a pipeline sample messages with chosen timestamps and reports what is due after each.
type feeder struct {
	t    *testing.T
	pl   *pipeline
	msgs []*sarama.ConsumerMessage
	next int
}

func newFeeder(t *testing.T, n int) *feeder {
	pl, done := benchPipeline(t, benchNineSpec) // kafka timestamps, hourly buckets, 5m lateness
	t.Cleanup(done)
	return &feeder{t: t, pl: pl, msgs: benchMessages(n)}
}

// at feeds the next message (its value replaced if value is given) with Kafka timestamp ts.
func (f *feeder) at(ts time.Time, value ...[]byte) (due string) {
	f.t.Helper()
	m := f.msgs[f.next]
	m.Offset, m.Timestamp = int64(f.next), ts
	if len(value) > 0 {
		m.Value = value[0]
	}
	f.next++
	if err := f.pl.handle(context.Background(), m); err != nil {
		f.t.Fatal(err)
	}
	return f.pl.due(time.Now())
}

var tenOClock = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// Neither a late record nor a bucket closing cuts the step: a cut ends every file of the partition,
// and when a bucket closes in an in-order stream the next bucket has been written to for the
// allowed lateness, so each hour would get two files, the second starting minutes in. An in-order
// stream over several hours is one step with one file per hour until a limit of the step cuts it.
func TestBucketCloseDoesNotCutTheStep(t *testing.T) {
	f := newFeeder(t, 60)
	hour := tenOClock
	for i := range 10 {
		if why := f.at(hour.Add(time.Duration(i) * 3 * time.Minute)); why != "" {
			t.Fatalf("record %d in an open bucket: due %q", i, why)
		}
	}
	if why := f.at(hour.Add(-105 * time.Minute)); why != "" { // 08:15, long closed
		t.Fatalf("a late record made the step due: %q", why)
	}
	// 11:04 to 13:50: the 10:00, 11:00 and 12:00 buckets close (5m lateness) as the stream moves on.
	for i := range 15 {
		if why := f.at(hour.Add(64*time.Minute + time.Duration(i)*12*time.Minute)); why != "" {
			t.Fatalf("record %d: a bucket closing made the step due: %q", i, why)
		}
	}
	if why := f.at(hour.Add(-30 * time.Minute)); why != "" { // 09:30, late again
		t.Fatalf("a late record made the step due: %q", why)
	}
	ctx := context.Background()
	files, err := f.pl.w.Seal().Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, file := range files {
		rows[file.Dir] += file.Rows
	}
	want := map[string]int64{"clicks/dt=2026-11-22/hour=08": 1, "clicks/dt=2026-11-22/hour=09": 1, "clicks/dt=2026-11-22/hour=10": 10,
		"clicks/dt=2026-11-22/hour=11": 5, "clicks/dt=2026-11-22/hour=12": 5, "clicks/dt=2026-11-22/hour=13": 5}
	if len(files) != len(want) {
		t.Fatalf("%d files %v, want one per bucket %v", len(files), rows, want)
	}
	for dir, n := range want {
		if rows[dir] != n {
			t.Errorf("%s: %d rows, want %d (all: %v)", dir, rows[dir], n, rows)
		}
	}
	f.pl.w.RemoveStaged(ctx, files)
}

// A small file is counted as closed when its own bucket had closed by the time its step was cut
// (it could not have grown), and by the cut otherwise: here the late record's bucket and the one
// that closed are closed, the newest bucket was cut while open. Dead letters are not counted.
func TestSmallFilesByCause(t *testing.T) {
	f := newFeeder(t, 5)
	hour := tenOClock
	f.at(hour)
	f.at(hour.Add(-105 * time.Minute))
	f.at(hour.Add(30*time.Minute), []byte("not json")) // a dead letter, in a file of its own
	f.at(hour.Add(30 * time.Minute))
	if why := f.at(hour.Add(66 * time.Minute)); why != "" {
		t.Fatalf("due %q after the 10:00 bucket closed, want nothing due", why)
	}
	if err := f.pl.flush(context.Background(), "drain"); err != nil {
		t.Fatal(err)
	}
	sum := f.pl.g.stats.Summary()
	if sum.Bad != 1 || sum.Files != 4 {
		t.Fatalf("%d dead letters in %d files; want 1, and 4 files (3 data, 1 dead letter)", sum.Bad, sum.Files)
	}
	if got := sum.SmallFiles; len(got) != 2 || got[SmallClosed] != 2 || got["drain"] != 1 {
		t.Errorf("small files by cause %v, want closed 2 (hours 08 and 10), drain 1 (hour 11, still open)", got)
	}
}
