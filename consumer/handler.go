package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"golang.org/x/sync/errgroup"

	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// handler is one group session: Setup recovers every claimed partition, ConsumeClaim runs one
// partition's pipeline, Cleanup has nothing left to do because each claim flushed before returning.
type handler struct {
	g     *Group
	fatal func(error)
	// failed counts partitions of this session that stopped with an error; lastErr is the last
	// of those errors.
	failed atomic.Int32
	errMu  sync.Mutex
	last   error
	// starts holds each claimed partition's recovered state, filled by Setup.
	starts map[offsets.TP]start
	// endSession ends the session so the member rejoins (a claim stalled; see stallWatch).
	endSession func()
	// joined is called when the group assigned this session's partitions (Setup started).
	joined func()
}

type start struct {
	committed, next, runStart int64
}

func (h *handler) committer(sess sarama.ConsumerGroupSession) *kafkaoffsets.GroupCommitter {
	return &kafkaoffsets.GroupCommitter{Client: h.g.commits, Config: h.g.opts.Sarama, Group: h.g.opts.Group,
		Generation: sess.GenerationID(), Member: sess.MemberID()}
}

// Setup recovers every claimed partition before any is consumed: it reads the committed offset and
// metadata, rolls a prepared step forward, removes orphan staging files, resolves where to start,
// and moves sarama's start position there. sarama commits nothing (auto-commit is off and we never
// call sess.Commit), so ResetOffset only sets where the claim begins.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	g := h.g
	if h.joined != nil {
		h.joined()
	}
	var tps []offsets.TP
	for topic, parts := range sess.Claims() {
		for _, p := range parts {
			tps = append(tps, offsets.TP{Topic: topic, Partition: p})
		}
	}
	g.log.Info("assigned", "generation", sess.GenerationID(), "member", sess.MemberID(), "partitions", len(tps))
	g.keepFailures(tps)
	ctx := context.WithoutCancel(sess.Context())
	committed, err := kafkaoffsets.FetchCommitted(ctx, g.client, g.opts.Sarama, g.opts.Group, tps)
	if err != nil {
		return h.setupFailed(err, tps)
	}
	c := h.committer(sess)
	h.starts = make(map[offsets.TP]start, len(tps))
	var (
		eg errgroup.Group
		mu sync.Mutex
	)
	eg.SetLimit(8)
	for _, tp := range tps {
		eg.Go(func() error {
			st, err := h.recover(ctx, c, tp, committed[tp])
			if err != nil {
				return err
			}
			mu.Lock()
			h.starts[tp] = st
			mu.Unlock()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return h.setupFailed(err, tps)
	}
	for tp, st := range h.starts {
		sess.ResetOffset(tp.Topic, tp.Partition, st.next, "")
	}
	return nil
}

// fail records that the partitions tps stopped with err in this session.
func (h *handler) fail(err error, tps ...offsets.TP) {
	h.failed.Add(1)
	h.errMu.Lock()
	h.last = err
	h.errMu.Unlock()
	for _, tp := range tps {
		h.g.partitionFailed(tp, err)
	}
}

// lastErr is the last error a partition of this session stopped with.
func (h *handler) lastErr() error {
	h.errMu.Lock()
	defer h.errMu.Unlock()
	return h.last
}

func (h *handler) setupFailed(err error, tps []offsets.TP) error {
	if errors.Is(err, offsets.ErrFenced) || errors.Is(err, offsets.ErrRebalancing) {
		// The group moved on while we recovered; the next session recovers again.
		h.failed.Add(1)
		h.g.log.Info("recovery interrupted by a rebalance", "err", err)
		return err
	}
	h.fail(err, tps...)
	if errors.Is(err, offsets.ErrConflict) || errors.Is(err, offsets.ErrBadMetadata) || errors.Is(err, offsets.ErrStepLost) ||
		errors.Is(err, errPastLogEnd) {
		// Retrying cannot fix these; a person must look.
		h.fatal(err)
	}
	return err
}

func (h *handler) recover(ctx context.Context, c offsets.Committer, tp offsets.TP, cur offsets.Committed) (start, error) {
	g := h.g
	pos, err := g.proto.Recover(ctx, c, tp, cur)
	if err != nil {
		return start{}, err
	}
	if pos.RolledForward {
		g.metrics.recoveries.WithLabelValues("rolled_forward").Inc()
	}
	if pos.Reread {
		g.metrics.recoveries.WithLabelValues("reread").Inc()
	}
	oldest, err := g.client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest)
	if err != nil {
		return start{}, fmt.Errorf("log start of %s: %w", tp, err)
	}
	newest, err := g.client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest)
	if err != nil {
		return start{}, fmt.Errorf("log end of %s: %w", tp, err)
	}
	next := pos.Next
	if r, ok := g.opts.Ranges[tp]; ok && next < 0 {
		// A backfill's first run: its own group has nothing committed and its output no files.
		next = r.From
		pos.RunStart = next
		g.log.Info("backfill: starting at the range start", "topic", tp.Topic, "partition", tp.Partition, "offset", next, "to", r.To)
	} else if next < 0 {
		if next, err = h.initialOffset(tp, oldest, newest); err != nil {
			return start{}, err
		}
		pos.RunStart = next
		g.log.Info("no committed offset or files; starting at the configured position", "topic", tp.Topic, "partition", tp.Partition, "start", g.opts.Start, "offset", next)
	} else if pos.FromFiles {
		g.log.Info("no committed offset; resuming after the highest offset in final files", "topic", tp.Topic, "partition", tp.Partition, "offset", next)
	}
	switch {
	case next < oldest:
		// Retention deleted offsets before they were loaded. Name the next file from what is
		// really there, so an audit shows the gap instead of files claiming offsets they lack.
		g.log.Error("offsets were deleted by retention before they were loaded", "topic", tp.Topic, "partition", tp.Partition,
			"first_lost", next, "lost", oldest-next)
		g.metrics.lost.WithLabelValues(tp.Topic).Add(float64(oldest - next))
		next, pos.RunStart = oldest, oldest
	case next > newest:
		return start{}, fmt.Errorf("%s: resume offset %d is past the log end %d: %w", tp, next, newest, errPastLogEnd)
	}
	committedNow := pos.Committed
	if committedNow != next {
		// Record where we start, so batch progress and lag are right from here and a later
		// restart need not scan files again.
		if err := g.proto.Advance(ctx, c, tp, next, pos.RunStart); err != nil {
			return start{}, err
		}
		committedNow = next
	}
	return start{committed: committedNow, next: next, runStart: pos.RunStart}, nil
}

