package consumer

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

func TestStallWatch(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const after = 10 * time.Second
	for _, tc := range []struct {
		name     string
		at       time.Duration // since the last record
		received bool          // a record arrived since the last check
		buffered int
		next     int64
		logEnd   int64
		endErr   error
		readable bool
		// want: a stall; asked: which broker requests were made.
		want                 bool
		askedEnd, askedProbe bool
		wantErr              bool
		// sinceReset: the next look is counted from this check.
		sinceReset bool
	}{
		{name: "not idle long enough", at: after - time.Millisecond, next: 5, logEnd: 9, readable: true},
		{name: "records buffered", at: 2 * after, buffered: 3, next: 5, logEnd: 9, readable: true, sinceReset: true},
		{name: "records received", at: 2 * after, received: true, next: 5, logEnd: 9, readable: true, sinceReset: true},
		{name: "caught up", at: after, next: 9, logEnd: 9, askedEnd: true, sinceReset: true},
		{name: "log end unknown", at: after, next: 5, endErr: errors.New("broker down"), askedEnd: true, wantErr: true, sinceReset: true},
		{name: "only markers left", at: after, next: 8, logEnd: 9, readable: false, askedEnd: true, askedProbe: true, sinceReset: true},
		{name: "stalled", at: after, next: 5, logEnd: 9, readable: true, want: true, askedEnd: true, askedProbe: true, sinceReset: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var askedEnd, askedProbe bool
			var probed int64 = -1
			sw := &stallWatch{after: after,
				logEnd: func() (int64, error) { askedEnd = true; return tc.logEnd, tc.endErr },
				probe:  func(o, _ int64) (bool, error) { askedProbe, probed = true, o; return tc.readable, nil },
				since:  t0,
			}
			if tc.received {
				sw.receive()
			}
			now := t0.Add(tc.at)
			st, err := sw.check(now, tc.buffered, tc.next)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if (st != nil) != tc.want {
				t.Fatalf("stall %+v, want %v", st, tc.want)
			}
			if askedEnd != tc.askedEnd || askedProbe != tc.askedProbe {
				t.Fatalf("asked log end %v, probe %v; want %v, %v", askedEnd, askedProbe, tc.askedEnd, tc.askedProbe)
			}
			if askedProbe && probed != tc.next {
				t.Fatalf("probed at %d, want the next offset %d", probed, tc.next)
			}
			if st != nil && (st.next != tc.next || st.logEnd != tc.logEnd || st.idle != tc.at) {
				t.Fatalf("stall %+v, want next %d log end %d idle %s", st, tc.next, tc.logEnd, tc.at)
			}
			wantSince := t0
			if tc.sinceReset {
				wantSince = now
			}
			if !sw.since.Equal(wantSince) {
				t.Fatalf("next look counted from %s, want %s", sw.since, wantSince)
			}
		})
	}
	t.Run("markers probed once", func(t *testing.T) {
		probes := 0
		end := int64(9)
		sw := &stallWatch{after: after, since: t0,
			logEnd: func() (int64, error) { return end, nil },
			probe:  func(int64, int64) (bool, error) { probes++; return false, nil },
		}
		now := t0
		for range 3 {
			now = now.Add(after)
			if st, err := sw.check(now, 0, 8); st != nil || err != nil {
				t.Fatalf("check: %+v, %v", st, err)
			}
		}
		if probes != 1 {
			t.Fatalf("%d probes of an unchanged partition with nothing readable, want 1", probes)
		}
		end = 10 // a record (or marker) more: look again
		if _, err := sw.check(now.Add(after), 0, 8); err != nil || probes != 2 {
			t.Fatalf("after the log end moved: %d probes (err %v), want 2", probes, err)
		}
	})
	t.Run("off", func(t *testing.T) {
		sw := &stallWatch{after: 0,
			logEnd: func() (int64, error) { t.Fatal("asked the log end"); return 0, nil },
			probe:  func(int64, int64) (bool, error) { t.Fatal("probed"); return false, nil },
			since:  t0,
		}
		if st, err := sw.check(t0.Add(time.Hour), 0, 1); st != nil || err != nil {
			t.Fatalf("check of a disabled watch: %+v, %v", st, err)
		}
	})
}

func TestStallTimeout(t *testing.T) {
	cfg := sarama.NewConfig()
	cfg.Consumer.Group.Session.Timeout = 30 * time.Second
	for _, tc := range []struct {
		set, session, want time.Duration
	}{
		{0, 30 * time.Second, time.Minute},
		{0, 2 * time.Second, 10 * time.Second},
		{3 * time.Second, 30 * time.Second, 3 * time.Second},
		{-1, 30 * time.Second, 0},
	} {
		cfg.Consumer.Group.Session.Timeout = tc.session
		if got := stallTimeout(Options{StallTimeout: tc.set, Sarama: cfg}); got != tc.want {
			t.Errorf("StallTimeout %s, session %s: %s, want %s", tc.set, tc.session, got, tc.want)
		}
	}
}

// fakeSession and fakeClaim stand in for sarama's: the claim's Messages channel is fed by the test.
type fakeSession struct{ ctx context.Context }

func (s fakeSession) Claims() map[string][]int32                  { return nil }
func (s fakeSession) MemberID() string                            { return "m" }
func (s fakeSession) GenerationID() int32                         { return 1 }
func (s fakeSession) MarkOffset(string, int32, int64, string)     {}
func (s fakeSession) Commit()                                     {}
func (s fakeSession) ResetOffset(string, int32, int64, string)    {}
func (s fakeSession) MarkMessage(*sarama.ConsumerMessage, string) {}
func (s fakeSession) Context() context.Context                    { return s.ctx }

