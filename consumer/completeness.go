package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// errLate is the dead-letter cause of a record sent there by the dead_letter late policy.
var errLate = errors.New(completeness.LateReason)

// newCompleter builds the group's completer, or nil when completeness is off or the run is a
// backfill (its own root holds a slice of the offsets: no bucket of it is ever whole).
func newCompleter(g *Group) (*completeness.Completer, error) {
	o := g.opts.Completeness
	if !o.Enabled || g.opts.Ranges != nil {
		return nil, nil
	}
	o = o.WithDefaults()
	o.Lateness = g.opts.Rotation.AllowedLateness
	buckets := make(map[*Topic]*completeness.Buckets, len(g.opts.Topics))
	for _, t := range g.opts.Topics {
		b, err := completeness.NewBuckets(t.spec.Partitioner)
		if err != nil {
			return nil, fmt.Errorf("completeness for topic %s%s: %w", t.spec.Name, t.spec.Pattern, err)
		}
		buckets[t] = b
	}
	g.lateC = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_late_records_total",
		Help: "Records that arrived for a bucket already marked complete, by the policy applied (into, late_root, dead_letter)."}, []string{"topic", "policy"})
	if g.opts.Registry != nil {
		g.opts.Registry.MustRegister(g.lateC)
	}
	c := &completeness.Completer{FS: g.opts.FS, Root: g.opts.Root, Group: g.opts.Group, Kafka: groupKafka{g},
		Options: o, Log: g.log, Registry: g.opts.Registry}
	c.Topics = func() []completeness.Topic {
		names, err := g.resolveTopics()
		if err != nil {
			g.log.Warn("completeness: list topics", "err", err)
			return nil
		}
		out := make([]completeness.Topic, 0, len(names))
		for _, n := range names {
			if t := g.topicFor(n); t != nil {
				out = append(out, completeness.Topic{Name: n, Buckets: buckets[t]})
			}
		}
		return out
	}
	return c, nil
}

