// Package consumer is the Kafka side of the loader and its conductor: a sarama consumer-group
// member that recovers each assigned partition through the commit protocol, runs every record
// through its topic's interceptors, partitioner and schema into the partition's writer, and flushes
// on rotation limits, closed buckets, memory pressure, revocation and shutdown.
//
// Data flow: Kafka → consumer → interceptors → partitioner → writer → offsets. Apart from cmd, this
// is the only package that talks to Kafka for consuming; offsets talks to the group coordinator.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Start positions for partitions with nothing committed and no files.
const (
	StartEarliest = "earliest"
	StartLatest   = "latest"
)

// Options configure a group member.
type Options struct {
	Brokers []string
	Group   string
	// Topics are the compiled topic plans; the first that matches a topic name wins.
	Topics []*Topic
	// Start is earliest, latest, or an RFC3339 time, for partitions with no committed offset and
	// no files. Default: earliest.
	Start string
	// Sarama is the client config; New sets what the protocol requires (manual commits). The
	// loader passes config.Config.Sarama's, which carries kafka.tls and kafka.sasl; nil (tests
	// only) connects without either.
	Sarama *sarama.Config

	FS   storage.FS
	Root string

	Rotation      Rotation
	Budget        *writer.Budget
	RowGroupBytes int64
	// MaxBadRecords stops the job when more records than this went to dead letters; -1: no limit.
	MaxBadRecords int64
	// Batch makes Run return once every partition of the subscribed topics has committed up to
	// the high watermark it had when Run started.
	Batch bool
	// Ranges makes the run a backfill (a batch over explicit ranges): only these partitions are
	// loaded, each from Range.From (when the group has nothing committed for it and the output no
	// files) up to Range.To, exclusive. The group must be the backfill's own: its committed
	// offsets are the backfill's progress record, so a re-run resumes instead of duplicating.
	// Other partitions of the topics are claimed and left alone. Implies Batch.
	Ranges map[offsets.TP]Range
	// MaxDuration (batch only) stops the run this long after it started, at a commit boundary:
	// every partition flushes and commits what it holds, then Run returns ErrStoppedEarly if some
	// partition is still short of its target. 0: no limit. The drain after it is bounded by
	// DrainTimeout, so the run can last up to MaxDuration + DrainTimeout.
	MaxDuration time.Duration
	// MaxRecords (batch only) is how many records this member consumes at most; it then stops
	// like MaxDuration. The limit is exact: the record over it is left for the next run. 0: no
	// limit.
	MaxRecords int64
	// DrainTimeout bounds the flush on revoke and shutdown. Default: half the rebalance timeout.
	DrainTimeout time.Duration
	// TopicRefresh is how often topic patterns are re-resolved. Default: 1m.
	TopicRefresh time.Duration
	// StallTimeout is how long a claim may receive no records while its partition has more to
	// read (confirmed by a read of its own) before the member ends its session and rejoins: a
	// liveness guard against a partition consumer that stopped being fed. Default: twice the
	// session timeout, at least 10s; negative: off.
	StallTimeout time.Duration
	// Completeness writes _SUCCESS and _manifest.json into finished buckets and routes late
	// records (see package completeness). Off unless Enabled; never in a backfill.
	Completeness completeness.Options

	Log      *slog.Logger
	Registry prometheus.Registerer
	// CreatedBy goes into every Parquet footer.
	CreatedBy string
}

// Range is a backfill's offsets of one partition: [From, To).
type Range struct{ From, To int64 }

// Group is one consumer-group member.
type Group struct {
	opts   Options
	log    *slog.Logger
	client sarama.Client
	// commits carries offset commits and progress checks on connections of their own, so that
	// they never queue behind a fetch the broker holds open (see New).
	commits sarama.Client
	// gate pauses fetching while partitions wait for memory.
	gate    fetchGate
	proto   *offsets.Protocol
	wcfg    *writer.Config
	stats   *Stats
	metrics *metrics

	mu      sync.Mutex
	targets map[offsets.TP]int64 // batch mode: the high watermarks at start
	// total is what the group had left to load at the snapshot, for the progress display.
	total int64

	// recordsLeft is what MaxRecords still allows; only read when MaxRecords > 0.
	recordsLeft atomic.Int64
	// stop ends the run with a cause; set by Run before any session starts.
	stop context.CancelCauseFunc

	// completer marks complete buckets (nil: completeness off); lateC counts late records.
	completer *completeness.Completer
	lateC     *prometheus.CounterVec

	// stallWatch builds a claim's liveness watch (newStallWatch; replaced in tests).
	stallWatch func(tp offsets.TP, now time.Time) *stallWatch
}

