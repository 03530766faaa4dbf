package consumer

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// The demo's topic: four interceptors, hourly buckets by event time, 15 declared columns.
const benchDemoSpec = `
name: clicks
format: json
interceptors:
  - {type: filter, field: type, values: [search], action: drop}
  - {type: mask, field: user.email, method: sha256, salt: demo-salt}
  - {type: timestamp, field: ts, format: rfc3339}
  - {type: add_field, field: ingested_by, source: hostname}
partitioner:
  time: {source: event}
  granularity: hour
  path: dt=2006-01-02/hour=15
schema:` + sample.Schema

// The benchmark's topic: nine columns, no interceptors, hourly buckets by Kafka timestamp.
const benchNineSpec = `
name: clicks
format: json
partitioner:
  time: {source: kafka}
  granularity: hour
  path: dt=2006-01-02/hour=15
schema:
  - {name: event_id,   type: string,           field: event_id, required: true}
  - {name: event_type, type: string,           field: type, required: true}
  - {name: event_time, type: timestamp-millis, field: ts, required: true}
  - {name: user_id,    type: int64,            field: user.id, required: true}
  - {name: country,    type: string,           field: user.geo.country}
  - {name: url,        type: string,           field: page.url}
  - {name: device_os,  type: string,           field: device.os}
  - {name: price,      type: double,           field: cart.price}
  - {name: is_mobile,  type: boolean,          field: device.mobile}
`

// The bench's topic (internal/bench): its nine columns, event time from ts, hourly buckets.
var benchBenchSpec = `
name: clicks
format: json
interceptors:
  - {type: timestamp, field: ts, format: rfc3339}
partitioner:
  time: {source: event}
  granularity: hour
  path: dt=2006-01-02/hour=15
schema:` + benchevent.Schema("  ") + "\n"

// memCommitter keeps commits in memory: the benchmark measures the loader, not the coordinator.
type memCommitter struct {
	mu sync.Mutex
	md map[offsets.TP]string
}

func (c *memCommitter) Commit(_ context.Context, tp offsets.TP, _ int64, md string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.md == nil {
		c.md = map[offsets.TP]string{}
	}
	c.md[tp] = md
	return nil
}

// benchPipeline builds one partition's pipeline writing to a temporary local root, with the
// loader's defaults (8 MiB row groups, 256 MiB budget) and the demo's rotation.
func benchPipeline(tb testing.TB, specYAML string) (*pipeline, func()) {
	tb.Helper()
	var spec TopicSpec
	dec := yaml.NewDecoder(strings.NewReader(specYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		tb.Fatal(err)
	}
	topic, err := CompileTopic(spec, CompileOptions{Compression: "snappy", Hostname: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	root := tb.TempDir()
	log := slog.New(slog.DiscardHandler)
	opts := Options{Group: "bench", FS: storage.Local{}, Root: root, Budget: &writer.Budget{}, MaxBadRecords: -1,
		Rotation: Rotation{MaxRecords: 100_000, AllowedLateness: 5 * time.Minute}.withDefaults(), Log: log}
	g := &Group{opts: opts, log: log, stats: newStats(), metrics: newMetrics(nil)}
	g.proto = &offsets.Protocol{FS: opts.FS, Paths: offsets.Paths{Root: root, Group: opts.Group}, Log: log}
	g.wcfg = &writer.Config{FS: opts.FS, Paths: g.proto.Paths, Budget: opts.Budget, Log: log}
	tp := offsets.TP{Topic: "clicks", Partition: 0}
	w := writer.NewPartition(g.wcfg, tp)
	pl := &pipeline{g: g, tp: tp, topic: topic, w: w, c: &memCommitter{}, log: log,
		st: g.stats.topic(tp.Topic), consumedC: g.metrics.consumed.WithLabelValues(tp.Topic), target: -1}
	return pl, func() { _ = pl.wait(); w.Abort(context.Background()); w.Close() }
}

// benchMessages are sample events as sarama delivers them: ~1 KB JSON, a key and one header, event
// times advancing so that 1M records span 4 hours (hourly buckets close as the demo's do).
func benchMessages(n int) []*sarama.ConsumerMessage {
	r := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	msgs := make([]*sarama.ConsumerMessage, n)
	for i := range msgs {
		ts := base.Add(time.Duration(i) * 4 * time.Hour / 1_000_000)
		key, value := sample.Event(r, i, ts, 0)
		msgs[i] = &sarama.ConsumerMessage{Topic: "clicks", Key: key, Value: value, Timestamp: ts,
			Headers: []*sarama.RecordHeader{{Key: []byte("source"), Value: []byte("sample")}}}
	}
	return msgs
}

// benchEventMessages are internal/bench's events (package benchevent), padded to size with a field
// no column reads.
func benchEventMessages(n, size int) []*sarama.ConsumerMessage {
	r := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	msgs := make([]*sarama.ConsumerMessage, n)
	for i := range msgs {
		ts := base.Add(time.Duration(i) * 4 * time.Hour / 1_000_000)
		key, value := benchevent.JSON(r, i, ts, nil)
		msgs[i] = &sarama.ConsumerMessage{Topic: "clicks", Key: key, Value: benchevent.Pad(value, size), Timestamp: ts}
	}
	return msgs
}

// BenchmarkPipeline is the loader's whole per-record path without Kafka: handle (Fill, interceptors,
// partitioner, schema row, writer) and the flushes the demo's rotation triggers (Parquet close, file
// write and fsync, the commit protocol with an in-memory committer). One op is one record.
func BenchmarkPipeline(b *testing.B) {
	const distinct = 1 << 14
	sample := benchMessages(distinct)
	for _, bc := range []struct {
		name, spec string
		msgs       []*sarama.ConsumerMessage
	}{
		{"demo", benchDemoSpec, sample}, {"nine", benchNineSpec, sample},
		{"bench200", benchBenchSpec, benchEventMessages(distinct, 200)},
		{"bench1K", benchBenchSpec, benchEventMessages(distinct, 1024)},
	} {
		msgs := bc.msgs
		b.Run(bc.name, func(b *testing.B) {
			pl, done := benchPipeline(b, bc.spec)
			defer done()
			ctx := context.Background()
			bytes := int64(0)
			for _, m := range msgs {
				bytes += int64(len(m.Key) + len(m.Value))
			}
			b.SetBytes(bytes / distinct)
			b.ReportAllocs()
			base := msgs[0].Timestamp
			i := 0
			for b.Loop() {
				m := msgs[i%distinct]
				// Time keeps advancing past the distinct events, so buckets keep closing.
				m.Offset = int64(i)
				m.Timestamp = base.Add(time.Duration(i) * 4 * time.Hour / 1_000_000)
				i++
				if err := pl.handle(ctx, m); err != nil {
					b.Fatal(err)
				}
				if reason := pl.due(time.Now()); reason != "" {
					if err := pl.flushAsync(ctx, reason); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := pl.flush(ctx, "drain"); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
		})
	}
}
