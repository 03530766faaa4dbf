package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// landed counts, per topic-partition and offset, how many rows (data or dead letter) hold it.
func landed(t *testing.T, root string) map[verify.TP]map[int64]int {
	t.Helper()
	rep, err := verify.Output(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[verify.TP]map[int64]int{}
	for _, fs := range [][]verify.FileRows{rep.Files, rep.DeadLetters} {
		for _, f := range fs {
			tp := f.TP()
			if out[tp] == nil {
				out[tp] = map[int64]int{}
			}
			for _, o := range f.Offsets {
				out[tp][o]++
			}
		}
	}
	return out
}

// wantExactly fails unless every offset in [from[tp], to[tp]) landed once and nothing else did.
func wantExactly(t *testing.T, got map[verify.TP]map[int64]int, from, to map[verify.TP]int64) {
	t.Helper()
	for tp, end := range to {
		for o := from[tp]; o < end; o++ {
			if n := got[tp][o]; n != 1 {
				t.Errorf("%v offset %d landed %d times, want once", tp, o, n)
			}
		}
	}
	for tp, offs := range got {
		for o := range offs {
			if o < from[tp] || o >= to[tp] {
				t.Errorf("%v offset %d landed but is outside [%d, %d)", tp, o, from[tp], to[tp])
			}
		}
	}
}

func newClient(t *testing.T, brokers []string) sarama.Client {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cl, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// kafka.start decides where a partition with nothing committed and no files begins.
func TestStartPositions(t *testing.T) {
	for _, tc := range []struct {
		start string
		// first returns the first offset of tp the loader must load.
		first func(cl sarama.Client, tp verify.TP) int64
	}{
		{consumer.StartEarliest, func(sarama.Client, verify.TP) int64 { return 0 }},
		{consumer.StartLatest, nil}, // the log end when the member starts
		{"2026-11-22T01:30:00Z", func(cl sarama.Client, tp verify.TP) int64 {
			ts := time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)
			o, err := cl.GetOffset(tp.Topic, tp.Partition, ts.UnixMilli())
			if err != nil {
				t.Fatal(err)
			}
			return o
		}},
	} {
		t.Run(tc.start, func(t *testing.T) {
			h := newHarness(t, "clicks", 2)
			h.produce(2_000, 0) // event times over 2026-11-22 00:00..03:00
			cl := newClient(t, h.brokers)
			from := map[verify.TP]int64{}
			for tp, n := range h.produced {
				if tc.first == nil {
					from[tp] = n
				} else {
					from[tp] = tc.first(cl, tp)
				}
			}
			cfg := h.config("g-start")
			cfg.Kafka.Start = tc.start
			m := h.start("m", cfg, false)
			// Recovery commits the resolved start position; wait for it before producing more.
			h.waitCommittedAtLeast("g-start", from, 30*time.Second)
			h.produce(1_000, 0)
			h.waitCommitted("g-start", 1, 60*time.Second)
			m.stop(t)
			wantExactly(t, landed(t, h.root), from, h.produced)
		})
	}
}

// waitCommittedAtLeast waits until every partition's committed offset reached want.
func (h *harness) waitCommittedAtLeast(group string, want map[verify.TP]int64, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := h.committed(group)
		ok := true
		for tp, w := range want {
			if c[tp] < w {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("group %s did not commit %v within %s: %v", group, want, timeout, c)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A topic pattern is re-resolved while running: a topic created later is picked up and loaded.
func TestTopicPatternPicksUpNewTopics(t *testing.T) {
	h := newHarness(t, "clicks-a", 2)
	h.produce(1_000, 0)
	cl := newClient(t, h.brokers)
	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.config("g-pattern")
	cfg.Topics[0].Name, cfg.Topics[0].Pattern = "", "clicks-.*"
	cfg.Kafka.TopicRefresh = 1_000_000_000 // 1s
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	m := h.start("m", cfg, false)
	h.waitCommitted("g-pattern", 1, 60*time.Second)

	if err := admin.CreateTopic("clicks-b", &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	h.topic = "clicks-b"
	h.produce(1_000, 0)
	h.waitCommitted("g-pattern", 1, 60*time.Second)
	m.stop(t)

	from := map[verify.TP]int64{}
	wantExactly(t, landed(t, h.root), from, h.produced)
	if len(h.produced) != 4 {
		t.Fatalf("produced to %d partitions, want 4", len(h.produced))
	}
	// The committed offsets of both topics are the log ends.
	var tps []offsets.TP
	for tp := range h.produced {
		tps = append(tps, toTP(tp))
	}
	got, err := kafkaoffsets.FetchCommitted(context.Background(), cl, cl.Config(), "g-pattern", tps)
	if err != nil {
		t.Fatal(err)
	}
	for tp, n := range h.produced {
		if got[toTP(tp)].Offset != n {
			t.Errorf("%v committed %d, want %d", tp, got[toTP(tp)].Offset, n)
		}
	}
}
