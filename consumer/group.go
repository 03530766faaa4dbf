// Package consumer is the Kafka side of the loader and its conductor: a sarama consumer-group
// member that recovers each assigned partition through the commit protocol, runs every record
// through its topic's interceptors, partitioner and schema into the partition's writer, and flushes
// on rotation limits, closed buckets, memory pressure, revocation and shutdown.
//
// Data flow: Kafka → consumer → interceptors → partitioner → writer → offsets. Apart from cmd, this
// is the only package that talks to Kafka for consuming; kafkaoffsets sends the fenced commits.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// DefaultPrefetchFetches is the default PrefetchBytes in per-partition fetch sizes: enough for a
// claim to keep converting while the next fetch makes its round trip.
const DefaultPrefetchFetches = 2

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
	// InstanceID, if set, makes the member static (KIP-345, sarama's Consumer.Group.InstanceId):
	// restarted with the same id, it takes its partitions back at once instead of waiting for the
	// dead member's session to time out. Two live members must not share an id (the newer one
	// fences the older), so New takes a lock on this host for it and, if another process or member
	// here holds it, joins as a dynamic member instead. A static member does not leave the group
	// when it stops: its partitions wait for its session to time out, unless it comes back.
	InstanceID string

	FS   storage.FS
	Root string

	Rotation      Rotation
	Budget        *writer.Budget
	RowGroupBytes int64
	// MaxBadRecords stops the job when more records than this went to dead letters; -1: no limit.
	MaxBadRecords int64
	// MaxBadShare fails the job when more than this share of a topic's records in the run went to
	// dead letters (judged once the topic consumed minBadSample records, and at a batch's end).
	// 0 or 1: no limit.
	MaxBadShare float64
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
	// RetryFor is how long failures may repeat before Run gives up: when every session for this
	// long failed (a filesystem refusing writes, say), Run returns the last error. Default: 2m.
	RetryFor time.Duration
	// TopicRefresh is how often topic patterns are re-resolved. Default: 1m.
	TopicRefresh time.Duration
	// ConnectTimeout bounds the first metadata request to the brokers (sarama's
	// Metadata.Timeout, unless set): without it, a broker that accepts connections and never
	// answers holds the start for minutes. Default: 60s.
	ConnectTimeout time.Duration
	// ConnectLogEvery is how often a wait for the brokers or for the group's assignment is logged
	// while it lasts. Default: 10s.
	ConnectLogEvery time.Duration
	// StallTimeout is how long a claim may receive no records while its partition has more to
	// read (confirmed by a read of its own) before the member ends its session and rejoins: a
	// liveness guard against a partition consumer that stopped being fed. Default: twice the
	// session timeout, at least 10s; negative: off.
	StallTimeout time.Duration
	// PrefetchBytes bounds, per claimed partition, the keys, values and headers of the messages
	// taken from sarama ahead of the one being handled (see prefetch). Default:
	// DefaultPrefetchFetches times Sarama's Consumer.Fetch.Default.
	PrefetchBytes int64
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
	gate fetchGate
	// reached wakes watchBatch when one of this member's partitions committed up to its target.
	reached chan struct{}
	// batchTick is how often watchBatch asks Kafka anyway; 0 means 100ms.
	batchTick time.Duration
	proto     *offsets.Protocol
	wcfg      *writer.Config
	stats     *Stats
	metrics   *metrics

	mu      sync.Mutex
	targets map[offsets.TP]int64 // batch mode: the high watermarks at start
	// total is what the group had left to load at the snapshot, for the progress display.
	total int64

	// releaseInstance unlocks the static member's instance id on this host (nil: dynamic).
	releaseInstance func()

	// nullWarned holds the topic/column pairs already warned about as all null (see
	// pipeline.reportNullColumns).
	nullWarned map[[2]string]bool

	// errs holds, per partition, the error it last stopped with, until it commits again: what a
	// time box must not call progress.
	errs map[offsets.TP]error

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

