package kafkaoffsets

import (
	"github.com/kafka2hdfs/kafka2hdfs/offsets"

	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// This file is the operator's view of a group's offsets: `kafka2hdfs offsets show` and
// `kafka2hdfs offsets reset`. Nothing here runs inside the loader.

// PartitionState is one partition as `offsets show` prints it.
type PartitionState struct {
	TP offsets.TP
	// Committed is the group's committed offset, -1 for none.
	Committed int64
	// Meta says what the commit metadata holds: "-" (nothing committed), "clean", "run-start N",
	// "pending step S-E", "pending manifest ID", or "foreign" (not written by kafka2hdfs).
	Meta string
	// FilesEnd is the highest offset in final file names, -1 for none or not scanned.
	FilesEnd int64
	// LogStart and LogEnd are the partition's oldest offset and high watermark.
	LogStart, LogEnd int64
	// Lag is the records from the committed offset (or the log start) to the log end.
	Lag int64
	// LagTime is now minus the timestamp of the first record not yet committed; 0 when caught up,
	// -1 when unknown (the record could not be read in time).
	LagTime time.Duration
}

// ShowOptions tune Show.
type ShowOptions struct {
	// SkipFiles skips the scan of final file names (slow on big HDFS trees).
	SkipFiles bool
	// FetchTimeout bounds reading the record at each lagging partition's committed offset.
	// Default: 5s.
	FetchTimeout time.Duration
	// Now is the clock for LagTime; default time.Now.
	Now func() time.Time
}

// Show reads the state of every partition of topics for the group: committed offset and metadata,
// highest offset in files, log start and end, and lag in records and in event time.
func Show(ctx context.Context, p *offsets.Protocol, client sarama.Client, cfg *sarama.Config, topics []string, o ShowOptions) ([]PartitionState, error) {
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	tps, err := partitionsOf(client, topics, nil)
	if err != nil {
		return nil, err
	}
	committed, err := FetchCommitted(ctx, client, cfg, p.Paths.Group, tps)
	if err != nil {
		return nil, err
	}
	cons, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("consumer for lag times: %w", err)
	}
	defer cons.Close()
	out := make([]PartitionState, 0, len(tps))
	for _, tp := range tps {
		c := committed[tp]
		st := PartitionState{TP: tp, Committed: c.Offset, Meta: describeMeta(tp, c), FilesEnd: -1, LagTime: -1}
		if st.LogStart, err = client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest); err != nil {
			return nil, fmt.Errorf("log start of %s: %w", tp, err)
		}
		if st.LogEnd, err = client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest); err != nil {
			return nil, fmt.Errorf("log end of %s: %w", tp, err)
		}
		if !o.SkipFiles {
			if end, found, err := p.HighestEnd(ctx, tp); err != nil {
				return nil, err
			} else if found {
				st.FilesEnd = end
			}
		}
		from := max(c.Offset, st.LogStart)
		st.Lag = max(0, st.LogEnd-from)
		if st.Lag == 0 {
			st.LagTime = 0
		} else if ts, ok := firstTimestamp(cons, tp, from, o.FetchTimeout); ok {
			st.LagTime = max(0, o.Now().Sub(ts))
		}
		out = append(out, st)
	}
	return out, nil
}

// firstTimestamp reads the timestamp of the first record at or after offset.
func firstTimestamp(cons sarama.Consumer, tp offsets.TP, offset int64, timeout time.Duration) (time.Time, bool) {
	pc, err := cons.ConsumePartition(tp.Topic, tp.Partition, offset)
	if err != nil {
		return time.Time{}, false
	}
	defer pc.Close()
	select {
	case m := <-pc.Messages():
		return m.Timestamp, true
	case <-time.After(timeout):
		return time.Time{}, false
	}
}

func describeMeta(tp offsets.TP, c offsets.Committed) string {
	if c.Offset < 0 {
		return "-"
	}
	m, err := offsets.ParseMeta(tp, c.Metadata)
	switch {
	case err != nil:
		return "foreign"
	case m.Pending != nil:
		return fmt.Sprintf("pending step %d-%d", m.Pending.Start, m.Pending.End)
	case m.Manifest != "":
		return "pending manifest " + m.Manifest
	case m.RunStart >= 0:
		return "run-start " + strconv.FormatInt(m.RunStart, 10)
	}
	return "clean"
}

