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
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

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
	// Sarama is the client config; New sets what the protocol requires (manual commits).
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
	// DrainTimeout bounds the flush on revoke and shutdown. Default: half the rebalance timeout.
	DrainTimeout time.Duration
	// TopicRefresh is how often topic patterns are re-resolved. Default: 1m.
	TopicRefresh time.Duration

	Log      *slog.Logger
	Registry prometheus.Registerer
	// CreatedBy goes into every Parquet footer.
	CreatedBy string
}

// Group is one consumer-group member.
type Group struct {
	opts    Options
	log     *slog.Logger
	client  sarama.Client
	proto   *offsets.Protocol
	wcfg    *writer.Config
	stats   *Stats
	metrics *metrics

	mu      sync.Mutex
	targets map[offsets.TP]int64 // batch mode: the high watermarks at start
}

// New connects to Kafka. Close it when done.
func New(opts Options) (*Group, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Start == "" {
		opts.Start = StartEarliest
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
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = cfg.Consumer.Group.Rebalance.Timeout / 2
	}
	if opts.TopicRefresh <= 0 {
		opts.TopicRefresh = time.Minute
	}
	opts.Sarama = cfg
	client, err := sarama.NewClient(opts.Brokers, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	g := &Group{opts: opts, log: opts.Log, client: client, stats: newStats(), metrics: newMetrics(opts.Registry)}
	g.proto = &offsets.Protocol{FS: opts.FS, Paths: offsets.Paths{Root: opts.Root, Group: opts.Group}, Log: opts.Log}
	g.wcfg = &writer.Config{FS: opts.FS, Paths: g.proto.Paths, RowGroupBytes: opts.RowGroupBytes, Budget: opts.Budget, Log: opts.Log, CreatedBy: opts.CreatedBy}
	g.metrics.budget(opts.Budget)
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
	if r.AllowedLateness < 0 {
		r.AllowedLateness = 0
	} else if r.AllowedLateness == 0 {
		r.AllowedLateness = 10 * time.Minute
	}
	return r
}

// Close closes the Kafka client.
func (g *Group) Close() error { return g.client.Close() }

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
	if len(topics) == 0 {
		return errors.New("no topic in the cluster matches the configured topics; check topics[].name/pattern and the brokers")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if g.opts.Batch {
		if err := g.snapshot(topics); err != nil {
			return err
		}
		go g.watchBatch(ctx, cancel)
	}
	cg, err := sarama.NewConsumerGroupFromClient(g.opts.Group, g.client)
	if err != nil {
		return fmt.Errorf("join group %s: %w", g.opts.Group, err)
	}
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
		h := &handler{g: g, fatal: cancel}
		sessCtx, stopSession := context.WithCancel(ctx)
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
			if topics, err = g.resolveTopics(); err != nil {
				runErr = err
				break
			}
		}
	}
	if err := cg.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("leave group: %w", err)
	}
	wg.Wait()
	if runErr == nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, errBatchDone) {
			runErr = cause
		}
	}
	return runErr
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

// snapshot records each partition's high watermark: batch mode loads up to it and stops.
func (g *Group) snapshot(topics []string) error {
	targets := map[offsets.TP]int64{}
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
	g.mu.Lock()
	g.targets = targets
	g.mu.Unlock()
	g.log.Info("batch: loading up to the high watermarks at start", "partitions", len(targets))
	return nil
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
	t := time.NewTicker(500 * time.Millisecond)
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
		committed, err := offsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
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