// ErrUnknownTopic is returned by Run when a topic configured by name (not by pattern) is not in
// the cluster: most likely a typo, which would otherwise load the other topics and exit 0.
var ErrUnknownTopic = errors.New("unknown topic")

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
		cfg.Version = DefaultKafkaVersion
		cfg.Consumer.IsolationLevel = sarama.ReadCommitted
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
	if opts.PrefetchBytes <= 0 {
		opts.PrefetchBytes = DefaultPrefetchFetches * int64(cfg.Consumer.Fetch.Default)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = cfg.Consumer.Group.Rebalance.Timeout / 2
	}
	if opts.TopicRefresh <= 0 {
		opts.TopicRefresh = time.Minute
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = DefaultRetryFor
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = time.Minute
	}
	if opts.ConnectLogEvery <= 0 {
		opts.ConnectLogEvery = 10 * time.Second
	}
	if cfg.Metadata.Timeout <= 0 {
		cfg.Metadata.Timeout = opts.ConnectTimeout
	}
	var release func()
	if id := opts.InstanceID; id != "" {
		if !cfg.Version.IsAtLeast(sarama.V2_3_0_0) {
			opts.Log.Info("static group membership needs Kafka 2.3 or later; joining as a dynamic member", "group_instance_id", id, "version", cfg.Version)
		} else if release = lockInstance(opts.Group, id); release == nil {
			opts.Log.Info("another member on this host holds the group instance id; joining as a dynamic member", "group_instance_id", id)
		} else {
			cfg.Consumer.Group.InstanceId = id
			opts.Log.Info("static group membership", "group_instance_id", id)
		}
	}
	opts.Sarama = cfg
	brokers := strings.Join(opts.Brokers, ",")
	opts.Log.Info("connecting to Kafka", "brokers", brokers)
	stopWaiting := logWhile(opts.Log, opts.ConnectLogEvery, "waiting for Kafka brokers to answer a metadata request",
		"brokers", brokers, "gives_up_after", opts.ConnectTimeout)
	client, err := kafkasec.NewClient(opts.Brokers, cfg)
	stopWaiting()
	if err != nil {
		if release != nil {
			release()
		}
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	commits, err := kafkasec.NewClient(opts.Brokers, cfg)
	if err != nil {
		_ = client.Close()
		if release != nil {
			release()
		}
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	g := &Group{opts: opts, log: opts.Log, client: client, commits: commits, stats: newStats(), metrics: newMetrics(opts.Registry), releaseInstance: release, reached: make(chan struct{}, 1)}
	g.proto = &offsets.Protocol{FS: opts.FS, Paths: offsets.Paths{Root: opts.Root, Group: opts.Group}, Log: opts.Log}
	g.wcfg = &writer.Config{FS: opts.FS, Paths: g.proto.Paths, RowGroupBytes: opts.RowGroupBytes, Budget: opts.Budget, Log: opts.Log, CreatedBy: opts.CreatedBy}
	g.stallWatch = g.newStallWatch
	g.metrics.budget(opts.Budget)
	g.stats.budget = opts.Budget
	if g.completer, err = newCompleter(g); err != nil {
		_ = g.Close()
		return nil, err
	}
	return g, nil
}

// logWhile logs msg at warn level every interval until the returned stop is called: a long wait
// says what it waits for instead of looking like a hang.
func logWhile(log *slog.Logger, every time.Duration, msg string, args ...any) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				log.Warn(msg, append(args, "waited", time.Since(start).Round(time.Second))...)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func (r Rotation) withDefaults() Rotation {
	if r.MaxRecords <= 0 {
		r.MaxRecords = DefaultMaxRecords
	}
	if r.MaxBytes <= 0 {
		r.MaxBytes = DefaultMaxBytes
	}
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultMaxAge
	}
	if r.MinFileBytes <= 0 {
		r.MinFileBytes = DefaultMinFileBytes
	}
	if r.AllowedLateness < 0 {
		r.AllowedLateness = 0
	} else if r.AllowedLateness == 0 {
		r.AllowedLateness = DefaultAllowedLateness
	}
	return r
}

