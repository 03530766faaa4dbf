package consumer

import (
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Transactions leave offsets that hold no record a consumer is given: the commit and abort
// markers, and (read_committed) the records of aborted transactions. Every transactional
// producer's last write to a partition is a marker, so such a partition's log end is an offset no
// record is delivered at, and batch mode, which loads up to the offsets seen at start, cannot tell
// by the offsets it receives that it is done. It asks the broker instead: endOffset is where the
// consumer's view of the log ends (the last stable offset under read_committed, since records of
// undecided transactions are not delivered yet), and firstReadable finds the next offset at which
// a record is delivered, walking the log the way the consumer's fetches do.

// endOffset is the offset a batch loads up to: the last stable offset under read_committed (every
// transaction below it is decided), else the high watermark.
func endOffset(cl sarama.Client, cfg *sarama.Config, tp offsets.TP) (int64, error) {
	if cfg.Consumer.IsolationLevel != sarama.ReadCommitted || !cfg.Version.IsAtLeast(sarama.V0_11_0_0) {
		return cl.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest)
	}
	leader, err := cl.Leader(tp.Topic, tp.Partition)
	if err != nil {
		return 0, fmt.Errorf("leader of %s: %w", tp, err)
	}
	req := sarama.NewOffsetRequest(cfg.Version)
	req.IsolationLevel = sarama.ReadCommitted
	req.AddBlock(tp.Topic, tp.Partition, sarama.OffsetNewest, 1)
	resp, err := leader.GetAvailableOffsets(req)
	if err != nil {
		_ = leader.Close() // as sarama's GetOffset does: the next call reconnects
		return 0, fmt.Errorf("last stable offset of %s: %w", tp, err)
	}
	b := resp.GetBlock(tp.Topic, tp.Partition)
	switch {
	case b == nil:
		return 0, fmt.Errorf("last stable offset of %s: %w", tp, sarama.ErrIncompleteResponse)
	case !errors.Is(b.Err, sarama.ErrNoError):
		return 0, fmt.Errorf("last stable offset of %s: %w", tp, b.Err)
	case len(b.Offsets) != 1:
		return 0, fmt.Errorf("last stable offset of %s: %d offsets in the answer", tp, len(b.Offsets))
	}
	return b.Offsets[0], nil
}

// readableFetchBytes bounds one fetch of firstReadable. The broker returns the first batch
// whole even when it is larger, so the walk always moves on.
const readableFetchBytes = 1 << 20

// firstReadable reports the first offset in [from, to) that holds a record the consumer is given
// (under the configured isolation level), or false if there is none now: every offset there is a
// transaction marker, a record of an aborted transaction under read_committed, or past what the
// broker gives a consumer yet (an open transaction's, under read_committed). It reads the
// log from the partition leader with fetches of its own, deciding each batch as sarama's consumer
// does, so it never guesses from a timeout: an answer of false means the broker showed nothing
// deliverable up to `to`.
func firstReadable(cl sarama.Client, cfg *sarama.Config, tp offsets.TP, from, to int64) (int64, bool, error) {
	readCommitted := cfg.Consumer.IsolationLevel == sarama.ReadCommitted
	pos := from
	// aborted holds the producers whose aborted transaction the walk is inside.
	aborted := map[int64]bool{}
	for pos < to {
		leader, err := cl.Leader(tp.Topic, tp.Partition)
		if err != nil {
			return 0, false, fmt.Errorf("leader of %s: %w", tp, err)
		}
		req := &sarama.FetchRequest{MaxWaitTime: 0, MinBytes: 0, MaxBytes: readableFetchBytes}
		switch {
		case cfg.Version.IsAtLeast(sarama.V2_1_0_0):
			req.Version = 10
		case cfg.Version.IsAtLeast(sarama.V0_11_0_0):
			req.Version = 5
		default:
			return 0, false, fmt.Errorf("kafka.version %s has no transactions to skip", cfg.Version)
		}
		if readCommitted {
			req.Isolation = sarama.ReadCommitted
		}
		if req.Version >= 7 {
			req.SessionID, req.SessionEpoch = 0, -1 // no fetch session
		}
		req.AddBlock(tp.Topic, tp.Partition, pos, readableFetchBytes, -1)
		resp, err := leader.Fetch(req)
		if err != nil {
			_ = leader.Close()
			return 0, false, fmt.Errorf("fetch %s at %d: %w", tp, pos, err)
		}
		b := resp.GetBlock(tp.Topic, tp.Partition)
		if b == nil {
			return 0, false, fmt.Errorf("fetch %s at %d: %w", tp, pos, sarama.ErrIncompleteResponse)
		}
		if !errors.Is(b.Err, sarama.ErrNoError) {
			return 0, false, fmt.Errorf("fetch %s at %d: %w", tp, pos, b.Err)
		}
		txns := slices.Clone(b.AbortedTransactions)
		slices.SortFunc(txns, func(a, b *sarama.AbortedTransaction) int { return int(a.FirstOffset - b.FirstOffset) })
		moved := false
		for _, recs := range b.RecordsSet {
			if recs.MsgSet != nil {
				// Legacy messages (before 0.11) are never transactional: every one is given out.
				for _, m := range recs.MsgSet.Messages {
					if m.Offset >= pos {
						return m.Offset, m.Offset < to, nil
					}
				}
				continue
			}
			batch := recs.RecordBatch
			if batch == nil || batch.PartialTrailingRecord {
				continue
			}
			last := batch.LastOffset()
			if last < pos {
				continue
			}
			// An aborted transaction counts from its first offset on, until its producer's marker.
			for len(txns) > 0 && txns[0].FirstOffset <= last {
				aborted[txns[0].ProducerID] = true
				txns = txns[1:]
			}
			switch {
			case batch.Control:
				delete(aborted, batch.ProducerID)
			case readCommitted && batch.IsTransactional && aborted[batch.ProducerID]:
				// not given out
			default:
				for _, r := range batch.Records {
					if o := batch.FirstOffset + r.OffsetDelta; o >= pos {
						return o, o < to, nil
					}
				}
			}
			pos, moved = last+1, true
		}
		if !moved {
			end := b.HighWaterMarkOffset
			if readCommitted && b.LastStableOffset >= 0 {
				end = b.LastStableOffset
			}
			if pos >= end {
				// Nothing the broker gives a consumer now: under read_committed, what follows is
				// an undecided transaction's.
				return 0, false, nil
			}
			return 0, false, fmt.Errorf("fetch %s at %d: nothing returned below the log end %d", tp, pos, end)
		}
	}
	return 0, false, nil
}
