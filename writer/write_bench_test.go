package writer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// benchRows are rows of the bench's schema (nine declared columns of its event, the metadata
// columns), built by schema.Row from JSON as the pipeline builds them.
func benchRows(b *testing.B, n int) (*schema.Schema, []parquet.Row) {
	b.Helper()
	cols := []schema.Column{
		{Name: "event_id", Type: schema.TypeString, Required: true},
		{Name: "event_type", Type: schema.TypeString, Field: "type", Required: true},
		{Name: "event_time", Type: schema.TypeTimestampMillis, Field: "ts", Required: true},
		{Name: "user_id", Type: schema.TypeInt64, Field: "user.id", Required: true},
		{Name: "country", Type: schema.TypeString, Field: "user.geo.country"},
		{Name: "session_id", Type: schema.TypeString},
		{Name: "url", Type: schema.TypeString, Field: "page.url"},
		{Name: "device_os", Type: schema.TypeString, Field: "device.os"},
		{Name: "price", Type: schema.TypeDouble, Field: "cart.price"},
	}
	layout := record.NewLayout(true)
	s, err := schema.NewJSON(cols, layout, schema.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f, err := layout.Filler()
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]parquet.Row, n)
	for i := range rows {
		r := &record.Record{Topic: "t", Offset: int64(i), Key: []byte(fmt.Sprintf("user-%d", i%5000)),
			Value: fmt.Appendf(nil, `{"event_id":"%08x","type":"view","ts":%d,"user":{"id":%d,"geo":{"country":"DE"}},`+
				`"session_id":"s%d","page":{"url":"/p/%d"},"device":{"os":"Linux"},"cart":{"price":%d.5}}`,
				uint32(i)*2654435761, 1_764_000_000_000+int64(i)*14, i%5000, i/7, i%1000, i%100)}
		var bufs record.Buffers
		if err := f.Fill(r, &bufs); err != nil {
			b.Fatal(err)
		}
		row, err := s.Row(r, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = parquet.Row(row).Clone()
	}
	return s, rows
}

// BenchmarkWrite is the writer's per-row path for a bucket large enough to have its file: rows
// handed to Partition.Write one at a time, the step staged every 100,000 rows. One op is one row.
func BenchmarkWrite(b *testing.B) {
	const distinct = 1 << 12
	s, rows := benchRows(b, distinct)
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: b.TempDir(), Group: "g"}, Budget: &writer.Budget{}}
	p := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	defer p.Close()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := p.Write(ctx, "t/d", s, rows[i%distinct]); err != nil {
			b.Fatal(err)
		}
		if i++; i%100_000 == 0 {
			if _, err := p.Stage(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := p.Stage(ctx); err != nil {
		b.Fatal(err)
	}
}