// partitionsOf lists the partitions of topics, sorted; only those in keep when keep is non-nil.
func partitionsOf(client sarama.Client, topics []string, keep func(offsets.TP) bool) ([]offsets.TP, error) {
	var tps []offsets.TP
	for _, t := range topics {
		parts, err := client.Partitions(t)
		if err != nil {
			return nil, fmt.Errorf("partitions of %s: %w", t, err)
		}
		for _, p := range parts {
			tp := offsets.TP{Topic: t, Partition: p}
			if keep == nil || keep(tp) {
				tps = append(tps, tp)
			}
		}
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	return tps, nil
}

// ErrGroupActive: the group has live members, so a reset would race them (and Kafka would refuse
// the unfenced commit anyway).
var ErrGroupActive = errors.New("the consumer group has live members")

// ErrResetRefused: the reset would break exactly-once and was not forced.
var ErrResetRefused = errors.New("reset refused")

// ResetOptions say where to move a group's offsets.
type ResetOptions struct {
	Topics []string
	// Keep selects partitions; nil means all of Topics.
	Keep func(offsets.TP) bool
	// To is earliest, latest, an RFC3339 time, or an offset.
	To string
	// Force allows a reset below the highest offset in files (those offsets will be loaded again
	// and be in the output twice unless their files are removed first) and over a pending step.
	Force bool
	// By names who reset (user@host), for the record.
	By string
	// DryRun computes the plan and writes nothing.
	DryRun bool
	Now    func() time.Time
}

// Reset moves the group's committed offsets. It refuses while the group has members: the commit is
// unfenced (generation -1), which is only sound when no member can be committing at the same time;
// Kafka itself rejects an unfenced commit to a non-empty group, which closes the race between the
// check and the commit. Before committing it writes a ResetRecord under <root>/.kafka2hdfs/resets/<group>/
// (the intent: if the commit then fails, the record lists a move that did not happen, which an
// audit sees as committed ≠ to; the reverse, a jump with no record, cannot happen). Offsets are
// committed with empty metadata: nothing pending, the next step starts at the new offset.
func Reset(ctx context.Context, p *offsets.Protocol, admin sarama.ClusterAdmin, client sarama.Client, cfg *sarama.Config, o ResetOptions) (*offsets.ResetRecord, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := groupEmpty(admin, p.Paths.Group); err != nil {
		return nil, err
	}
	tps, err := partitionsOf(client, o.Topics, o.Keep)
	if err != nil {
		return nil, err
	}
	if len(tps) == 0 {
		return nil, errors.New("no partition selected")
	}
	committed, err := FetchCommitted(ctx, client, cfg, p.Paths.Group, tps)
	if err != nil {
		return nil, err
	}
	rec := &offsets.ResetRecord{Group: p.Paths.Group, Time: o.Now().UTC(), By: o.By, To: o.To, Forced: o.Force}
	var problems []string
	for _, tp := range tps {
		to, err := resolveOffset(client, tp, o.To)
		if err != nil {
			return nil, err
		}
		c := committed[tp]
		end, found, err := p.HighestEnd(ctx, tp)
		if err != nil {
			return nil, err
		}
		if !found {
			end = -1
		}
		if m, err := offsets.ParseMeta(tp, c.Metadata); err == nil && (m.Pending != nil || m.Manifest != "") {
			problems = append(problems, fmt.Sprintf("%s has a prepared step (%s); run the loader once so it is rolled forward", tp, describeMeta(tp, c)))
		}
		if to <= end {
			problems = append(problems, fmt.Sprintf("%s: files already hold offsets up to %d; loading from %d writes %d records again", tp, end, to, end-to+1))
		}
		rec.Partitions = append(rec.Partitions, offsets.ResetPartition{Topic: tp.Topic, Partition: tp.Partition,
			From: c.Offset, FromMeta: c.Metadata, To: to, FilesEnd: end})
	}
	if len(problems) > 0 && !o.Force {
		return rec, fmt.Errorf("%w (--force to do it anyway):\n  %s", ErrResetRefused, strings.Join(problems, "\n  "))
	}
	if o.DryRun {
		return rec, nil
	}
	if err := p.WriteResetRecord(ctx, rec); err != nil {
		return rec, err
	}
	if err := commitUnfenced(ctx, client, cfg, p.Paths.Group, rec.Partitions); err != nil {
		return rec, err
	}
	return rec, nil
}

func groupEmpty(admin sarama.ClusterAdmin, group string) error {
	ds, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil {
		return fmt.Errorf("describe group %s: %w", group, err)
	}
	for _, d := range ds {
		if d.Err != sarama.ErrNoError {
			return fmt.Errorf("describe group %s: %w", group, d.Err)
		}
		if len(d.Members) > 0 {
			return fmt.Errorf("%w: group %s is %s with %d member(s); stop every loader of the group first", ErrGroupActive, group, d.State, len(d.Members))
		}
	}
	return nil
}

// resolveOffset turns earliest, latest, an RFC3339 time or an offset into tp's offset.
func resolveOffset(client sarama.Client, tp offsets.TP, to string) (int64, error) {
	oldest, err := client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest)
	if err != nil {
		return 0, fmt.Errorf("log start of %s: %w", tp, err)
	}
	newest, err := client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest)
	if err != nil {
		return 0, fmt.Errorf("log end of %s: %w", tp, err)
	}
	switch to {
	case "earliest":
		return oldest, nil
	case "latest":
		return newest, nil
	}
	if n, err := strconv.ParseInt(to, 10, 64); err == nil {
		if n < oldest || n > newest {
			return 0, fmt.Errorf("--to %d is outside %s's log [%d, %d]", n, tp, oldest, newest)
		}
		return n, nil
	}
	t, err := time.Parse(time.RFC3339, to)
	if err != nil {
		return 0, fmt.Errorf("--to %q: not earliest, latest, an offset or an RFC3339 time", to)
	}
	off, err := client.GetOffset(tp.Topic, tp.Partition, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("offset of %s at %s: %w", tp, to, err)
	}
	if off < 0 { // nothing at or after t
		return newest, nil
	}
	return off, nil
}