func (h *handler) initialOffset(tp offsets.TP, oldest, newest int64) (int64, error) {
	switch h.g.opts.Start {
	case StartEarliest:
		return oldest, nil
	case StartLatest:
		return newest, nil
	}
	t, err := time.Parse(time.RFC3339, h.g.opts.Start)
	if err != nil {
		return 0, fmt.Errorf("start %q: not earliest, latest or an RFC3339 time", h.g.opts.Start)
	}
	off, err := h.g.client.GetOffset(tp.Topic, tp.Partition, t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("offset of %s at %s: %w", tp, t, err)
	}
	if off < 0 { // no record at or after t
		return newest, nil
	}
	return off, nil
}

// errPastLogEnd: resuming would skip nothing but means the log was replaced under us.
var errPastLogEnd = errors.New("the resume offset is past the log end; was the topic deleted and recreated? reset the group's offsets for it (or use a new group) and check the output")

// Cleanup implements sarama.ConsumerGroupHandler.
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

// ConsumeClaim runs one partition until the session ends, then flushes and commits what it holds.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	g := h.g
	tp := offsets.TP{Topic: claim.Topic(), Partition: claim.Partition()}
	st, ok := h.starts[tp]
	if !ok {
		return fmt.Errorf("claim %s was not recovered", tp)
	}
	topic := g.topicFor(tp.Topic)
	if topic == nil {
		return fmt.Errorf("no topic spec matches %s", tp.Topic)
	}
	w := writer.NewPartition(g.wcfg, tp)
	defer w.Close()
	pl := &pipeline{
		g: g, tp: tp, topic: topic, w: w, c: h.committer(sess),
		log: g.log.With("topic", tp.Topic, "partition", tp.Partition),
		st:  g.stats.topic(tp.Topic), consumedC: g.metrics.consumed.WithLabelValues(tp.Topic),
		committed: st.committed, runStart: st.runStart, next: st.next, target: -1,
	}
	if g.opts.Batch {
		pl.target = g.target(tp)
		if pl.target < 0 && g.opts.Ranges != nil {
			// Not in the backfill: hold the claim without reading.
			<-sess.Context().Done()
			return nil
		}
		if pl.target >= 0 && pl.next >= pl.target {
			pl.log.Debug("batch: nothing to load")
			<-sess.Context().Done()
			return nil
		}
	}
	err := h.loop(sess, claim, pl)
	// Drain: stop reading, flush what is held, commit. The session context is done by now, so
	// the flush gets its own deadline, shorter than the rebalance timeout. The step in flight, if
	// any, ends first whatever happened: it owns its files until then.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(sess.Context()), g.opts.DrainTimeout)
	defer cancel()
	if werr := pl.wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = pl.flush(dctx, "drain")
	}
	if err != nil {
		w.Abort(dctx)
		if errors.Is(err, offsets.ErrFenced) || errors.Is(err, offsets.ErrRebalancing) {
			return nil
		}
		pl.log.Error("partition stopped", "err", err)
		if errors.Is(err, ErrTooManyBadRecords) || errors.Is(err, offsets.ErrConflict) || isRegistryFatal(err) {
			h.fatal(err)
		}
		// Any other error ends the session; the partition restarts from its committed offset.
		h.fail(err, pl.tp)
		return err
	}
	return nil
}

