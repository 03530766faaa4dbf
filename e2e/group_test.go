package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// Two members share six partitions; one stops mid-load and comes back, a third joins while records
// are still being produced. Every offset must be in the output exactly once.
func TestMembersJoinLeaveAndRestart(t *testing.T) {
	h := newHarness(t, "clicks", 6)
	h.produce(12_000, 500)
	const group = "g-members"
	a := h.start("a", h.config(group), false)
	b := h.start("b", h.config(group), false)
	h.waitCommitted(group, 0.2, 60*time.Second)

	b.stop(t) // graceful: flushes, commits, leaves; a takes over b's partitions
	h.produce(6_000, 500)
	h.waitCommitted(group, 0.5, 60*time.Second)

	b = h.start("b2", h.config(group), false)
	c := h.start("c", h.config(group), false)
	h.produce(6_000, 500)
	h.waitCommitted(group, 1, 90*time.Second)

	for _, m := range []*member{a, b, c} {
		m.stop(t)
	}
	rep := h.check()
	t.Logf("%d records over %d data files and %d dead-letter files", h.total(), len(rep.Files), len(rep.DeadLetters))
	if committed := h.committed(group); !equalOffsets(committed, h.produced) {
		t.Errorf("committed %v, want the log ends %v", committed, h.produced)
	}
}

// batch snapshots the high watermarks at start, loads exactly up to them, and returns nil even
// though more records arrive while it runs.
func TestBatchStopsAtStartWatermark(t *testing.T) {
	h := newHarness(t, "orders", 3)
	h.produce(3_000, 0)
	before := copyOffsets(h.produced)
	const group = "g-batch"
	m := h.start("batch", h.config(group), true)

	// Produce more once the snapshot is taken: the batch must not wait for these.
	deadline := time.Now().Add(30 * time.Second)
	for m.g.Targets() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no snapshot within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	targets := m.g.Targets()
	for tp, n := range before {
		if got := targets[toTP(tp)]; got != n {
			t.Fatalf("snapshot of %v = %d, want %d", tp, got, n)
		}
	}
	h.produce(1_500, 0)
	m.finish(t, 60*time.Second)
	if got := h.committed(group); !equalOffsets(got, before) {
		t.Fatalf("committed %v, want the start-time watermarks %v", got, before)
	}
	// The output holds exactly the records below the snapshot.
	after := h.produced
	h.produced = before
	h.check()

	// A second batch picks up the rest, and nothing twice.
	h.produced = after
	m2 := h.start("batch2", h.config(group), true)
	m2.finish(t, 60*time.Second)
	h.check()
}

// Malformed records (truncated JSON, a missing required field, a wrong type) go to the dead-letter
// files with their offsets; nothing else is lost.
func TestMalformedRecordsGoToDeadLetters(t *testing.T) {
	h := newHarness(t, "events", 2)
	h.produce(2_000, 7) // one in seven is malformed
	const group = "g-bad"
	m := h.start("bad", h.config(group), true)
	if err := <-m.done; err != nil {
		t.Fatal(err)
	}
	m.cancel = nil
	rep := h.check()
	nbad := 0
	for _, f := range rep.DeadLetters {
		nbad += len(f.Offsets)
	}
	if want := 2_000 / 7; nbad != want {
		t.Errorf("%d dead letters, want %d", nbad, want)
	}
	if s := m.g.Stats().Summary(); s.Bad != int64(nbad) || s.Written+s.Bad != 2_000 {
		t.Errorf("stats %+v disagree with the output (%d dead letters)", s, nbad)
	}
}

// --max-bad-records stops the job with a clear error, and what was committed before is intact.
func TestMaxBadRecordsStopsTheJob(t *testing.T) {
	h := newHarness(t, "events", 1)
	h.produce(1_000, 10)
	cfg := h.config("g-max")
	limit := int64(5)
	cfg.Errors.MaxBadRecords = &limit
	m := h.start("max", cfg, true)
	var err error
	select {
	case err = <-m.done:
		m.cancel = nil
	case <-time.After(60 * time.Second):
		t.Fatal("no stop within 60s")
	}
	if !errors.Is(err, consumer.ErrTooManyBadRecords) {
		t.Fatalf("Run = %v, want ErrTooManyBadRecords", err)
	}
	// Whatever was committed is in the output exactly once, and nothing beyond it is.
	committed := h.committed("g-max")
	h.produced = committed
	h.check()
	_ = context.Background()
}

func equalOffsets(a, b map[verify.TP]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func copyOffsets(m map[verify.TP]int64) map[verify.TP]int64 {
	out := make(map[verify.TP]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
