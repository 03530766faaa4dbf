package consumer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Batch bookkeeping: the targets a batch (or backfill) run loads up to, its progress, the time
// box, and the watch that ends the run when the group reached every target. Run drives these; the
// session loop itself is group.go.

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
	// "Progress is committed" must be true of every partition this member stopped: one that
	// failed and has not committed since made none, and the run failed, whatever stopped it.
	if tps, err := g.failing(); err != nil {
		return fmt.Errorf("%s, but %d partition(s) (%s) failed and committed nothing since: %w", box.why, len(tps), formatTPs(tps), err)
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
	committed, err := kafkaoffsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
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

// snapshot records each partition's log end (the last stable offset under read_committed, else
// the high watermark): batch mode loads up to it and stops. A backfill's targets are the ends of
// its ranges.
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
			tp := offsets.TP{Topic: t, Partition: p}
			end, err := endOffset(g.client, g.opts.Sarama, tp)
			if err != nil {
				return fmt.Errorf("log end of %s: %w", tp, err)
			}
			targets[tp] = end
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
	committed, err := kafkaoffsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
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

// targetCommitted tells watchBatch that a partition of this member committed up to its target, so
// that the run ends as soon as the last one has, not up to a tick later: a twentieth of a batch
// of 3M small records was that wait.
func (g *Group) targetCommitted() {
	select {
	case g.reached <- struct{}{}:
	default: // a check is due already
	}
}

// watchBatch ends the run when the group's committed offsets reached every target. It asks Kafka
// rather than counting local partitions, so it is right with several members in the group; it
// checks on a tick (partitions other members commit) and when one of this member's reached its
// target.
func (g *Group) watchBatch(ctx context.Context, done context.CancelCauseFunc) {
	// One small request on the commit client's connection per tick: often enough that a fast
	// batch does not idle for long after its last commit.
	tick := g.batchTick
	if tick <= 0 {
		tick = 100 * time.Millisecond
	}
	t := time.NewTicker(tick)
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
		case <-g.reached:
		}
		committed, err := kafkaoffsets.FetchCommitted(ctx, g.commits, g.opts.Sarama, g.opts.Group, tps)
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