func (h *handler) loop(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim, pl *pipeline) error {
	g := h.g
	ctx := context.WithoutCancel(sess.Context())
	tick := time.NewTicker(tickEvery(g.opts.Rotation.MaxAge))
	defer tick.Stop()
	pf := startPrefetch(claim.Messages(), h.g.opts.PrefetchBytes)
	defer pf.stop()
	defer pl.publish()
	queued := func() int { return len(claim.Messages()) + pf.Queued() }
	sw := g.stallWatch(pl.tp, time.Now())
	// unreadable is the next offset at which skipToTarget last found a record to wait for: not
	// looked at again until a record moves next.
	unreadable := int64(-1)
	for {
		select {
		case <-sess.Context().Done():
			return nil
		case b, ok := <-pf.C():
			if !ok {
				return nil
			}
			// Messages arrive in batches of what a fetch response queued: all of a batch is
			// handled before the other cases are looked at again, since a message taken from the
			// queue and dropped would leave a hole once the next one is handled.
			pl.now = time.Now()
			for _, m := range b.msgs {
				sw.receive()
				if done, err := h.message(ctx, sess, pl, m); done || err != nil {
					return err
				}
			}
			pf.done(b)
			pl.publish()
			pl.forget()
		case <-pl.doneC():
			// The step in flight is committed (or failed): surface an error now, not at the next flush.
			if err := pl.wait(); err != nil {
				return err
			}
		case <-pl.w.FlushRequested():
			if err := pl.relieve(ctx); err != nil {
				return err
			}
		case <-tick.C:
			now := time.Now()
			if reason := pl.due(now); reason != "" {
				if err := pl.flushAsync(ctx, reason); err != nil {
					return err
				}
			}
			if pl.target >= 0 && pl.next < pl.target && queued() == 0 && pl.next != unreadable {
				// A batch claim short of its target with nothing arriving: the offsets left may
				// hold no record it will be given (transaction markers, aborted records).
				if done, err := h.skipToTarget(ctx, sess, pl); done || err != nil {
					return err
				}
				unreadable = pl.next // looked: a record is there (sarama delivers it) or the look failed
			}
			if st, err := sw.check(now, queued(), pl.next); err != nil {
				pl.log.Debug("stall check", "err", err)
			} else if st != nil {
				// Drain (flush and commit what is held) and end the session: the rejoin gives
				// every claim a fresh partition consumer.
				pl.log.Warn("claim stalled: no records delivered although the partition has more; ending the session to rejoin",
					"next", st.next, "log_end", st.logEnd, "idle", st.idle.Round(time.Millisecond))
				g.metrics.stalls.WithLabelValues(pl.tp.Topic).Inc()
				h.endSession()
				return nil
			}
		}
	}
}

