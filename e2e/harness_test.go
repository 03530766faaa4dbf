// Package e2e holds whole-run tests: a real Kafka protocol (kfake over TCP), the loader's own
// consumer-group members (in process, or the real binary as a subprocess that gets SIGKILLed), and
// an independent reader (arrow-go, in internal/verify) that counts every offset in the output.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// harness is one kfake cluster and one output root.
type harness struct {
	t        *testing.T
	cluster  *kfake.Cluster
	brokers  []string
	root     string
	topic    string
	parts    int
	produced map[verify.TP]int64
	bad      map[verify.TP]map[int64]bool
	seed     uint64
	// excluded reports offsets below the log end that hold no record a consumer sees (aborted
	// transactional records, commit markers); nil: every offset is a record.
	excluded func(verify.TP, int64) bool
	// real is the real test environment the harness runs on; nil on the fast tier (kfake, local
	// output root).
	real *realEnv
	id   string // the real tier's suffix of the harness's topic, groups and root
	// hdfsOpts open the output root when set (the secure HDFS, with Kerberos); else the zero
	// options.
	hdfsOpts *storage.HDFSOptions
}

func newHarness(t *testing.T, topic string, partitions int) *harness {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(partitions), topic),
		kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	teachKfake(c)
	return &harness{t: t, cluster: c, brokers: c.ListenAddrs(), root: t.TempDir(), topic: topic, parts: partitions,
		produced: map[verify.TP]int64{}, bad: map[verify.TP]map[int64]bool{}}
}

// produce writes n sample events, every badEvery-th malformed, and remembers what went where.
func (h *harness) produce(n, badEvery int) {
	h.t.Helper()
	h.seed++
	if err := h.produceWith(n, badEvery, 3*time.Hour); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) produceWith(n, badEvery int, span time.Duration) error {
	p, err := sample.Produce(context.Background(), h.brokers, sample.Options{Topic: h.topic, Records: n, BadEvery: badEvery,
		Span: span, Start: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), Seed: h.seed})
	if err != nil {
		return err
	}
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

func (h *harness) total() int64 {
	n := int64(0)
	for _, c := range h.produced {
		n += c
	}
	return n
}

