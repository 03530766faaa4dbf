package bench

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
	"time"

	regcodec "github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
)

// TestBenchEventMatchesSchema checks that the seeded bench events and the loader schema match: every
// field the schema reads is present (not missing, not null) in every event, padded or not, so that
// no column of the benchmark is converted from nothing; and the unpadded event fits the 200-byte
// case.
func TestBenchEventMatchesSchema(t *testing.T) {
	var paths []field.Path
	for _, m := range regexp.MustCompile(`field: ([a-z_.]+)`).FindAllStringSubmatch(Schema, -1) {
		p, err := field.ParsePath(m[1])
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if len(paths) != 9 {
		t.Fatalf("read %d field paths from Schema, want 9", len(paths))
	}
	ex, err := field.NewExtractor(paths)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]field.Value, len(paths))
	r := rand.New(rand.NewPCG(1, 2))
	ts := time.Date(2026, 12, 5, 13, 4, 5, 6e6, time.UTC)
	longest, total := 0, 0
	for i := range 2000 {
		_, v := benchevent.JSON(r, i*4999, ts, nil)
		longest, total = max(longest, len(v)), total+len(v)
		for _, size := range []int{0, 200, 1024} {
			doc := benchevent.Pad(v, size)
			// Padding adds at least `,"pad":""`: an event a few bytes short of size stays as it is.
			if len(doc) < size && len(doc) != len(v) {
				t.Fatalf("event %d padded to %d is %d bytes", i, size, len(doc))
			}
			if _, err := ex.Extract(doc, out, nil); err != nil {
				t.Fatalf("event %d (size %d) is not JSON: %v\n%s", i, size, err, doc)
			}
			for j, val := range out {
				if val.IsAbsent() {
					t.Fatalf("event %d (size %d) has no %s:\n%s", i, size, paths[j], doc)
				}
			}
		}
	}
	// The 200-byte case: nested keys cost ~120 bytes of every event, so the values vary around it.
	if mean := total / 2000; longest > 215 || mean > 200 {
		t.Errorf("unpadded events are %d bytes on average, %d at most; the 200-byte case needs at most 200 and 215", mean, longest)
	}
}

// TestBenchAvroEventMatchesJSON checks that the Avro bench event i carries the values of the JSON
// one (same seed), read through the loader's codecs with the bench schema's paths, and is padded
// to the same size.
func TestBenchAvroEventMatchesJSON(t *testing.T) {
	var paths []field.Path
	for _, m := range regexp.MustCompile(`field: ([a-z_.]+)`).FindAllStringSubmatch(Schema, -1) {
		p, _ := field.ParsePath(m[1])
		paths = append(paths, p)
	}
	a, err := regcodec.ParseAvro(AvroSchema)
	if err != nil {
		t.Fatal(err)
	}
	ax, err := a.Extractor(paths)
	if err != nil {
		t.Fatal(err)
	}
	jx, _ := field.NewExtractor(paths)
	rj, ra := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	ts := time.Date(2026, 12, 5, 13, 4, 5, 0, time.UTC)
	jout, aout := make([]field.Value, len(paths)), make([]field.Value, len(paths))
	for i := range 500 {
		for _, size := range []int{0, 200, 1024} {
			jk, jv := benchevent.JSON(rj, i, ts, nil)
			jv = benchevent.Pad(jv, size)
			ak, av, err := benchAvroEvent(ra, i, ts, size, 3)
			if err != nil {
				t.Fatal(err)
			}
			if string(jk) != string(ak) {
				t.Fatalf("event %d: keys %s and %s", i, jk, ak)
			}
			if size > 0 && (len(av) < size || len(av) > size+1) {
				t.Fatalf("event %d: Avro value of %d bytes, padded to %d", i, len(av), size)
			}
			if _, err := jx.Extract(jv, jout, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := ax.Extract(av, aout, nil); err != nil {
				t.Fatalf("event %d (size %d): %v", i, size, err)
			}
			for j := range paths {
				want := string(jout[j].Bytes)
				switch paths[j].String() {
				case "ts":
					want = strconv.FormatInt(ts.UnixMilli(), 10) // the JSON event's RFC3339 text as millis
				case "cart.price":
					p, _ := strconv.ParseFloat(want, 64) // "61.90" is the double 61.9
					want = strconv.FormatFloat(p, 'g', -1, 64)
				}
				if string(aout[j].Bytes) != want {
					t.Fatalf("event %d, %s: avro %q, json %q", i, paths[j], aout[j].Bytes, jout[j].Bytes)
				}
			}
		}
	}
}
