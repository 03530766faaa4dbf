package completeness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Kafka is what the Completer asks the cluster: a topic's partitions, the group's committed
// offsets (-1 for none) and each partition's log end.
type Kafka interface {
	Partitions(topic string) ([]int32, error)
	Committed(ctx context.Context, topic string, partitions []int32) (map[int32]int64, error)
	LogEnd(topic string, partition int32) (int64, error)
}

// Topic is one loaded topic and how its bucket directories read back as times.
type Topic struct {
	Name    string
	Buckets *Buckets
}

// Completer marks complete buckets. Every member of a group runs one; they race harmlessly.
type Completer struct {
	FS    storage.FS
	Root  string
	Group string
	Kafka Kafka
	// Topics lists the topics to look at now (patterns can add topics while running).
	Topics  func() []Topic
	Options Options
	Log     *slog.Logger
	// Now is the wall clock; nil: time.Now.
	Now func() time.Time

	metricsOnce sync.Once
	Registry    prometheus.Registerer
	completed   *prometheus.CounterVec
	lateFiles   *prometheus.CounterVec
	lowGauge    *prometheus.GaugeVec

	mu   sync.Mutex
	sets map[string]*Set
	// seen caches, per complete bucket directory, the manifest it last reconciled and the files
	// it lists, so a pass reads a manifest only when the directory changed.
	seen map[string]seenBucket
}

type seenBucket struct {
	size  int64
	mod   time.Time
	names map[string]bool
}

// Set is the bucket directories of one topic known to be complete (root-relative, such as
// "orders/dt=2026-11-22/hour=13"). The pipelines read it for every record, so it is lock-free
// to read; entries are never removed, because a marker never is.
type Set struct {
	m   sync.Map
	gen atomic.Uint64
}

// Has reports whether dir is complete.
func (s *Set) Has(dir string) bool {
	_, ok := s.m.Load(dir)
	return ok
}

// Gen changes whenever a bucket is added, so a reader can cache a negative answer until then.
func (s *Set) Gen() uint64 { return s.gen.Load() }

func (s *Set) add(dir string) {
	if _, loaded := s.m.LoadOrStore(dir, struct{}{}); !loaded {
		s.gen.Add(1)
	}
}

// Set returns the complete buckets of topic.
func (c *Completer) Set(topic string) *Set {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sets == nil {
		c.sets = map[string]*Set{}
	}
	s := c.sets[topic]
	if s == nil {
		s = &Set{}
		c.sets[topic] = s
	}
	return s
}

func (c *Completer) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c *Completer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Completer) metrics() {
	c.metricsOnce.Do(func() {
		c.completed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_buckets_completed_total",
			Help: "Bucket directories marked complete (_manifest.json and _SUCCESS written) by this member."}, []string{"topic"})
		c.lateFiles = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_late_files_noted_total",
			Help: "Files found in a complete bucket and added to its manifest's late_files."}, []string{"topic"})
		c.lowGauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kafka2hdfs_low_watermark_seconds",
			Help: "Unix time every partition of the topic has committed past (caught-up partitions count as the newest); buckets ending before it minus the allowed lateness are complete."}, []string{"topic"})
		if c.Registry != nil {
			c.Registry.MustRegister(c.completed, c.lateFiles, c.lowGauge)
		}
	})
}

// Run makes a pass every Options.Interval until ctx is done.
func (c *Completer) Run(ctx context.Context) {
	t := time.NewTicker(c.Options.WithDefaults().Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.Pass(ctx); err != nil && ctx.Err() == nil {
			c.log().Warn("completeness pass", "err", err)
		}
	}
}