// commitUnfenced commits with generation -1 and no member id: Kafka's commit for a group with no
// members. The loader never does this; only Reset, after checking the group is empty.
func commitUnfenced(ctx context.Context, client sarama.Client, cfg *sarama.Config, group string, parts []offsets.ResetPartition) error {
	return retry(ctx, 5, func() (bool, error) {
		coord, err := client.Coordinator(group)
		if err != nil {
			return true, fmt.Errorf("find coordinator of group %s: %w", group, err)
		}
		req := sarama.NewOffsetCommitRequest(cfg, group)
		req.ConsumerGroupGeneration = -1
		req.ConsumerID = ""
		for _, rp := range parts {
			req.AddBlockWithLeaderEpoch(rp.Topic, rp.Partition, rp.To, -1, 0, "")
		}
		resp, err := coord.CommitOffset(req)
		if err != nil {
			_ = client.RefreshCoordinator(group)
			return true, fmt.Errorf("reset commit: %w", err)
		}
		for _, rp := range parts {
			kerr, ok := resp.Errors[rp.Topic][rp.Partition]
			if !ok {
				return false, fmt.Errorf("reset commit %s/%d: no answer from the coordinator", rp.Topic, rp.Partition)
			}
			if kerr == sarama.ErrNoError {
				continue
			}
			if isRetriable(kerr) {
				_ = client.RefreshCoordinator(group)
				return true, fmt.Errorf("reset commit %s/%d: %w", rp.Topic, rp.Partition, kerr)
			}
			if kerr == sarama.ErrUnknownMemberId || kerr == sarama.ErrIllegalGeneration || kerr == sarama.ErrRebalanceInProgress {
				return false, fmt.Errorf("%w: a member joined during the reset (%v); nothing or part was reset, check with offsets show", ErrGroupActive, kerr)
			}
			return false, fmt.Errorf("reset commit %s/%d: %w", rp.Topic, rp.Partition, kerr)
		}
		return false, nil
	})
}
