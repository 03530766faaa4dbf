package loadercli

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/bench"
)

// The benchmark reads the memory-budget lines of the batch summary back; the two must agree, or
// the report would show no flushes and no spills whatever happened.
func TestSummaryReadsBack(t *testing.T) {
	sum := consumer.Summary{Consumed: 10, Files: 7,
		Flushes:    map[string]int64{"bucket closed": 3, "caught up": 64, "memory": 1},
		SmallFiles: map[string]int64{consumer.SmallClosed: 5, "caught up": 2},
		Spilled:    92_500_000, Spills: 1632, PeakSpill: 58_000_000}
	var out strings.Builder
	printSummary(&out, sum, time.Second)
	got := bench.ParseLoaderSummary(out.String())
	if !maps.Equal(got.Flushes, sum.Flushes) || !maps.Equal(got.SmallFiles, sum.SmallFiles) {
		t.Errorf("read back flushes %v, small files %v; printed:\n%s", got.Flushes, got.SmallFiles, out.String())
	}
	if got.Spills != sum.Spills || got.SpilledMB != 92.5 || got.PeakMB != 58 {
		t.Errorf("read back spilled %.1f MB in %d, peak %.1f; printed:\n%s", got.SpilledMB, got.Spills, got.PeakMB, out.String())
	}
}

// The summary tells rows in committed files from rows converted but never published: "rows
// written: 33864, files published: 0" read as success.
func TestSummaryPublishedRows(t *testing.T) {
	for _, tc := range []struct {
		sum  consumer.Summary
		want []string
		not  []string
	}{
		{consumer.Summary{Consumed: 33864, Written: 33864}, []string{"rows published:   0\n", "not published:    33864 "}, nil},
		{consumer.Summary{Consumed: 10, Written: 9, Published: 9, Files: 1}, []string{"rows published:   9\n"}, []string{"not published"}},
	} {
		var out strings.Builder
		printSummary(&out, tc.sum, time.Second)
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("summary lacks %q:\n%s", w, out.String())
			}
		}
		for _, w := range tc.not {
			if strings.Contains(out.String(), w) {
				t.Errorf("summary has %q:\n%s", w, out.String())
			}
		}
	}
}

// The summary lists the most frequent dead-letter reasons under the count.
func TestSummaryBadReasons(t *testing.T) {
	sum := consumer.Summary{Consumed: 10, Bad: 10, BadReasons: []consumer.BadReason{
		{Reason: "convert: column userid: required, but the field is missing", Count: 9},
		{Reason: `parse: invalid character "…" looking for beginning of value`, Count: 1}}}
	var out strings.Builder
	printSummary(&out, sum, time.Second)
	want := "dead letters:     10\n         9  convert: column userid: required, but the field is missing\n         1  parse: "
	if !strings.Contains(out.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, out.String())
	}
}