// ErrStoppedEarly is returned by a batch Run that a time box (MaxDuration, MaxRecords) ended
// before every partition reached its target. Everything consumed was committed: the run made
// progress, and the next one continues from there.
var ErrStoppedEarly = errors.New("stopped early")

// errTimeBox is the cause of a run ended by MaxDuration or MaxRecords.
type errTimeBox struct{ why string }

func (e errTimeBox) Error() string { return e.why }

// New connects to Kafka. Close it when done.
func New(opts Options) (*Group, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Start == "" {
		opts.Start = StartEarliest
	}
	if opts.Ranges != nil {
		opts.Batch = true
	}
	if opts.Budget == nil {
		opts.Budget = &writer.Budget{}
	}
	opts.Rotation = opts.Rotation.withDefaults()
	cfg := opts.Sarama
	if cfg == nil {
		cfg = sarama.NewConfig()
		cfg.Version = sarama.V2_8_0_0
	}
	// The commit protocol is the only committer: sarama must never commit on its own.
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Return.Errors = true
	// A committed offset outside the log is resolved by Setup, loudly; sarama would silently
	// jump to the oldest offset.
	cfg.Consumer.Group.ResetInvalidOffsets = false
	// A broker answers a connection's requests in order, so a request sent while a fetch waits
	// for data (up to MaxWaitTime, 500ms in sarama) waits too. Offset commits therefore use a
	// client of their own (commits); the shorter wait bounds what still shares the fetch
	// connection (heartbeats, metadata) and costs a few idle fetches a second.
	cfg.Consumer.MaxWaitTime = 100 * time.Millisecond
	// sarama's broker consumer hands a fetch response to every partition and fetches again only
	// when each has queued all of its messages: a deeper queue lets the next fetch overlap with
	// converting and encoding this one's records instead of waiting for the slowest partition.
	cfg.ChannelBufferSize = max(cfg.ChannelBufferSize, 256)
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = cfg.Consumer.Group.Rebalance.Timeout / 2
	}
	if opts.TopicRefresh <= 0 {
		opts.TopicRefresh = time.Minute
	}
	opts.Sarama = cfg
	client, err := kafkasec.NewClient(opts.Brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	commits, err := kafkasec.NewClient(opts.Brokers, cfg)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	g := &Group{opts: opts, log: opts.Log, client: client, commits: commits, stats: newStats(), metrics: newMetrics(opts.Registry)}
	g.proto = &offsets.Protocol{FS: opts.FS, Paths: offsets.Paths{Root: opts.Root, Group: opts.Group}, Log: opts.Log}
	g.wcfg = &writer.Config{FS: opts.FS, Paths: g.proto.Paths, RowGroupBytes: opts.RowGroupBytes, Budget: opts.Budget, Log: opts.Log, CreatedBy: opts.CreatedBy}
	g.stallWatch = g.newStallWatch
	g.metrics.budget(opts.Budget)
	g.stats.budget = opts.Budget
	if g.completer, err = newCompleter(g); err != nil {
		client.Close()
		return nil, err
	}
	return g, nil
}

func (r Rotation) withDefaults() Rotation {
	if r.MaxRecords <= 0 {
		r.MaxRecords = 1_000_000
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = 256 << 20
	}
	if r.MaxAge <= 0 {
		r.MaxAge = 10 * time.Minute
	}
	if r.MinFileBytes <= 0 {
		r.MinFileBytes = 1 << 20
	}
	if r.AllowedLateness < 0 {
		r.AllowedLateness = 0
	} else if r.AllowedLateness == 0 {
		r.AllowedLateness = 10 * time.Minute
	}
	return r
}

