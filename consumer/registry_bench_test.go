package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
)

const benchAvroSchema = `{"type":"record","name":"Event","fields":[
 {"name":"id","type":"long"},{"name":"user_id","type":"long"},{"name":"session","type":"string"},
 {"name":"country","type":"string"},{"name":"city","type":["null","string"],"default":null},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"amount","type":"double"},{"name":"qty","type":"int"},{"name":"ok","type":"boolean"},
 {"name":"ua","type":"string"},{"name":"url","type":"string"},{"name":"referrer","type":["null","string"],"default":null},
 {"name":"device","type":{"type":"record","name":"D","fields":[{"name":"os","type":"string"},{"name":"model","type":"string"},{"name":"w","type":"int"},{"name":"h","type":"int"}]}},
 {"name":"payload","type":"string"}]}`

// BenchmarkPipelineRegistry runs the same ~1 KB events through the whole pipeline (decode,
// interceptors, bucket, row, Parquet writer) as Avro from a registry and as JSON, with the same
// columns, so the two rates come from one run.
func BenchmarkPipelineRegistry(b *testing.B) {
	reg := fakeregistry.Start()
	defer reg.Close()
	id := reg.Register("clicks-value", "", benchAvroSchema)
	s := avro.MustParse(benchAvroSchema)
	a, err := codec.ParseAvro(benchAvroSchema)
	if err != nil {
		b.Fatal(err)
	}
	// The JSON topic declares the columns the Avro topic derives.
	var cols strings.Builder
	for _, c := range a.Columns() {
		fmt.Fprintf(&cols, "  - {name: %s, type: %s, field: %s, required: %t}\n", c.Name, c.Type, c.Field, c.Required)
	}
	const distinct = 1 << 12
	base := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	var avroMsgs, jsonMsgs []*sarama.ConsumerMessage
	for i := range distinct {
		ev := map[string]any{"id": int64(i), "user_id": int64(i % 977), "session": fmt.Sprintf("%036d", i),
			"country": "FR", "city": "Paris", "at": base.Add(time.Duration(i) * time.Second).UnixMilli(), "amount": float64(i) / 100,
			"qty": i % 9, "ok": i%2 == 0, "ua": strings.Repeat("Mozilla/5.0 ", 12), "url": "https://shop.example.com/" + strings.Repeat("p/", 60),
			"referrer": nil, "device": map[string]any{"os": "android", "model": "pixel", "w": 1080, "h": 2400},
			"payload": strings.Repeat("x", 450)}
		j, _ := json.Marshal(ev)
		ev["city"] = map[string]any{"string": "Paris"}
		body, err := avro.Marshal(s, ev)
		if err != nil {
			b.Fatal(err)
		}
		ts := base.Add(time.Duration(i) * time.Second)
		avroMsgs = append(avroMsgs, &sarama.ConsumerMessage{Topic: "clicks", Value: append(codec.AppendHeader(nil, id), body...), Timestamp: ts})
		jsonMsgs = append(jsonMsgs, &sarama.ConsumerMessage{Topic: "clicks", Value: j, Timestamp: ts})
	}
	cl, err := registry.New(registry.Config{URL: reg.URL()})
	if err != nil {
		b.Fatal(err)
	}
	avroTopic, err := CompileTopic(TopicSpec{Name: "clicks", Format: FormatAvro}, CompileOptions{Compression: "snappy", Hostname: "bench", Registry: cl})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		msgs []*sarama.ConsumerMessage
	}{{"avro", avroMsgs}, {"json", jsonMsgs}} {
		b.Run(bc.name, func(b *testing.B) {
			pl, done := benchPipeline(b, "name: clicks\nformat: json\nschema:\n"+cols.String())
			defer done()
			if bc.name == "avro" {
				pl.topic = avroTopic
			}
			ctx := context.Background()
			var bytes int64
			for _, m := range bc.msgs {
				bytes += int64(len(m.Value))
			}
			b.SetBytes(bytes / distinct)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m := bc.msgs[i%distinct]
				m.Offset = int64(i)
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
			if n := pl.st.bad.Load(); n != 0 {
				b.Fatalf("%d dead letters", n)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
