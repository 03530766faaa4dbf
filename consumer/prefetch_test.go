package consumer

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func msg(off int64, size int) *sarama.ConsumerMessage {
	return &sarama.ConsumerMessage{Offset: off, Value: make([]byte, size)}
}

// The prefetch keeps the messages' order, passes every one, and closes its channel when sarama's
// closes.
func TestPrefetchOrder(t *testing.T) {
	in := make(chan *sarama.ConsumerMessage, 1000)
	go func() {
		for i := range int64(5000) {
			in <- msg(i, int(i%300))
		}
		close(in)
	}()
	p := startPrefetch(in, 4<<10)
	defer p.stop()
	next := int64(0)
	for b := range p.C() {
		if len(b.msgs) == 0 || len(b.msgs) > prefetchBatch {
			t.Fatalf("batch of %d messages", len(b.msgs))
		}
		var n int64
		for _, m := range b.msgs {
			n += messageBytes(m)
		}
		if n != b.bytes {
			t.Fatalf("batch of %d bytes says %d", n, b.bytes)
		}
		for _, m := range b.msgs {
			if m.Offset != next {
				t.Fatalf("offset %d, want %d", m.Offset, next)
			}
			next++
		}
		p.done(b)
	}
	if next != 5000 {
		t.Fatalf("got %d messages, want 5000", next)
	}
	if q := p.Queued(); q != 0 {
		t.Fatalf("Queued() = %d after all were given back", q)
	}
}

// What the prefetch holds is bounded by its bytes, not by a count of messages: with nothing taken,
// it stops reading sarama's channel once the limit is reached.
func TestPrefetchBoundedByBytes(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		limit int64
		// most: the most bytes it may hold: the limit (or one record over it), and one more
		// such batch taken from sarama that waits for room.
		most int64
	}{
		{"small records", 1000, 20 << 10, 2 * 20 << 10},
		{"records over the limit pass alone", 8 << 10, 4 << 10, 2 * 8 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make(chan *sarama.ConsumerMessage) // unbuffered: every message read is counted below
			p := startPrefetch(in, tt.limit)
			defer p.stop()
			var sent atomic.Int64
			feeding := make(chan struct{})
			go func() {
				defer close(feeding)
				for i := int64(0); ; i++ {
					select {
					case in <- msg(i, tt.size):
						sent.Add(int64(tt.size))
					case <-p.quit:
						return
					}
				}
			}()
			// Nothing is taken: the prefetch fills up to its limit, then stops reading.
			deadline := time.Now().Add(10 * time.Second)
			for sent.Load() < tt.limit {
				if time.Now().After(deadline) {
					t.Fatalf("read only %d bytes in 10s, limit %d", sent.Load(), tt.limit)
				}
				time.Sleep(time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // time to read more, if it wrongly would
			if n := sent.Load(); n > tt.most {
				t.Fatalf("read %d bytes with nothing taken, more than %d (limit %d)", n, tt.most, tt.limit)
			}
			// Taking batches makes room: reading resumes.
			before := sent.Load()
			deadline = time.Now().Add(10 * time.Second)
			for sent.Load() == before {
				if time.Now().After(deadline) {
					t.Fatal("no message read after the batches were given back")
				}
				select {
				case b := <-p.C():
					p.done(b)
				case <-time.After(time.Millisecond):
				}
			}
			p.stop()
			<-feeding
		})
	}
}

// stop returns whether the goroutine waits for room, for the claim loop to take a batch, or for
// sarama.
func TestPrefetchStop(t *testing.T) {
	for _, name := range []string{"waiting for sarama", "waiting for room"} {
		t.Run(name, func(t *testing.T) {
			in := make(chan *sarama.ConsumerMessage, 10)
			p := startPrefetch(in, 1)
			if name == "waiting for room" {
				in <- msg(0, 10)
				in <- msg(1, 10)
				time.Sleep(50 * time.Millisecond)
				in <- msg(2, 10)
			}
			time.Sleep(50 * time.Millisecond)
			stopped := make(chan struct{})
			go func() { p.stop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(5 * time.Second):
				t.Fatal("stop did not return")
			}
		})
	}
}