// Close closes the Kafka client.
func (g *Group) Close() error { return errors.Join(g.client.Close(), g.commits.Close()) }

// Stats returns the member's counters.
func (g *Group) Stats() *Stats { return g.stats }

// Client returns the Kafka client, for tools that inspect the group.
func (g *Group) Client() sarama.Client { return g.client }

// topicFor returns the plan of the first spec matching topic, or nil.
func (g *Group) topicFor(topic string) *Topic {
	for _, t := range g.opts.Topics {
		if t.Matches(topic) {
			return t
		}
	}
	return nil
}

// resolveTopics lists the cluster's topics the specs select, sorted.
func (g *Group) resolveTopics() ([]string, error) {
	if err := g.client.RefreshMetadata(); err != nil {
		return nil, fmt.Errorf("refresh metadata: %w", err)
	}
	all, err := g.client.Topics()
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var out []string
	for _, t := range all {
		if len(t) > 0 && t[0] == '_' {
			continue // internal topics (__consumer_offsets) are never loaded by a pattern
		}
		if g.topicFor(t) != nil {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Run consumes until ctx is cancelled (run mode) or every partition reached its start-time high
// watermark (batch mode). It returns nil after a clean stop: every partition flushed and committed,
// or abandoned to its next owner.
func (g *Group) Run(ctx context.Context) error {
	topics, err := g.resolveTopics()
	if err != nil {
		return err
	}
	if g.opts.Ranges != nil {
		topics = g.rangeTopics(topics)
	}
	if len(topics) == 0 {
		return errors.New("no topic in the cluster matches the configured topics; check topics[].name/pattern and the brokers")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g.stop = cancel
	if g.opts.Batch {
		if err := g.snapshot(topics); err != nil {
			return err
		}
		go g.watchBatch(ctx, cancel)
		if d := g.opts.MaxDuration; d > 0 {
			// Cancelling the run ends the session: every claim drains (flush + commit), so the
			// stop lands on a commit boundary.
			t := time.AfterFunc(d, func() {
				cancel(errTimeBox{fmt.Sprintf("--max-duration %s reached", d)})
			})
			defer t.Stop()
		}
		if n := g.opts.MaxRecords; n > 0 {
			g.recordsLeft.Store(n)
		}
	}
	cg, err := sarama.NewConsumerGroupFromClient(g.opts.Group, g.client)
	if err != nil {
		return fmt.Errorf("join group %s: %w", g.opts.Group, err)
	}
	g.gate.set(cg)
	defer g.gate.set(nil)
	completerCtx, stopCompleter := context.WithCancel(context.WithoutCancel(ctx))
	waitCompleter := g.runCompleter(completerCtx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for err := range cg.Errors() {
			g.log.Warn("consumer group error", "err", err)
		}
	}()
	var (
		runErr   error
		failures int
		backoff  = time.Second
	)
	for ctx.Err() == nil {
		sessCtx, stopSession := context.WithCancel(ctx)
		h := &handler{g: g, fatal: cancel, endSession: stopSession}
		if !g.opts.Batch {
			go g.watchTopics(sessCtx, topics, stopSession)
		}
		err := cg.Consume(sessCtx, topics, h)
		stopSession()
		if ctx.Err() != nil || errors.Is(err, sarama.ErrClosedConsumerGroup) {
			break
		}
		// A session that ended with an error (a partition's write or commit failed, recovery was
		// interrupted) is retried: the next session recovers every partition from its committed
		// state. Back off so a persistent failure does not spin, and give up if it persists.
		if err == nil && h.failed.Load() == 0 {
			failures, backoff = 0, time.Second
		} else {
			failures++
			if err == nil {
				err = fmt.Errorf("%d partition(s) stopped with errors", h.failed.Load())
			}
			if failures >= maxSessionFailures {
				runErr = fmt.Errorf("giving up after %d failed sessions in a row: %w", failures, err)
				break
			}
			g.log.Warn("session ended with an error; rejoining", "err", err, "retry_in", backoff, "failures", failures)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
		}
		if !g.opts.Batch {
			// Re-resolve the topic patterns for the next session. If the brokers cannot be
			// reached just now (a broker restart, a network blip), keep the current list: the
			// next Consume then fails the same way and is retried with backoff like any failed
			// session, rather than ending the run on the first transient error.
			if now, err := g.resolveTopics(); err != nil {
				g.log.Warn("refresh topics before rejoining failed; keeping the current list", "err", err)
			} else {
				topics = now
			}
		}
	}
	if err := cg.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("leave group: %w", err)
	}
	wg.Wait()
	stopCompleter()
	waitCompleter()
	if runErr == nil {
		var box errTimeBox
		switch cause := context.Cause(ctx); {
		case errors.As(cause, &box):
			runErr = g.stoppedEarly(box)
		case cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, errBatchDone):
			runErr = cause
		}
	}
	return runErr
}

// stoppedEarly decides what a time box left behind: nil if the group got every partition to its
// target anyway (another member finished the work, or the box fired just at the end), else
// ErrStoppedEarly saying how many partitions are short.
func (g *Group) stoppedEarly(box errTimeBox) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lag, err := g.Lag(ctx)
	if err != nil {
		return fmt.Errorf("%s; then checking progress: %w", box.why, err)
	}
	short := 0
	for _, l := range lag {
		if l.Left() > 0 {
			short++
		}
	}
	if short == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s with %d of %d partition(s) short of the target (the high watermark at start, or a backfill's range end); progress is committed, the next run continues",
		ErrStoppedEarly, box.why, short, len(lag))
}

// takeRecord reserves one record of the MaxRecords budget; false once it is spent, and then the
// run is being stopped.
func (g *Group) takeRecord() bool {
	if g.opts.MaxRecords <= 0 || !g.opts.Batch {
		return true
	}
	if g.recordsLeft.Add(-1) >= 0 {
		return true
	}
	g.stop(errTimeBox{fmt.Sprintf("--max-records %d reached", g.opts.MaxRecords)})
	return false
}

// PartitionLag is one partition's batch progress: the target snapshotted at start and what the
// group has committed.
type PartitionLag struct {
	TP                offsets.TP
	Target, Committed int64
}

// Left is how many records remain up to the target.
func (l PartitionLag) Left() int64 { return max(0, l.Target-l.Committed) }

// Lag reads the group's committed offsets for every batch target, sorted by topic and partition.
// nil outside batch mode or before the snapshot.
func (g *Group) Lag(ctx context.Context) ([]PartitionLag, error) {
	targets := g.Targets()
	if targets == nil {
		return nil, nil
	}
	tps := make([]offsets.TP, 0, len(targets))
	for tp := range targets {
		tps = append(tps, tp)
	}
	committed, err := offsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionLag, 0, len(tps))
	for _, tp := range tps {
		c := committed[tp].Offset
		if r, ok := g.opts.Ranges[tp]; ok && c < 0 {
			c = r.From // a backfill that has not started this partition
		} else if c < 0 {
			// Nothing committed: everything from the log start is left.
			c = 0
			if oldest, err := g.client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest); err == nil {
				c = min(oldest, targets[tp])
			}
		}
		out = append(out, PartitionLag{TP: tp, Target: targets[tp], Committed: c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TP.Topic != out[j].TP.Topic {
			return out[i].TP.Topic < out[j].TP.Topic
		}
		return out[i].TP.Partition < out[j].TP.Partition
	})
	return out, nil
}