// Pass looks at every topic once: reads the partitions' watermarks and committed offsets, then
// marks each bucket directory that is now complete, and notes late files in complete ones.
func (c *Completer) Pass(ctx context.Context) error {
	c.metrics()
	var errs []error
	for _, t := range c.Topics() {
		if err := c.passTopic(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("topic %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

// States reads what the Completer decides on for one topic.
func (c *Completer) States(ctx context.Context, topic string) ([]PartitionState, error) {
	parts, err := c.Kafka.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("partitions: %w", err)
	}
	committed, err := c.Kafka.Committed(ctx, topic, parts)
	if err != nil {
		return nil, fmt.Errorf("committed offsets: %w", err)
	}
	states := make([]PartitionState, 0, len(parts))
	for _, p := range parts {
		end, err := c.Kafka.LogEnd(topic, p)
		if err != nil {
			return nil, fmt.Errorf("log end of %s/%d: %w", topic, p, err)
		}
		off, ok := committed[p]
		if !ok {
			off = -1
		}
		st := PartitionState{Partition: p, CaughtUp: end == 0 || (off >= 0 && off >= end)}
		w, found, err := ReadWatermark(ctx, c.FS, c.Root, c.Group, offsets.TP{Topic: topic, Partition: p})
		if err != nil {
			return nil, err
		}
		// A watermark past the committed offset is from before an offsets reset: the records
		// it counted will be loaded again, so it says nothing about what is committed now.
		if found && off >= 0 && w.Offset <= off {
			st.Known, st.Watermark = true, w.Watermark
		}
		states = append(states, st)
	}
	return states, nil
}

func (c *Completer) passTopic(ctx context.Context, t Topic) error {
	opts := c.Options.WithDefaults()
	// Watermarks and commits first, the directories after: every file the watermarks account
	// for is published before its commit, so the listing below has it.
	states, err := c.States(ctx, t.Name)
	if err != nil {
		return err
	}
	low, lowOK := LowWatermark(states)
	if lowOK {
		c.lowGauge.WithLabelValues(t.Name).Set(float64(low.UnixMilli()) / 1000)
	}
	now := c.now()
	set := c.Set(t.Name)
	topicDir := path.Join(c.Root, t.Name)
	return c.walkBuckets(ctx, topicDir, func(dir string, entries []fs.FileInfo) error {
		rel := strings.TrimPrefix(dir, topicDir+"/")
		key := path.Join(t.Name, rel)
		var steps []string
		var success, manifest fs.FileInfo
		for _, e := range entries {
			switch name := e.Name(); {
			case name == SuccessName:
				success = e
			case name == ManifestName:
				manifest = e
			case !e.IsDir():
				if tp, _, _, ok := offsets.ParseFileName(name); ok && tp.Topic == t.Name {
					steps = append(steps, name)
				}
			}
		}
		if len(steps) == 0 {
			return nil
		}
		if success != nil {
			set.add(key)
			return c.noteLate(ctx, t.Name, dir, key, steps, manifest)
		}
		start, end, ok := t.Buckets.Span(rel)
		if !ok {
			c.log().Debug("completeness: a directory that is no bucket of the path template", "dir", dir)
			return nil
		}
		if !Complete(end, opts.Lateness, low, lowOK, now) {
			return nil
		}
		return c.mark(ctx, t.Name, dir, rel, start, end, low, steps, func() { set.add(key) })
	})
}

// walkBuckets calls fn for every directory under dir with its entries.
func (c *Completer) walkBuckets(ctx context.Context, dir string, fn func(dir string, entries []fs.FileInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := c.FS.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	if err := fn(dir, entries); err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if err := c.walkBuckets(ctx, path.Join(dir, e.Name()), fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// mark writes the manifest, then _SUCCESS: a reader that sees _SUCCESS finds the manifest.
//
// complete is called once the bucket is known complete and before _SUCCESS appears, so that this
// process's pipelines treat records for it as late before any reader can see the marker.
func (c *Completer) mark(ctx context.Context, topic, dir, rel string, start, end, low time.Time, steps []string, complete func()) error {
	m := &Manifest{Version: 1, Topic: topic, Bucket: rel, BucketStart: start.UTC(), BucketEnd: end.UTC(),
		Watermark: low.UTC(), CompletedAt: c.now().UTC(), LateFiles: []ManifestFile{}}
	for _, name := range steps {
		e, err := fileEntry(ctx, c.FS, dir, name)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, e)
		m.Records += e.Records
	}
	sortFiles(m.Files)
	// Another member may have marked it since the listing; its marker stands.
	if _, err := c.FS.Stat(ctx, path.Join(dir, SuccessName)); err == nil {
		complete()
		return nil
	}
	if err := writeManifest(ctx, c.FS, dir, m); err != nil {
		return fmt.Errorf("mark %s complete: %w", dir, err)
	}
	complete()
	if err := writeAtomic(ctx, c.FS, path.Join(dir, SuccessName), nil); err != nil {
		return fmt.Errorf("mark %s complete: %w", dir, err)
	}
	c.completed.WithLabelValues(topic).Inc()
	c.log().Info("bucket complete", "topic", topic, "bucket", rel, "files", len(m.Files), "records", m.Records,
		"watermark", low.UTC().Format(time.RFC3339))
	return nil
}

// noteLate adds the files of a complete bucket that its manifest does not list to late_files.
// They are late records written into the bucket (policy into), or written by a member that did
// not know yet that the bucket was complete.
func (c *Completer) noteLate(ctx context.Context, topic, dir, key string, steps []string, manifest fs.FileInfo) error {
	if manifest == nil {
		// _SUCCESS without a manifest: written by another tool. Leave it.
		return nil
	}
	c.mu.Lock()
	seen, ok := c.seen[key]
	c.mu.Unlock()
	if !ok || seen.size != manifest.Size() || !seen.mod.Equal(manifest.ModTime()) {
		m, err := ReadManifest(ctx, c.FS, dir)
		if err != nil {
			return err
		}
		seen = seenBucket{size: manifest.Size(), mod: manifest.ModTime(), names: map[string]bool{}}
		for _, fs := range [][]ManifestFile{m.Files, m.LateFiles} {
			for _, f := range fs {
				seen.names[f.Name] = true
			}
		}
	}
	var late []string
	for _, n := range steps {
		if !seen.names[n] {
			late = append(late, n)
		}
	}
	if len(late) > 0 {
		m, err := ReadManifest(ctx, c.FS, dir)
		if err != nil {
			return err
		}
		now := c.now().UTC()
		for _, name := range late {
			e, err := fileEntry(ctx, c.FS, dir, name)
			if err != nil {
				return err
			}
			e.NotedAt = &now
			m.LateFiles = append(m.LateFiles, e)
			m.LateRecords += e.Records
		}
		sortFiles(m.LateFiles)
		if err := writeManifest(ctx, c.FS, dir, m); err != nil {
			return fmt.Errorf("note late files in %s: %w", dir, err)
		}
		c.lateFiles.WithLabelValues(topic).Add(float64(len(late)))
		c.log().Info("late files noted in a complete bucket's manifest", "topic", topic, "bucket", key, "files", len(late))
		st, err := c.FS.Stat(ctx, path.Join(dir, ManifestName))
		if err != nil {
			return err
		}
		seen.size, seen.mod = st.Size(), st.ModTime()
		for _, n := range late {
			seen.names[n] = true
		}
	}
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[string]seenBucket{}
	}
	c.seen[key] = seen
	c.mu.Unlock()
	return nil
}
