package e2e

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// Helpers shared by the fault scenarios: in-process members whose logs the test can search, and
// seeded randomness.

// logged is an in-process member whose log lines are kept.
type logged struct {
	*member
	log *syncBuffer
}

// startLogged is h.start with the member's log kept for assertions.
func (h *harness) startLogged(name string, cfg *config.Config, batch bool) *logged {
	h.t.Helper()
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(buf, testWriter{h.t, name}), &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts, err := cfg.GroupOptions(batch, log, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &logged{member: h.launch(name, opts), log: buf}
}

// count is how many log lines contain every one of subs.
func (l *logged) count(subs ...string) int { return countLines(l.log.String(), subs...) }

func countLines(out string, subs ...string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		ok := line != ""
		for _, s := range subs {
			if !strings.Contains(line, s) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return n
}

// withSession returns cfg with a short session, so members that die or freeze are expelled fast.
func withSession(t *testing.T, cfg *config.Config, d time.Duration) *config.Config {
	t.Helper()
	cfg.Kafka.SessionTimeout = config.Duration(d)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// seeded returns a random source seeded from K2H_SEED or the clock, and logs the seed so a failing
// run can be replayed.
func seeded(t *testing.T) (*rand.Rand, uint64) {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("K2H_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("K2H_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("random seed %d (replay with K2H_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), seed
}

// between is a uniformly random duration in [lo, hi].
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// timelines holds, per harness, where the next produceNext chunk's event times start.
var timelines sync.Map // *harness → time.Time

// produceNext is produceWith for scenarios that produce many chunks: each chunk's event times
// continue where the previous chunk's ended (about 2 s of event time per record), instead of
// starting over at the same hour. Starting over makes every record of a later chunk late by hours,
// so each one closes its bucket on arrival and becomes a step of its own, which a fault scenario
// does not need and cannot afford. It is safe to call from any goroutine, but not concurrently.
func (h *harness) produceNext(n, badEvery int) error {
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	if v, ok := timelines.Load(h); ok {
		start = v.(time.Time)
	}
	span := time.Duration(n) * 2 * time.Second
	h.seed++
	p, err := sample.Produce(context.Background(), h.brokers, sample.Options{Topic: h.topic, Records: n, BadEvery: badEvery,
		Span: span, Start: start, Seed: h.seed})
	if err != nil {
		return err
	}
	timelines.Store(h, start.Add(span))
	for part, cnt := range p.PerPartition {
		h.produced[verify.TP{Topic: h.topic, Partition: part}] += cnt
	}
	for part, offs := range p.Bad {
		tp := verify.TP{Topic: h.topic, Partition: part}
		if h.bad[tp] == nil {
			h.bad[tp] = map[int64]bool{}
		}
		for _, o := range offs {
			h.bad[tp][o] = true
		}
	}
	return nil
}

// more is produceNext from the test goroutine.
func (h *harness) more(n, badEvery int) {
	h.t.Helper()
	if err := h.produceNext(n, badEvery); err != nil {
		h.t.Fatal(err)
	}
}
