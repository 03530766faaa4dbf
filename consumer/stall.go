package consumer

import (
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// stallWatch is a claim's liveness watchdog, a guard rather than a fix: should sarama's consumer
// ever stop feeding a claim (its Messages channel stays empty) while the partition has records to
// read, nothing in sarama's group session would notice, and the partition would stop loading until
// the next rebalance. (The e2e stalls that once looked like this were commits queued behind held
// fetches; see TestCommitsDoNotQueueBehindHeldFetches.) The watch notices: once the claim has received nothing for `after`, with nothing buffered, it asks the
// broker for the partition's log end and, if that is past the next offset to read, confirms with
// an independent read at that offset that a record is really there (offsets taken by transaction
// markers have none, and would otherwise look like a stall forever). The caller then ends the
// session: the group rejoins and every claim gets a fresh partition consumer.
type stallWatch struct {
	after time.Duration
	// logEnd returns the partition's high watermark, as the broker has it now.
	logEnd func() (int64, error)
	// probe reports whether a record in [offset, end) is given to a consumer now.
	probe func(offset, end int64) (bool, error)

	// since is when a check last saw records received (or when the claim started), or last asked
	// the broker; received counts the records delivered, seen what the last check saw of it.
	since          time.Time
	received, seen int64
	// quiet is the (next, log end) of the last probe that found nothing to read: not probed again
	// until one of them moves (a partition ending in a transaction marker stays like that).
	quiet [2]int64
}

// stall describes a confirmed stall, for the log.
type stall struct {
	next, logEnd int64
	idle         time.Duration
}

// receive notes a record delivered to the claim; cheap enough for every record.
func (s *stallWatch) receive() { s.received++ }

// check is called periodically while the claim waits for records. buffered is how many records
// sarama holds for the claim (len of its Messages channel) and next the next offset the claim
// expects. It returns a stall when one is confirmed; a failed broker request is only a reason to
// look again later, never a stall.
func (s *stallWatch) check(now time.Time, buffered int, next int64) (*stall, error) {
	if s.after <= 0 {
		return nil, nil
	}
	if buffered > 0 || s.received != s.seen {
		// Records arrived since the last check, or are waiting for the claim (sarama is feeding
		// it, the handler is just busy).
		s.since, s.seen = now, s.received
		return nil, nil
	}
	idle := now.Sub(s.since)
	if idle < s.after {
		return nil, nil
	}
	s.since = now // whatever the outcome, the next look is `after` from now
	end, err := s.logEnd()
	if err != nil {
		return nil, fmt.Errorf("log end: %w", err)
	}
	if end <= next || s.quiet == [2]int64{next, end} {
		return nil, nil // caught up (an idle partition), or already found to have nothing readable
	}
	ok, err := s.probe(next, end)
	if err != nil {
		return nil, fmt.Errorf("probe read at %d: %w", next, err)
	}
	if !ok {
		s.quiet = [2]int64{next, end}
		return nil, nil // nothing readable at next (transaction markers, or not yet visible)
	}
	return &stall{next: next, logEnd: end, idle: idle}, nil
}

// stallTimeout is how long a claim may receive nothing while its partition has records before the
// session is ended: StallTimeout, else twice the session timeout and at least 10s.
func stallTimeout(opts Options) time.Duration {
	if opts.StallTimeout != 0 {
		return max(opts.StallTimeout, 0)
	}
	return max(2*opts.Sarama.Consumer.Group.Session.Timeout, 10*time.Second)
}

// newStallWatch builds the watch of one claim, asking the broker through the commit client (its
// requests never queue behind the consuming connection's held fetches). The probe reads the log
// with fetches of its own (firstReadable), so whatever state stopped the claim's partition
// consumer plays no part, and markers are told from records by what the broker returns, not by
// waiting for a consumer to deliver something.
func (g *Group) newStallWatch(tp offsets.TP, now time.Time) *stallWatch {
	return &stallWatch{
		after: stallTimeout(g.opts),
		logEnd: func() (int64, error) {
			return g.commits.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest)
		},
		probe: func(offset, end int64) (bool, error) {
			_, ok, err := firstReadable(g.commits, g.opts.Sarama, tp, offset, end)
			return ok, err
		},
		since: now,
	}
}