// runCompleter runs the completer's periodic passes until ctx is done; the returned wait makes a
// last pass (so a batch run leaves the buckets it completed marked) and returns when it is over.
func (g *Group) runCompleter(ctx context.Context) (wait func()) {
	if g.completer == nil {
		return func() {}
	}
	// A first pass before anything is consumed: the set of complete buckets must hold what
	// earlier runs marked, or records for those buckets are not seen as late (no metric, no
	// policy) although the manifest notes them as late files.
	if err := g.completer.Pass(ctx); err != nil && ctx.Err() == nil {
		g.log.Warn("completeness: first pass", "err", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.completer.Run(ctx)
	}()
	return func() {
		wg.Wait()
		pctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := g.completer.Pass(pctx); err != nil {
			g.log.Warn("completeness: final pass", "err", err)
		}
	}
}

// groupKafka answers the completer's questions with the member's client.
type groupKafka struct{ g *Group }

func (k groupKafka) Partitions(topic string) ([]int32, error) { return k.g.client.Partitions(topic) }

func (k groupKafka) LogEnd(topic string, p int32) (int64, error) {
	return k.g.client.GetOffset(topic, p, sarama.OffsetNewest)
}

func (k groupKafka) Committed(ctx context.Context, topic string, parts []int32) (map[int32]int64, error) {
	tps := make([]offsets.TP, len(parts))
	for i, p := range parts {
		tps[i] = offsets.TP{Topic: topic, Partition: p}
	}
	c, err := kafkaoffsets.FetchCommitted(ctx, k.g.client, k.g.opts.Sarama, k.g.opts.Group, tps)
	if err != nil {
		return nil, err
	}
	out := make(map[int32]int64, len(parts))
	for _, tp := range tps {
		out[tp.Partition] = c[tp].Offset
	}
	return out, nil
}

// lateState is a pipeline's completeness bookkeeping: its bucketing-time watermark and a cache
// of whether the last bucket it wrote to is complete.
type lateState struct {
	set    *completeness.Set
	policy completeness.Policy
	source string
	lateC  prometheus.Counter
	// wm is the newest bucketing time among the records consumed; loaded says the stored
	// watermark was merged in (a new owner must not move it back).
	wm     time.Time
	loaded bool
	// stored is the newest watermark saved or read back, kept by the commit side only.
	stored time.Time

	lastDir  string
	lastGen  uint64
	lastLate bool
}

func (pl *pipeline) lateState() *lateState {
	if pl.late == nil {
		o := pl.g.opts.Completeness.WithDefaults()
		pl.late = &lateState{set: pl.g.completer.Set(pl.tp.Topic), policy: o.Late,
			source: pl.topic.spec.Partitioner.WithDefaults().Time.Source,
			lateC:  pl.g.lateC.WithLabelValues(pl.tp.Topic, string(o.Late))}
	}
	return pl.late
}

// lateDir advances the watermark with r and returns the directory r goes to: dir, or the late
// root's for a late record under policy late_root, or "" for one to send to the dead letters.
func (pl *pipeline) lateDir(r *record.Record, b partitioner.Bucket, dir string) string {
	ls := pl.lateState()
	t := b.Start // the bucketing time of a field or processing-time source is not kept; its bucket start is a safe lower bound
	switch ls.source {
	case partitioner.SourceEvent:
		t = r.EventTime
	case partitioner.SourceKafka:
		t = r.Timestamp
	}
	if t.After(ls.wm) {
		ls.wm = t
	}
	if gen := ls.set.Gen(); dir != ls.lastDir || (!ls.lastLate && gen != ls.lastGen) {
		ls.lastDir, ls.lastGen, ls.lastLate = dir, gen, ls.set.Has(dir)
	}
	if !ls.lastLate {
		return dir
	}
	ls.lateC.Inc()
	pl.g.stats.late.Add(1)
	switch ls.policy {
	case completeness.LateRoot:
		return writer.DataDir(completeness.LateDir, dir)
	case completeness.DeadLetter:
		return ""
	}
	return dir
}

// lateDeadLetter writes a late record to the dead letters. It is not a bad record: it does not
// count against --max-bad-records.
func (pl *pipeline) lateDeadLetter(ctx context.Context, r *record.Record) error {
	pl.st.bad.Add(1)
	pl.g.metrics.deadLetters.WithLabelValues(pl.tp.Topic, "late").Inc()
	var err error
	d := pl.topic.deadRecord(r, "late", &pl.deadRec, &pl.deadBuf)
	pl.row, err = pl.topic.dead.AppendRaw(d, errLate.Error(), "late", pl.row)
	if err != nil {
		return fmt.Errorf("dead letter %s offset %d: %w", pl.tp, r.Offset, err)
	}
	dir := writer.ErrorDir(pl.tp.Topic, "dt="+r.Timestamp.UTC().Format(time.DateOnly))
	return pl.w.Write(ctx, dir, pl.topic.dead.Schema, pl.row)
}

// saveWatermark records, after a successful commit, the watermark of everything committed so far.
// A failure only delays markers, so it is logged, not returned.
func (pl *pipeline) saveWatermark(ctx context.Context, wm time.Time) {
	ls := pl.lateState()
	g := pl.g
	// stored and loaded belong to the commit side: commits of a partition never run
	// concurrently, and the consuming side only touches wm.
	if !ls.loaded {
		w, found, err := completeness.ReadWatermark(ctx, g.opts.FS, g.opts.Root, g.opts.Group, pl.tp)
		if err != nil {
			pl.log.Warn("completeness: read the stored watermark", "err", err)
			return
		}
		if found && w.Offset <= pl.committed {
			ls.stored = w.Watermark
		}
		ls.loaded = true
	}
	if ls.stored.After(wm) {
		wm = ls.stored // a new owner must not move it back
	}
	if wm.IsZero() {
		return
	}
	ls.stored = wm
	w := completeness.Watermark{Offset: pl.committed, Watermark: wm.UTC()}
	if err := completeness.WriteWatermark(ctx, g.opts.FS, g.opts.Root, g.opts.Group, pl.tp, w); err != nil {
		pl.log.Warn("completeness: save the watermark", "err", err)
	}
}