// Close closes the Kafka client.
func (g *Group) Close() error {
	err := errors.Join(g.client.Close(), g.commits.Close())
	if g.releaseInstance != nil {
		g.releaseInstance()
		g.releaseInstance = nil
	}
	return err
}

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
		spec := g.topicFor(t)
		if spec == nil || (len(t) > 0 && t[0] == '_' && spec.match != nil) {
			continue // internal topics (__consumer_offsets) are never loaded by a pattern
		}
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// checkNamedTopics returns ErrUnknownTopic naming every topic configured by name that is not
// among found (the cluster's selected topics).
func (g *Group) checkNamedTopics(found []string) error {
	var missing []string
	for _, t := range g.opts.Topics {
		if t.match == nil && !slices.Contains(found, t.spec.Name) {
			missing = append(missing, strconv.Quote(t.spec.Name))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s not in the cluster (brokers %s); check the spelling of topics[].name, or use pattern for topics that may not exist yet",
		ErrUnknownTopic, strings.Join(missing, ", "), strings.Join(g.opts.Brokers, ","))
}

// Run consumes until ctx is cancelled (run mode) or every partition reached its start-time high
// watermark (batch mode). It returns nil after a clean stop: every partition flushed and committed,
// or abandoned to its next owner.
func (g *Group) Run(ctx context.Context) error {
	// Prove the output takes files before consuming anything: a read-only or full filesystem
	// would otherwise show only at the first flush, with records consumed and retried forever.
	for _, dir := range []string{g.opts.Root, path.Join(g.opts.Root, offsets.StagingDir, g.opts.Group)} {
		if err := storage.CheckWritable(ctx, g.opts.FS, dir); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting, before anything was consumed: a clean stop
			}
			return err
		}
	}
	topics, err := g.resolveTopics()
	if err != nil {
		return err
	}
	if g.opts.Ranges != nil {
		// A backfill names its one topic; the config's others do not matter to it.
		topics = g.rangeTopics(topics)
	} else if err := g.checkNamedTopics(topics); err != nil {
		return err
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
		failing  time.Time // when the sessions in a row that failed began
		backoff  = time.Second
	)
	for ctx.Err() == nil {
		sessCtx, stopSession := context.WithCancel(ctx)
		// Joining can take a while, and used to be silent: the coordinator waits for every
		// member to rejoin, and a member that died without leaving holds its partitions until
		// its session times out.
		g.log.Info("joining the group", "group", g.opts.Group, "topics", len(topics))
		var once sync.Once
		stopWaiting := logWhile(g.log, g.opts.ConnectLogEvery, "waiting for the group to assign partitions; a member that stopped without leaving holds its partitions until its session times out",
			"group", g.opts.Group, "session_timeout", g.opts.Sarama.Consumer.Group.Session.Timeout)
		joined := func() { once.Do(stopWaiting) }
		h := &handler{g: g, fatal: cancel, endSession: stopSession, joined: joined}
		if !g.opts.Batch {
			go g.watchTopics(sessCtx, topics, stopSession)
		}
		err := cg.Consume(sessCtx, topics, h)
		joined()
		stopSession()
		if ctx.Err() != nil || errors.Is(err, sarama.ErrClosedConsumerGroup) {
			break
		}
		// A session that ended with an error (a partition's write or commit failed, recovery was
		// interrupted) is retried: the next session recovers every partition from its committed
		// state. Back off so a persistent failure does not spin, and give up if it persists.
		if err == nil && h.failed.Load() == 0 {
			failures, backoff, failing = 0, time.Second, time.Time{}
		} else {
			failures++
			if failing.IsZero() {
				failing = time.Now()
			}
			if err == nil {
				err = fmt.Errorf("%d partition(s) stopped with errors; the last: %w", h.failed.Load(), h.lastErr())
			}
			if failed := time.Since(failing); failures >= maxSessionFailures || failed >= g.opts.RetryFor {
				runErr = fmt.Errorf("giving up after %d failed sessions in a row over %s: %w", failures, failed.Round(time.Second), err)
				break
			}
			g.log.Warn("session ended with an error; rejoining", "err", err, "retry_in", backoff, "failures", failures)
			// Never sleep past the point where RetryFor gives up.
			select {
			case <-ctx.Done():
			case <-time.After(min(backoff, max(time.Until(failing.Add(g.opts.RetryFor)), 10*time.Millisecond))):
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
	if runErr == nil && g.opts.Batch {
		// A run too small to be judged while it ran is judged at its end: everything is
		// committed, but a person must look.
		runErr = g.badShare()
	}
	if runErr == nil {
		var box errTimeBox
		switch cause := context.Cause(ctx); {
		case errors.As(cause, &box):
			runErr = g.stoppedEarly(box)
		case cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, errBatchDone):
			runErr = cause
		case errors.Is(cause, context.Canceled) && g.opts.Batch:
			// Stopped by the caller (a signal): the caller reports a stop with work left as
			// progress, which partitions failing without a commit since are not.
			if tps, err := g.failing(); err != nil {
				runErr = fmt.Errorf("stopped, but %d partition(s) (%s) failed and committed nothing since: %w", len(tps), formatTPs(tps), err)
			}
		}
	}
	return runErr
}

// badShare is badShareExceeded for every topic, whatever it consumed.
func (g *Group) badShare() error {
	g.stats.mu.Lock()
	topics := maps.Clone(g.stats.topics)
	g.stats.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(topics)) {
		if err := badShareExceeded(name, topics[name], g.opts.MaxBadShare, 1); err != nil {
			return fmt.Errorf("%w (the records and their dead letters are committed)", err)
		}
	}
	return nil
}

// nullColumn counts a flush whose rows all had column null, and warns the first time in the run.
func (g *Group) nullColumn(log *slog.Logger, topic, column, field string, rows int64) {
	g.metrics.nullColumns.WithLabelValues(topic, column).Inc()
	g.mu.Lock()
	key := [2]string{topic, column}
	warned := g.nullWarned[key]
	if !warned {
		if g.nullWarned == nil {
			g.nullWarned = map[[2]string]bool{}
		}
		g.nullWarned[key] = true
	}
	g.mu.Unlock()
	if !warned {
		log.Warn("column stayed null for all of a flush's records; does its field path match the data? (warned once per run; counted in kafka2hdfs_null_column_flushes_total)",
			"column", column, "field", field, "rows", rows)
	}
}

// maxSessionFailures is how many sessions in a row may fail before Run gives up.
const maxSessionFailures = 20

// DefaultRetryFor is Options.RetryFor's default.
const DefaultRetryFor = 2 * time.Minute

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

// Budget returns the process-wide memory budget the member's partitions share.
func (g *Group) Budget() *writer.Budget { return g.opts.Budget }