var errBatchDone = errors.New("batch done")

// maxSessionFailures is how many sessions in a row may fail before Run gives up.
const maxSessionFailures = 20

// watchTopics ends the session when the set of topics matching the patterns changes, so the member
// rejoins with the new list.
func (g *Group) watchTopics(ctx context.Context, topics []string, stop func()) {
	t := time.NewTicker(g.opts.TopicRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now, err := g.resolveTopics()
			if err != nil {
				g.log.Warn("refresh topics", "err", err)
				continue
			}
			if fmt.Sprint(now) != fmt.Sprint(topics) {
				g.log.Info("subscribed topics changed; rejoining", "topics", now)
				stop()
				return
			}
		}
	}
}

// rangeTopics narrows topics to those of the backfill ranges.
func (g *Group) rangeTopics(topics []string) []string {
	var out []string
	for _, t := range topics {
		for tp := range g.opts.Ranges {
			if tp.Topic == t {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// snapshot records each partition's high watermark: batch mode loads up to it and stops. A
// backfill's targets are the ends of its ranges.
func (g *Group) snapshot(topics []string) error {
	targets := map[offsets.TP]int64{}
	if g.opts.Ranges != nil {
		for tp, r := range g.opts.Ranges {
			targets[tp] = r.To
		}
		topics = nil
	}
	for _, t := range topics {
		parts, err := g.client.Partitions(t)
		if err != nil {
			return fmt.Errorf("partitions of %s: %w", t, err)
		}
		for _, p := range parts {
			hw, err := g.client.GetOffset(t, p, sarama.OffsetNewest)
			if err != nil {
				return fmt.Errorf("high watermark of %s/%d: %w", t, p, err)
			}
			targets[offsets.TP{Topic: t, Partition: p}] = hw
		}
	}
	total := g.leftAt(targets)
	g.mu.Lock()
	g.targets, g.total = targets, total
	g.mu.Unlock()
	g.log.Info("batch: loading up to the high watermarks at start", "partitions", len(targets), "records", total)
	return nil
}

// leftAt estimates the records between the group's committed offsets (or the log start) and
// targets. It is for the progress display only, so a failure just gives 0 (unknown).
func (g *Group) leftAt(targets map[offsets.TP]int64) int64 {
	tps := make([]offsets.TP, 0, len(targets))
	for tp := range targets {
		tps = append(tps, tp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	committed, err := offsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
	if err != nil {
		g.log.Debug("batch: committed offsets for the progress total", "err", err)
		return 0
	}
	total := int64(0)
	for tp, target := range targets {
		from := committed[tp].Offset
		if r, ok := g.opts.Ranges[tp]; ok && from < 0 {
			from = r.From
		}
		if oldest, err := g.client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest); err == nil {
			from = max(from, oldest)
		}
		total += max(0, target-max(from, 0))
	}
	return total
}

// Progress is a batch run's progress for display: records and input bytes this member consumed,
// and the records the group had left at the snapshot (0 before it). With other members in the
// group, Done stays below Total: they load part of it.
type Progress struct {
	Done, Bytes, Total int64
}

// Progress reads the counters; cheap enough to call every few hundred milliseconds.
func (g *Group) Progress() Progress {
	g.mu.Lock()
	total := g.total
	g.mu.Unlock()
	s := g.stats.Summary()
	return Progress{Done: s.Consumed, Bytes: s.Bytes, Total: total}
}

func (g *Group) target(tp offsets.TP) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.targets[tp]; ok {
		return t
	}
	return -1
}

// watchBatch ends the run when the group's committed offsets reached every target. It asks Kafka
// rather than counting local partitions, so it is right with several members in the group.
func (g *Group) watchBatch(ctx context.Context, done context.CancelCauseFunc) {
	// One small request on the commit client's connection per tick: often enough that a fast
	// batch does not idle for long after its last commit.
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	g.mu.Lock()
	tps := make([]offsets.TP, 0, len(g.targets))
	for tp := range g.targets {
		tps = append(tps, tp)
	}
	g.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		committed, err := offsets.FetchCommitted(ctx, g.commits, g.opts.Sarama, g.opts.Group, tps)
		if err != nil {
			g.log.Debug("batch progress check", "err", err)
			continue
		}
		left := 0
		for _, tp := range tps {
			if target := g.target(tp); target > 0 && committed[tp].Offset < target {
				left++
			}
		}
		if left == 0 {
			g.log.Info("batch: every partition is committed up to its target")
			done(errBatchDone)
			return
		}
	}
}

// Targets returns the batch high watermarks snapshotted at start (nil before the snapshot or in
// run mode).
func (g *Group) Targets() map[offsets.TP]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.targets == nil {
		return nil
	}
	out := make(map[offsets.TP]int64, len(g.targets))
	for tp, t := range g.targets {
		out[tp] = t
	}
	return out
}

// Budget returns the process-wide memory budget the member's partitions share.
func (g *Group) Budget() *writer.Budget { return g.opts.Budget }
