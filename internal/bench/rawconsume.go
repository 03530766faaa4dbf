package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
)

// LoaderSarama is the sarama configuration the loader consumes with when its config leaves the
// kafka section at its defaults (config.Config.Sarama plus what consumer.New forces), so the
// ceiling reads with the same protocol version, fetch sizes and buffers as the loader.
func LoaderSarama() (*sarama.Config, error) {
	sc, err := (&config.Config{}).WithDefaults().Sarama()
	if err != nil {
		return nil, err
	}
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Return.Errors = true
	return sc, nil
}

// Consumed is what one raw consumer run read.
type Consumed struct {
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"` // keys and values
	// Join is the time from start until the first session began; Read is the time from then
	// until every partition reached its high watermark.
	Join time.Duration `json:"join_ns"`
	Read time.Duration `json:"read_ns"`
	// Sessions is how many group sessions it took: more than 1 means a rebalance, after which
	// partitions are read again from the oldest offset (nothing is committed); re-read messages
	// are not counted.
	Sessions int64 `json:"sessions"`
}

// RawConsume reads every partition of topic from the oldest offset to the high watermark seen at
// start as a member of a fresh sarama consumer group, and discards the messages: the fastest a
// sarama group member can go on this machine, the ceiling the loader is compared with.
func RawConsume(ctx context.Context, brokers []string, topic, group string, sc *sarama.Config) (Consumed, error) {
	start := time.Now()
	client, err := kafkasec.NewClient(brokers, sc)
	if err != nil {
		return Consumed{}, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	defer client.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		return Consumed{}, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	h := &rawHandler{target: map[int32]int64{}, next: map[int32]*atomic.Int64{}, done: make(chan struct{})}
	for _, p := range parts {
		hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return Consumed{}, fmt.Errorf("high watermark of %s/%d: %w", topic, p, err)
		}
		if hw > 0 {
			h.target[p] = hw
			h.next[p] = new(atomic.Int64)
		}
	}
	h.left.Store(int64(len(h.target)))
	if len(h.target) == 0 {
		close(h.done)
	}
	cg, err := sarama.NewConsumerGroupFromClient(group, client)
	if err != nil {
		return Consumed{}, fmt.Errorf("consumer group %s: %w", group, err)
	}
	defer cg.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		for {
			if err := cg.Consume(ctx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
				errc <- err
				return
			}
			if ctx.Err() != nil {
				errc <- nil
				return
			}
		}
	}()
	var consumeErr error
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	h.progress.Store(time.Now().UnixNano())
wait:
	for {
		select {
		case <-h.done:
			break wait
		case consumeErr = <-errc:
			if consumeErr == nil {
				consumeErr = ctx.Err()
			}
			break wait
		case consumeErr = <-cg.Errors():
			break wait
		case <-tick.C:
			// A consumer that stops making progress fails loudly rather than hang the benchmark.
			// (The stalls once seen here, 1 run in ~6, were this handler returning from a finished
			// claim, which ended the session and restarted the others; see ConsumeClaim.)
			if idle := time.Since(time.Unix(0, h.progress.Load())); idle > StallTimeout {
				consumeErr = fmt.Errorf("%w: no message for %s with %s short of the high watermark", ErrStalled, idle.Round(time.Second), h.short())
				break wait
			}
		}
	}
	end := time.Now()
	cancel()
	if consumeErr != nil {
		return Consumed{}, fmt.Errorf("consume %s: %w", topic, consumeErr)
	}
	joined := h.joined()
	if joined.IsZero() {
		joined = end
	}
	return Consumed{Records: h.records.Load(), Bytes: h.bytes.Load(), Join: joined.Sub(start), Read: end.Sub(joined), Sessions: h.sessions.Load()}, nil
}

// StallTimeout is how long RawConsume waits without a message before it gives up with ErrStalled.
var StallTimeout = 15 * time.Second

// ErrStalled: the raw consumer got no message for StallTimeout while partitions were short.
var ErrStalled = errors.New("raw consumer stalled")

// short lists the partitions short of their target, with their next offset.
func (h *rawHandler) short() string {
	var s []string
	for p, t := range h.target {
		if n := h.next[p].Load(); n < t {
			s = append(s, fmt.Sprintf("partition %d at %d of %d", p, n, t))
		}
	}
	return strings.Join(s, ", ")
}

// rawHandler counts messages until every partition reached its target.
type rawHandler struct {
	target   map[int32]int64         // read-only after start
	next     map[int32]*atomic.Int64 // per partition, the first offset not counted yet
	sessions atomic.Int64
	progress atomic.Int64 // UnixNano of the last counted message
	records  atomic.Int64
	bytes    atomic.Int64
	left     atomic.Int64 // partitions short of their target

	mu       sync.Mutex
	joinedAt time.Time
	doneOnce sync.Once
	done     chan struct{}
}

func (h *rawHandler) joined() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.joinedAt
}

func (h *rawHandler) Setup(sarama.ConsumerGroupSession) error {
	h.sessions.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.joinedAt.IsZero() {
		h.joinedAt = time.Now()
	}
	return nil
}

func (h *rawHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *rawHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	// A claim that has nothing (more) to read waits for the session to end instead of returning:
	// sarama ends the whole session when any ConsumeClaim returns, and the next session would start
	// every partition over (nothing is committed), so returning early made the partitions that
	// were behind restart again and again without ever finishing.
	idle := func() error { <-sess.Context().Done(); return nil }
	target, ok := h.target[claim.Partition()]
	if !ok {
		return idle()
	}
	next := h.next[claim.Partition()]
	if next.Load() >= target {
		return idle() // read in an earlier session
	}
	var n, b int64
	count := func() { h.records.Add(n); h.bytes.Add(b); n, b = 0, 0 }
	defer count()
	for {
		select {
		case m, ok := <-claim.Messages():
			if !ok {
				return nil
			}
			if m.Offset < next.Load() {
				continue // re-read after a rebalance
			}
			next.Store(m.Offset + 1)
			h.progress.Store(time.Now().UnixNano())
			n++
			b += int64(len(m.Key) + len(m.Value))
			if m.Offset+1 >= target {
				count() // before done: the counts are read as soon as every partition is done
				if h.left.Add(-1) == 0 {
					h.doneOnce.Do(func() { close(h.done) })
				}
				return idle()
			}
		case <-sess.Context().Done():
			return nil
		}
	}
}