type fakeClaim struct{ msgs chan *sarama.ConsumerMessage }

func (c fakeClaim) Topic() string                            { return "clicks" }
func (c fakeClaim) Partition() int32                         { return 0 }
func (c fakeClaim) InitialOffset() int64                     { return 0 }
func (c fakeClaim) HighWaterMarkOffset() int64               { return 0 }
func (c fakeClaim) Messages() <-chan *sarama.ConsumerMessage { return c.msgs }

// A claim that sarama stops feeding while the partition has more records ends the session (the
// group rejoins) instead of waiting on its Messages channel forever; an idle partition that is
// caught up does not.
func TestLoopEndsStalledClaim(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stalled bool
	}{{"stalled", true}, {"caught up", false}} {
		t.Run(tc.name, func(t *testing.T) {
			pl, done := benchPipeline(t, benchNineSpec)
			defer done()
			g := pl.g
			reg := prometheus.NewRegistry()
			g.metrics = newMetrics(reg)
			g.opts.Rotation.MaxAge = 40 * time.Millisecond // ticks every 10ms
			const logEnd = 100
			var probes atomic.Int32
			g.stallWatch = func(tp offsets.TP, now time.Time) *stallWatch {
				if tp != pl.tp {
					t.Errorf("watch of %v, want %v", tp, pl.tp)
				}
				return &stallWatch{after: 200 * time.Millisecond, since: now,
					logEnd: func() (int64, error) {
						if tc.stalled {
							return logEnd, nil
						}
						return pl.next, nil
					},
					probe: func(o, _ int64) (bool, error) { probes.Add(1); return o < logEnd, nil },
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ended atomic.Bool
			h := &handler{g: g, fatal: func(err error) { t.Errorf("fatal: %v", err) }, endSession: func() { ended.Store(true); cancel() }}
			claim := fakeClaim{msgs: make(chan *sarama.ConsumerMessage, 8)}
			// A few records arrive, then sarama stops delivering.
			ts := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
			for i := range 3 {
				key, value := sample.Event(rand.New(rand.NewPCG(1, 2)), i, ts, 0)
				claim.msgs <- &sarama.ConsumerMessage{Topic: "clicks", Offset: int64(i), Key: key, Value: value, Timestamp: ts}
			}
			res := make(chan error, 1)
			start := time.Now()
			go func() { res <- h.loop(fakeSession{ctx}, claim, pl) }()
			if !tc.stalled {
				select {
				case err := <-res:
					t.Fatalf("loop of a caught-up idle claim returned %v", err)
				case <-time.After(time.Second):
				}
				cancel() // the session ends for another reason
			}
			select {
			case err := <-res:
				if err != nil {
					t.Fatalf("loop: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the loop kept waiting on a claim that is fed nothing while its partition has more records")
			}
			if ended.Load() != tc.stalled {
				t.Fatalf("session ended by the watch: %v, want %v", ended.Load(), tc.stalled)
			}
			if tc.stalled {
				if d := time.Since(start); d < 200*time.Millisecond {
					t.Fatalf("stall declared after %s, before the 200ms timeout", d)
				}
				if probes.Load() != 1 {
					t.Fatalf("%d probes, want 1", probes.Load())
				}
				if got := stalls(t, reg, "clicks"); got != 1 {
					t.Fatalf("stall counter %v, want 1", got)
				}
			} else if probes.Load() != 0 {
				t.Fatalf("%d probes of a caught-up partition, want 0", probes.Load())
			}
			if pl.next != 3 {
				t.Fatalf("next %d, want 3", pl.next)
			}
		})
	}
}

// stalls reads kafka2hdfs_claim_stalls_total of topic from reg.
func stalls(t *testing.T, reg *prometheus.Registry, topic string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "kafka2hdfs_claim_stalls_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "topic" && l.GetValue() == topic {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// The real log end and probe, against kfake: a partition whose last offset is a transaction's
// commit marker has a log end past the last record, and the probe tells it from a stall.
func TestStallWatchProbe(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "clicks"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.TransactionalID("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "clicks", Partition: 0, Value: []byte{byte(i)}}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 2 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 200 * time.Millisecond
	commits, err := sarama.NewClient(c.ListenAddrs(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer commits.Close()
	g := &Group{opts: Options{Brokers: c.ListenAddrs(), Sarama: cfg}, commits: commits}
	sw := g.newStallWatch(offsets.TP{Topic: "clicks", Partition: 0}, time.Now())
	if sw.after != 10*time.Second {
		t.Errorf("default timeout %s, want 10s (2x a 2s session, at least 10s)", sw.after)
	}
	end, err := sw.logEnd()
	if err != nil {
		t.Fatal(err)
	}
	if end != 4 {
		t.Fatalf("log end %d, want 4 (3 records and the commit marker)", end)
	}
	for _, tc := range []struct {
		offset int64
		want   bool
	}{{0, true}, {2, true}, {3, false}} {
		got, err := sw.probe(tc.offset, end)
		if err != nil {
			t.Fatalf("probe at %d: %v", tc.offset, err)
		}
		if got != tc.want {
			t.Errorf("probe at %d: %v, want %v", tc.offset, got, tc.want)
		}
	}
	// After the last record the claim expects offset 3; the log end is 4 but nothing is readable.
	sw.since = time.Now().Add(-time.Minute)
	if st, err := sw.check(time.Now(), 0, 3); st != nil || err != nil {
		t.Fatalf("check after the last record, before the marker: %+v, %v; want no stall", st, err)
	}
	sw.since = time.Now().Add(-time.Minute)
	if st, err := sw.check(time.Now(), 0, 1); st == nil || err != nil {
		t.Fatalf("check with records 1 and 2 unread: %+v, %v; want a stall", st, err)
	}
}
