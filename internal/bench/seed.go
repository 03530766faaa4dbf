package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
)

// SeedOptions shape the data a benchmark broker is filled with.
type SeedOptions struct {
	Topic      string
	Partitions int
	Records    int
	// Size pads each value to at least this many bytes with a "pad" field the schema does not
	// read (the sample events are ~750 bytes on their own). 0: no padding.
	Size int
	// Start and Span place event times in [Start, Start+Span). Start defaults to the hour Span
	// before now.
	Start time.Time
	Span  time.Duration
	// Spread draws each record's event time uniformly from the span instead of in order with a
	// little jitter: every partition then writes to every time bucket at once (the many-buckets
	// scenario).
	Spread bool
	// Compression of the produced batches: none (default), snappy, lz4 or zstd.
	Compression string
	Seed        uint64
	// Event is the shape of the messages: EventSample (default) or EventBench.
	Event string
	// AvroID, if not 0, makes the bench events Avro in the Confluent wire format with this
	// schema id (AvroSchema, registered by the caller), padded to Size like the JSON ones.
	AvroID int
}

// Seeded is what Seed wrote.
type Seeded struct {
	Records int64
	// Bytes is the sum of key and value sizes, what the loader counts as input.
	Bytes   int64
	Elapsed time.Duration
}

// Seed produces o.Records sample events to brokers, spread evenly over o.Partitions partitions,
// and waits until every one is acknowledged. Events are generated on every core and produced
// in 1 MiB batches, so seeding a million records takes seconds, not minutes.
func Seed(ctx context.Context, brokers []string, o SeedOptions) (Seeded, error) {
	if o.Partitions <= 0 || o.Records < 0 || o.Span <= 0 {
		return Seeded{}, fmt.Errorf("seed: need partitions > 0, records >= 0 and a positive span")
	}
	if o.Start.IsZero() {
		o.Start = time.Now().UTC().Truncate(time.Hour).Add(-o.Span)
	}
	if o.Event != "" && o.Event != EventSample && o.Event != EventBench {
		return Seeded{}, fmt.Errorf("seed: event shape %q: use %s or %s", o.Event, EventSample, EventBench)
	}
	if o.AvroID != 0 && o.Event != EventBench {
		return Seeded{}, fmt.Errorf("seed: Avro events are of the %s shape only", EventBench)
	}
	codec, err := codec(o.Compression)
	if err != nil {
		return Seeded{}, err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(o.Topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(codec),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(20*time.Millisecond),
		kgo.MaxBufferedRecords(200_000), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err != nil {
		return Seeded{}, fmt.Errorf("seed producer: %w", err)
	}
	defer cl.Close()
	start := time.Now()
	var (
		total    atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }
	workers := min(runtime.GOMAXPROCS(0), o.Partitions)
	for w := range workers {
		wg.Go(func() {
			// Worker w generates every record i with i%workers == w, so records keep their global
			// order (and event times) within each partition.
			r := rand.New(rand.NewPCG(o.Seed+uint64(w), o.Seed^0x9e3779b97f4a7c15))
			for i := w; i < o.Records; i += workers {
				if ctx.Err() != nil {
					return
				}
				ts := eventTime(r, o, i)
				var key, value []byte
				switch {
				case o.AvroID != 0:
					var err error
					if key, value, err = benchAvroEvent(r, i, ts, o.Size, o.AvroID); err != nil {
						fail(err)
						return
					}
				case o.Event == EventBench:
					key, value = benchevent.JSON(r, i, ts, nil)
					value = benchevent.Pad(value, o.Size)
				default:
					key, value = sample.Event(r, i, ts, 0)
					value = benchevent.Pad(value, o.Size)
				}
				total.Add(int64(len(key) + len(value)))
				rec := &kgo.Record{Key: key, Value: value, Timestamp: ts, Partition: int32(i % o.Partitions)}
				cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
					if err != nil {
						fail(err)
					}
				})
			}
		})
	}
	wg.Wait()
	if err := cl.Flush(ctx); err != nil {
		fail(err)
	}
	if firstErr != nil {
		return Seeded{}, fmt.Errorf("seed %s: %w", o.Topic, firstErr)
	}
	return Seeded{Records: int64(o.Records), Bytes: total.Load(), Elapsed: time.Since(start)}, nil
}

func eventTime(r *rand.Rand, o SeedOptions, i int) time.Time {
	if o.Spread {
		return o.Start.Add(time.Duration(r.Int64N(int64(o.Span))))
	}
	// Mostly in order, with a minute of jitter either way, as real event streams are.
	frac := float64(i) / float64(max(o.Records, 1))
	ts := o.Start.Add(time.Duration(frac*float64(o.Span)) + time.Duration(r.IntN(120)-60)*time.Second)
	if ts.Before(o.Start) {
		ts = o.Start
	}
	if end := o.Start.Add(o.Span - time.Millisecond); ts.After(end) {
		ts = end
	}
	return ts
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "none":
		return kgo.NoCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("kafka compression %q: use none, snappy, lz4 or zstd", name)
}