// configYAML is a realistic topic config with small rotation limits, so runs make many steps.
func (h *harness) configYAML(group string) string {
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: %s
  session_timeout: 6s
  rebalance_timeout: 20s
output:
  root: %s
rotation:
  max_records: 700
  max_age: 300ms
  allowed_lateness: 1m
log:
  level: info
topics:
  - name: %s
    interceptors:
      - {type: mask, field: user.email, method: sha256}
      - {type: add_field, field: ingested_by, source: hostname}
    partitioner: {granularity: hour}
    schema:%s
`, strings.Join(h.brokers, ", "), group, h.root, h.topic, h.schema())
}

// schema is the topic's column list: the sample schema, with the real tier's extra columns.
func (h *harness) schema() string {
	if h.real != nil {
		return sample.Schema + realExtraColumns
	}
	return sample.Schema
}

func (h *harness) config(group string) *config.Config {
	h.t.Helper()
	return h.configEdited(group, nil)
}

// configEdited is config with the YAML edited first; an edit that changes nothing fails the test
// (the harness config no longer has what it replaces).
func (h *harness) configEdited(group string, edit func(string) string) *config.Config {
	h.t.Helper()
	y := h.configYAML(group)
	if edit != nil {
		before := y
		if y = edit(y); y == before {
			h.t.Fatal("the config edit changed nothing: the harness config no longer has what it replaces")
		}
	}
	cfg, err := config.Parse([]byte(y))
	if err != nil {
		h.t.Fatal(err)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		h.t.Fatal(err)
	}
	return cfg
}

// member is one in-process loader.
type member struct {
	name   string
	g      *consumer.Group
	cancel context.CancelFunc
	done   chan error
}

func (h *harness) start(name string, cfg *config.Config, batch bool) *member {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{h.t, name}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts, err := cfg.GroupOptions(batch, log, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.launch(name, opts)
}

// launch runs a member with opts until its stop (registered as cleanup).
func (h *harness) launch(name string, opts consumer.Options) *member {
	h.t.Helper()
	g, err := consumer.New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{name: name, g: g, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := g.Run(ctx)
		_ = g.Close()
		m.done <- err
	}()
	h.t.Cleanup(func() { m.stop(h.t) })
	return m
}

// stop asks the member to drain and waits for it.
func (m *member) stop(t *testing.T) {
	t.Helper()
	if m.cancel == nil {
		return
	}
	m.cancel()
	m.cancel = nil
	select {
	case err := <-m.done:
		if err != nil {
			t.Errorf("member %s: %v", m.name, err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("member %s did not stop within 60s", m.name)
	}
}

// wait returns what the member's Run returned, failing the test if it does not return within
// timeout; detail, if given, adds what the test knows about why (the group's state, say).
func (m *member) wait(t *testing.T, timeout time.Duration, detail ...func() string) error {
	t.Helper()
	select {
	case err := <-m.done:
		m.cancel = nil
		return err
	case <-time.After(timeout):
		msg := fmt.Sprintf("member %s did not finish within %s", m.name, timeout)
		for _, d := range detail {
			msg += "; " + d()
		}
		t.Fatal(msg)
		return nil
	}
}

// finish waits for a batch member to return and requires a clean finish.
func (m *member) finish(t *testing.T, timeout time.Duration, detail ...func() string) {
	t.Helper()
	if err := m.wait(t, timeout, detail...); err != nil {
		t.Fatalf("member %s: %v", m.name, err)
	}
}

// committed reads the group's committed offsets of every partition.
func (h *harness) committed(group string) map[verify.TP]int64 {
	h.t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cl, err := sarama.NewClient(h.brokers, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	defer cl.Close()
	// Every partition produced to (of any topic), and the current topic's others.
	seen := map[offsets.TP]bool{}
	var tps []offsets.TP
	for p := 0; p < h.parts; p++ {
		seen[offsets.TP{Topic: h.topic, Partition: int32(p)}] = true
	}
	for tp := range h.produced {
		seen[toTP(tp)] = true
	}
	for tp := range seen {
		tps = append(tps, tp)
	}
	got, err := kafkaoffsets.FetchCommitted(context.Background(), cl, cfg, group, tps)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[verify.TP]int64{}
	for tp, c := range got {
		out[verify.TP{Topic: tp.Topic, Partition: tp.Partition}] = c.Offset
	}
	return out
}

// waitCommitted waits until the group committed at least frac of what was produced, per
// partition; frac 1 means everything.
func (h *harness) waitCommitted(group string, frac float64, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c := h.committed(group)
		ok := true
		for tp, n := range h.produced {
			if float64(c[tp]) < frac*float64(n) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			dumpGoroutines(h.t)
			h.t.Fatalf("group %s did not commit %.0f%% of %v within %s: committed %v", group, frac*100, h.produced, timeout, c)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check reads the whole output with the independent reader and requires every produced offset
// exactly once: good records in data files, malformed ones in dead-letter files.
func (h *harness) check() *verify.Report {
	h.t.Helper()
	rep, err := verify.Output(h.root)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(rep.Staging) > 0 {
		h.t.Logf("staging leftovers (removed by the next recovery; never published): %v", rep.Staging)
	}
	// Every offset is in exactly one data or dead-letter file (nothing is filtered here), the
	// step ranges tile each partition...
	if err := rep.Check(h.produced, h.excluded); err != nil {
		h.t.Fatalf("exactly-once check: %v", err)
	}
	// ...and the dead-letter files hold exactly the malformed records.
	h.checkDeadLetters(rep)
	return rep
}

// checkDeadLetters requires the dead-letter files to hold exactly the malformed records, each once.
func (h *harness) checkDeadLetters(rep *verify.Report) {
	h.t.Helper()
	seen := map[verify.TP]map[int64]int{}
	for _, f := range rep.DeadLetters {
		tp := verify.TP{Topic: f.Topic, Partition: f.Partition}
		if seen[tp] == nil {
			seen[tp] = map[int64]int{}
		}
		for _, o := range f.Offsets {
			seen[tp][o]++
		}
	}
	for tp, bad := range h.bad {
		for o := range bad {
			if o >= h.produced[tp] {
				continue // beyond what this check covers
			}
			if n := seen[tp][o]; n != 1 {
				h.t.Errorf("malformed record %v offset %d is in %d dead-letter rows, want 1", tp, o, n)
			}
		}
	}
	for tp, offs := range seen {
		for o := range offs {
			if !h.bad[tp][o] || o >= h.produced[tp] {
				h.t.Errorf("%v offset %d is a dead letter but was produced well-formed", tp, o)
			}
		}
	}
}

type testWriter struct {
	t    *testing.T
	name string
}

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() || os.Getenv("K2H_LOG") != "" {
		w.t.Logf("[%s] %s", w.name, strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// dumpGoroutines logs every goroutine's stack, so a test that timed out waiting for progress shows
// where the in-process members were stuck.
func dumpGoroutines(t *testing.T) {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	t.Logf("goroutines at the timeout:\n%s", b.String())
}

func toTP(tp verify.TP) offsets.TP { return offsets.TP{Topic: tp.Topic, Partition: tp.Partition} }
