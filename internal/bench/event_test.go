package bench

import (
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
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
		_, v := benchEvent(r, i*4999, ts, nil)
		longest, total = max(longest, len(v)), total+len(v)
		for _, size := range []int{0, 200, 1024} {
			doc := pad(v, size)
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
