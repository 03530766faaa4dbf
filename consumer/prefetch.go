package consumer

import (
	"sync"
	"sync/atomic"

	"github.com/IBM/sarama"
)

// prefetch moves a claim's messages out of sarama's queue into one of its own, bounded by bytes,
// on a goroutine of its own.
//
// Why: sarama's broker consumer hands a fetch response to every partition it serves and sends the
// next fetch only once each partition has queued all of its messages in its channel
// (ChannelBufferSize, counted in messages). With the default 256 the next fetch went out when each
// claim had about 256 messages left, half a millisecond of work for a 200-byte record, and the
// loader then waited for the fetch's round trip: a tenth of the wall time at every record size.
// A deeper sarama channel would fix the wait but is counted in messages, so its memory would be
// depth times the record size per partition: 4 MiB at 4096 one-KB records, 256 MiB for 64
// partitions. Counting bytes keeps Kafka's share of the memory what the fetch sizes say it is.
//
// The claim goroutine owns the prefetch: it starts it, takes batches from C, gives their bytes
// back with done, and stops it (stop) before it returns; stop waits for the goroutine.
type prefetch struct {
	c     chan batch
	quit  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
	limit int64

	mu       sync.Mutex
	room     *sync.Cond // signalled when bytes fall or quit closes
	bytes    int64      // queued in c, not yet given back
	quitting bool

	queued atomic.Int64 // messages taken from sarama and not yet given back
}

// batch is messages taken from sarama's queue together, with their bytes (messageBytes), counted
// once: counting them again when they are given back was 1% of the loader at 1 KB.
type batch struct {
	msgs  []*sarama.ConsumerMessage
	bytes int64
}

// prefetchBatch is the most messages a batch holds: the claim loop handles a whole batch before it
// looks at its other cases (timers, flush requests, the session ending), which cost more than
// converting a small record to look at each time.
const prefetchBatch = 256

// startPrefetch reads msgs until it closes or stop is called. It queues at most limit bytes (keys,
// values and headers), and holds at most one more batch of at most limit bytes while it waits for
// room; a message larger than limit still passes, alone.
func startPrefetch(msgs <-chan *sarama.ConsumerMessage, limit int64) *prefetch {
	p := &prefetch{
		// Room for many batches: the bytes, not this count, are the bound.
		c:     make(chan batch, 256),
		quit:  make(chan struct{}),
		limit: limit,
	}
	p.room = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.run(msgs)
	return p
}

// C yields the batches in the order the messages arrived; it is closed when sarama's channel is.
func (p *prefetch) C() <-chan batch { return p.c }

// Queued is the number of messages waiting in the prefetch, for the stall watch and the batch
// target's look: a claim with messages queued here is not starved.
func (p *prefetch) Queued() int { return int(p.queued.Load()) }

// done gives back a batch taken from C once its messages are handled: their bytes make room.
func (p *prefetch) done(b batch) {
	p.queued.Add(-int64(len(b.msgs)))
	p.mu.Lock()
	p.bytes -= b.bytes
	p.mu.Unlock()
	p.room.Signal()
}

// stop ends the goroutine and waits for it; messages still queued are dropped, as sarama drops its
// own when a claim ends: the claim's offsets move only with what it handled. Calling it again
// does nothing.
func (p *prefetch) stop() {
	p.once.Do(func() {
		p.mu.Lock()
		p.quitting = true
		p.mu.Unlock()
		close(p.quit)
		p.room.Broadcast()
	})
	p.wg.Wait()
}

func (p *prefetch) run(msgs <-chan *sarama.ConsumerMessage) {
	defer p.wg.Done()
	defer close(p.c)
	for {
		var m *sarama.ConsumerMessage
		var ok bool
		select {
		case <-p.quit:
			return
		case m, ok = <-msgs:
			if !ok {
				return
			}
		}
		// Take what sarama has queued without blocking: a batch per burst of a fetch response.
		b := append(make([]*sarama.ConsumerMessage, 0, prefetchBatch), m)
		n := messageBytes(m)
	fill:
		for len(b) < prefetchBatch && n < p.limit {
			select {
			case m, ok = <-msgs:
				if !ok {
					break fill
				}
				b = append(b, m)
				n += messageBytes(m)
			default:
				break fill
			}
		}
		if !p.reserve(n) {
			return
		}
		p.queued.Add(int64(len(b)))
		select {
		case p.c <- batch{msgs: b, bytes: n}:
		case <-p.quit:
			return
		}
		if !ok {
			return
		}
	}
}

// reserve waits until n bytes fit under the limit (or nothing is queued, so that a batch larger
// than the limit still passes) and takes them; false when stopped meanwhile.
func (p *prefetch) reserve(n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.bytes > 0 && p.bytes+n > p.limit && !p.quitting {
		p.room.Wait()
	}
	if p.quitting {
		return false
	}
	p.bytes += n
	return true
}

// messageBytes is what a message holds in memory that the fetch response does not share with
// others: its key, value and headers, the measure of Kafka's share of the memory.
func messageBytes(m *sarama.ConsumerMessage) int64 {
	n := int64(len(m.Key) + len(m.Value))
	for _, h := range m.Headers {
		if h != nil {
			n += int64(len(h.Key) + len(h.Value))
		}
	}
	return n
}