// skipToTarget ends a batch claim whose offsets left below the target hold no record it will be
// given: transaction markers (every transactional producer's last write is one, so a partition
// written by one ends in a marker) and, under read_committed, records of aborted transactions. It
// asks the broker (firstReadable) rather than guessing from a quiet claim, since a slow fetch
// would look the same. It flushes and commits what the claim holds, then commits the target as an
// empty step, so the group's offset reaches the target as any finished batch's does. done: the
// claim is finished.
func (h *handler) skipToTarget(ctx context.Context, sess sarama.ConsumerGroupSession, pl *pipeline) (done bool, err error) {
	at, ok, err := firstReadable(h.g.commits, h.g.opts.Sarama, pl.tp, pl.next, pl.target)
	if err != nil {
		pl.log.Debug("batch: look for records before the target", "next", pl.next, "target", pl.target, "err", err)
		return false, nil
	}
	if ok {
		pl.log.Debug("batch: a record is on its way before the target", "next", pl.next, "record", at, "target", pl.target)
		return false, nil
	}
	pl.log.Info("batch: the offsets left before the target hold no records to load (transaction markers or aborted transactions)",
		"next", pl.next, "target", pl.target)
	if err := pl.flush(ctx, "caught up"); err != nil {
		return true, err
	}
	pl.next = pl.target
	if err := pl.commit(ctx, pl.seal("caught up")); err != nil {
		return true, err
	}
	<-sess.Context().Done()
	return true, nil
}

// message handles one message and what follows from it (a flush that is due, the memory budget,
// the batch target). done means the claim is finished for this session.
func (h *handler) message(ctx context.Context, sess sarama.ConsumerGroupSession, pl *pipeline, m *sarama.ConsumerMessage) (done bool, err error) {
	if err := pl.handle(ctx, m); errors.Is(err, errRecordsSpent) {
		// The run is being stopped; the drain commits what this partition holds.
		<-sess.Context().Done()
		return true, nil
	} else if err != nil {
		return true, err
	}
	if reason := pl.due(pl.now); reason != "" {
		if err := pl.flushAsync(ctx, reason); err != nil {
			return true, err
		}
		pl.now = time.Now() // flushAsync may have waited for the step in flight
	} else if pl.g.opts.Budget.Over() {
		if err := pl.underBudget(ctx, sess.Context().Done()); err != nil {
			return true, err
		}
		pl.now = time.Now() // it may have waited for memory
	}
	if pl.target >= 0 && pl.next >= pl.target {
		pl.log.Debug("batch: reached the target", "offset", pl.next)
		if err := pl.wait(); err != nil {
			return true, err
		}
		<-sess.Context().Done()
		return true, nil
	}
	return false, nil
}

func tickEvery(maxAge time.Duration) time.Duration {
	return min(max(maxAge/4, 10*time.Millisecond), 5*time.Second)
}
