package codec

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

const benchSchema = `{"type":"record","name":"Event","fields":[
 {"name":"id","type":"long"},{"name":"user_id","type":"long"},{"name":"session","type":"string"},
 {"name":"country","type":"string"},{"name":"city","type":["null","string"],"default":null},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"amount","type":"double"},{"name":"qty","type":"int"},{"name":"ok","type":"boolean"},
 {"name":"ua","type":"string"},{"name":"url","type":"string"},{"name":"referrer","type":["null","string"],"default":null},
 {"name":"device","type":{"type":"record","name":"D","fields":[{"name":"os","type":"string"},{"name":"model","type":"string"},{"name":"w","type":"int"},{"name":"h","type":"int"}]}},
 {"name":"payload","type":"string"}]}`

func benchRecord() map[string]any {
	return map[string]any{"id": int64(123456789), "user_id": int64(42), "session": strings.Repeat("s", 36),
		"country": "FR", "city": "Paris", "at": int64(1796481000123), "amount": 19.99,
		"qty": 3, "ok": true, "ua": strings.Repeat("Mozilla/5.0 ", 12), "url": "https://shop.example.com/" + strings.Repeat("p/", 60),
		"referrer": nil, "device": map[string]any{"os": "android", "model": "pixel", "w": 1080, "h": 2400},
		"payload": strings.Repeat("x", 450)}
}

// The ~1 KB event of the throughput goal, read into field.Values through the Avro path
// and through the JSON path (the same fields of the same event as JSON).
func BenchmarkExtract(b *testing.B) {
	a, err := ParseAvro(benchSchema)
	if err != nil {
		b.Fatal(err)
	}
	var paths []field.Path
	for _, c := range a.Columns() {
		p, _ := field.ParsePath(c.Field)
		paths = append(paths, p)
	}
	r := benchRecord()
	jsonDoc, _ := json.Marshal(r)
	r["city"] = map[string]any{"string": "Paris"}
	r["at"] = r["at"].(int64) // timestamp-millis takes the long too
	body, err := avro.Marshal(a.Schema(), r)
	if err != nil {
		b.Fatal(err)
	}
	avroValue := append(AppendHeader(nil, 1), body...)
	out := make([]field.Value, len(paths))
	var scratch []byte
	b.Run("avro", func(b *testing.B) {
		ext, _ := a.Extractor(paths)
		b.SetBytes(int64(len(avroValue)))
		b.ReportAllocs()
		for b.Loop() {
			if scratch, err = ext.Extract(avroValue, out, scratch[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		ext, _ := field.NewExtractor(paths)
		b.SetBytes(int64(len(jsonDoc)))
		b.ReportAllocs()
		for b.Loop() {
			if scratch, err = ext.Extract(jsonDoc, out, scratch[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
