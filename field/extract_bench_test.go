package field

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
)

// clickEvent is a typical clickstream record: nested user/geo/device objects, arrays of objects,
// escaped slashes, quotes and non-ASCII text, about 1 KB.
const clickEvent = `{"event_id":"7f3c2a1e-9b4d-4c8e-a1f2-3d5e6f7a8b9c","event_type":"page_view",` +
	`"ts":"2024-05-17T09:41:27.318Z","ts_ms":1715938887318,` +
	`"session":{"id":"s-20240517-0941-88231","seq":42,"landing":"https:\/\/shop.example.com\/?utm_source=newsletter"},` +
	`"user":{"id":"u_1029384756","anonymous":false,"segments":["returning","mobile_first","eu"],` +
	`"geo":{"country":"DE","region":"BE","city":"Berlin","lat":52.5200,"lon":13.4050,"tz":"Europe\/Berlin"},` +
	`"device":{"type":"mobile","os":"iOS","os_version":"17.4.1","browser":"Safari",` +
	`"ua":"Mozilla\/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit\/605.1.15 (KHTML, like Gecko) Mobile\/15E148",` +
	`"screen":{"w":390,"h":844,"dpr":3}}},` +
	`"page":{"url":"https:\/\/shop.example.com\/p\/caf\u00e9-cr\u00e8me-200g",` +
	`"title":"Caf\u00e9 cr\u00e8me \"Barista\" 200 g \u2013 Example Shop","referrer":"https:\/\/www.google.com\/"},` +
	`"cart":{"items":[{"sku":"CC-200","qty":2,"price":4.99},{"sku":"MUG-01","qty":1,"price":12.5}],` +
	`"currency":"EUR","total":22.48},` +
	`"experiments":[{"id":"exp_checkout_v2","variant":"B"},{"id":"exp_reco","variant":"control"}],` +
	`"consent":{"analytics":true,"ads":false},"props":null}`

var clickPaths = []string{
	"event_type", "ts_ms", "user.id", "user.geo.country", "user.device.os",
	"page.title", "page.url", "cart.total", "user.segments",
}

func mustExtractor(tb testing.TB, specs ...string) *Extractor {
	tb.Helper()
	paths := make([]Path, len(specs))
	for i, s := range specs {
		p, err := ParsePath(s)
		if err != nil {
			tb.Fatal(err)
		}
		paths[i] = p
	}
	e, err := NewExtractor(paths)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func BenchmarkExtract(b *testing.B) {
	doc := []byte(clickEvent)
	b.Run("field", func(b *testing.B) {
		e := mustExtractor(b, clickPaths...)
		out := make([]Value, len(clickPaths))
		var scratch []byte
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if scratch, err = e.Extract(doc, out, scratch[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("field-validate-only", func(b *testing.B) {
		e := mustExtractor(b)
		var scratch []byte
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if scratch, err = e.Extract(doc, nil, scratch[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The reference: what decoding the record with the standard library costs before any path is read.
	b.Run("encoding-json-map", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(doc, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json-valid", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if !json.Valid(doc) {
				b.Fatal("invalid")
			}
		}
	})
}

// BenchmarkExtractBenchEvent reads the project benchmark's nine paths out of its events, padded to
// 200 B and 1 KB as in docs/performance.md.
func BenchmarkExtractBenchEvent(b *testing.B) {
	specs := []string{"event_id", "type", "ts", "user.id", "user.geo.country", "session_id", "page.url", "device.os", "cart.price"}
	for _, size := range []int{200, 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			docs := make([][]byte, 1024)
			for i := range docs {
				_, v := benchevent.JSON(r, i, time.Unix(1700000000+int64(i), 0), nil)
				docs[i] = benchevent.Pad(v, size)
			}
			e := mustExtractor(b, specs...)
			out := make([]Value, len(specs))
			var scratch []byte
			b.SetBytes(int64(len(docs[0])))
			i := 0
			for b.Loop() {
				var err error
				if scratch, err = e.Extract(docs[i&1023], out, scratch[:0]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
