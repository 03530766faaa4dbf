package sample

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
)

// AvroVersions are the demo's writer schemas of the clickstream event, in registration order: the
// second adds an optional field mid-stream, to show a schema evolving under the loader.
var AvroVersions = []string{avroV1, avroV2}

const avroFields = `
 {"name":"event_id","type":"string"},
 {"name":"type","type":{"type":"enum","name":"EventType","symbols":["page_view","search","add_to_cart","purchase"]}},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"user","type":{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string"}]}},
 {"name":"page","type":{"type":"record","name":"Page","fields":[{"name":"url","type":"string"},{"name":"referrer","type":["null","string"],"default":null}]}},
 {"name":"device","type":{"type":"record","name":"Device","fields":[{"name":"os","type":"string"},{"name":"mobile","type":"boolean"}]}},
 {"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}],"default":null},
 {"name":"quantity","type":["null","int"],"default":null}`

const avroV1 = `{"type":"record","name":"Click","namespace":"demo","fields":[` + avroFields + `]}`
const avroV2 = `{"type":"record","name":"Click","namespace":"demo","fields":[` + avroFields + `,
 {"name":"coupon","type":["null","string"],"default":null}]}`

// Registrar registers a schema under a subject and returns its id (a schema registry client).
type Registrar interface {
	Register(subject, schemaType, text string) int
}

// ProduceAvro writes o.Records clickstream events in the schema registry's Avro wire format: the
// first half with AvroVersions[0], the rest with AvroVersions[1]; every o.BadEvery-th value is
// truncated (a dead letter).
func ProduceAvro(ctx context.Context, brokers []string, o Options, reg Registrar) (Produced, error) {
	if o.Records <= 0 {
		o.Records = 1000
	}
	if o.Span <= 0 {
		o.Span = 6 * time.Hour
	}
	if o.Start.IsZero() {
		o.Start = time.Now().UTC().Truncate(time.Hour).Add(-o.Span)
	}
	var (
		ids     []int
		schemas []avro.Schema
	)
	for _, text := range AvroVersions {
		s, err := avro.Parse(text)
		if err != nil {
			return Produced{}, err
		}
		ids = append(ids, reg.Register(o.Topic+"-value", "", text))
		schemas = append(schemas, s)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(o.Topic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return Produced{}, fmt.Errorf("producer: %w", err)
	}
	defer cl.Close()
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	types := []string{"page_view", "search", "add_to_cart", "purchase"}
	out := Produced{Bad: map[int32][]int64{}, PerPartition: map[int32]int64{}}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for i := 0; i < o.Records; i++ {
		v := 0
		if i >= o.Records/2 {
			v = 1
		}
		ts := o.Start.Add(time.Duration(float64(i) / float64(o.Records) * float64(o.Span)))
		user := int64(r.IntN(5000))
		ev := map[string]any{
			"event_id": fmt.Sprintf("e-%08d", i), "type": types[r.IntN(len(types))], "ts": ts,
			"user":   map[string]any{"id": user, "email": fmt.Sprintf("user%d@example.com", user)},
			"page":   map[string]any{"url": fmt.Sprintf("https://shop.example.com/p/%d", r.IntN(10000)), "referrer": nil},
			"device": map[string]any{"os": []string{"android", "ios", "linux"}[user%3], "mobile": user%3 != 2},
			"price":  nil, "quantity": nil,
		}
		if t := ev["type"]; t == "purchase" || t == "add_to_cart" {
			ev["price"] = map[string]any{"bytes.decimal": new(big.Rat).SetFrac64(int64(100+r.IntN(50000)), 100)}
			ev["quantity"] = map[string]any{"int": 1 + r.IntN(5)}
		}
		if v == 1 {
			ev["coupon"] = nil
			if r.IntN(10) == 0 {
				ev["coupon"] = map[string]any{"string": "WINTER10"}
			}
		}
		body, err := avro.Marshal(schemas[v], ev)
		if err != nil {
			return out, fmt.Errorf("encode event %d: %w", i, err)
		}
		value := append(codec.AppendHeader(nil, ids[v]), body...)
		bad := o.BadEvery > 0 && i%o.BadEvery == o.BadEvery-1
		if bad {
			value = value[:codec.HeaderLen+len(body)/2]
		}
		rec := &kgo.Record{Key: fmt.Appendf(nil, "user-%d", user), Value: value, Timestamp: ts}
		wg.Add(1)
		out.Bytes += int64(len(rec.Key) + len(value))
		cl.Produce(ctx, rec, func(rec *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out.PerPartition[rec.Partition]++
			if bad {
				out.Bad[rec.Partition] = append(out.Bad[rec.Partition], rec.Offset)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return out, fmt.Errorf("produce to %s: %w", o.Topic, firstErr)
	}
	out.Total = o.Records
	return out, nil
}
