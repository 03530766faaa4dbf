package completeness

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

type fakeKafka struct {
	committed map[int32]int64
	logEnd    map[int32]int64
}

func (k fakeKafka) Partitions(string) ([]int32, error) {
	var out []int32
	for p := range k.logEnd {
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

func (k fakeKafka) Committed(_ context.Context, _ string, parts []int32) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, p := range parts {
		if c, ok := k.committed[p]; ok {
			out[p] = c
		} else {
			out[p] = -1
		}
	}
	return out, nil
}

func (k fakeKafka) LogEnd(_ string, p int32) (int64, error) { return k.logEnd[p], nil }

type row struct {
	Offset int64 `parquet:"kafka_offset"`
}

// stepFile writes a Parquet file of rows records named as partition p's step [start, end].
func stepFile(t *testing.T, root, bucket string, p int32, start, end int64, rows int) string {
	t.Helper()
	dir := filepath.Join(root, "t", bucket)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := offsets.FileName(offsets.TP{Topic: "t", Partition: p}, start, end)
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f)
	rs := make([]row, rows)
	for i := range rs {
		rs[i].Offset = start + int64(i)
	}
	if _, err := w.Write(rs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestCompleterPass(t *testing.T) {
	h := func(n, m int) time.Time { return time.Date(2026, 11, 22, n, m, 0, 0, time.UTC) }
	type part struct {
		committed, logEnd int64
		wm                *Watermark
	}
	b10, b11 := "dt=2026-11-22/hour=10", "dt=2026-11-22/hour=11"
	tests := []struct {
		name  string
		parts map[int32]part
		now   time.Time
		want  []string // buckets marked
	}{
		{name: "every partition past 11:10", now: h(23, 0), want: []string{b10},
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(11, 30)}}, 1: {40, 45, &Watermark{40, h(11, 10)}}}},
		{name: "one partition lags", now: h(23, 0),
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {40, 45, &Watermark{40, h(11, 5)}}}},
		{name: "idle caught-up partition does not block", now: h(23, 0), want: []string{b10, b11},
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {45, 45, &Watermark{45, h(10, 5)}}}},
		{name: "partition without a watermark blocks", now: h(23, 0),
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {40, 45, nil}}},
		{name: "watermark ahead of the commit (offsets reset) is ignored", now: h(23, 0),
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {10, 45, &Watermark{40, h(12, 30)}}}},
		{name: "wall clock before the bucket's end plus lateness", now: h(11, 5),
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {45, 45, nil}}},
		{name: "nothing committed, empty partition", now: h(23, 0), want: []string{b10, b11},
			parts: map[int32]part{0: {50, 60, &Watermark{50, h(12, 30)}}, 1: {-1, 0, nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.ToSlash(t.TempDir())
			k := fakeKafka{committed: map[int32]int64{}, logEnd: map[int32]int64{}}
			for p, st := range tt.parts {
				if st.committed >= 0 {
					k.committed[p] = st.committed
				}
				k.logEnd[p] = st.logEnd
				if st.wm != nil {
					if err := WriteWatermark(context.Background(), storage.Local{}, root, "g", offsets.TP{Topic: "t", Partition: p}, *st.wm); err != nil {
						t.Fatal(err)
					}
				}
			}
			stepFile(t, root, b10, 0, 0, 19, 12)
			stepFile(t, root, b10, 1, 0, 9, 10)
			stepFile(t, root, b11, 0, 20, 39, 20)
			if err := os.MkdirAll(filepath.Join(root, "t", "not-a-bucket"), 0o755); err != nil {
				t.Fatal(err)
			}
			stepFile(t, root, "not-a-bucket", 0, 40, 49, 1)
			c := newTestCompleter(t, root, k, tt.now)
			if err := c.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range []string{b10, b11, "not-a-bucket"} {
				if _, err := os.Stat(filepath.Join(root, "t", b, SuccessName)); err == nil {
					got = append(got, b)
					if !c.Set("t").Has(path.Join("t", b)) {
						t.Errorf("%s is marked but not in the set", b)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("marked %v, want %v", got, tt.want)
			}
			if slices.Contains(got, b10) {
				m, err := ReadManifest(context.Background(), storage.Local{}, path.Join(root, "t", b10))
				if err != nil {
					t.Fatal(err)
				}
				if m.Records != 22 || len(m.Files) != 2 || m.Files[0].Records != 12 || m.Files[0].LastOffset != 19 || m.Files[1].Partition != 1 ||
					!m.BucketEnd.Equal(h(11, 0)) {
					t.Errorf("manifest: %+v", m)
				}
			}
		})
	}
}

func newTestCompleter(t *testing.T, root string, k Kafka, now time.Time) *Completer {
	t.Helper()
	b, err := NewBuckets(partitionerHour())
	if err != nil {
		t.Fatal(err)
	}
	return &Completer{FS: storage.Local{}, Root: root, Group: "g", Kafka: k,
		Topics:  func() []Topic { return []Topic{{Name: "t", Buckets: b}} },
		Options: Options{Enabled: true, Lateness: 10 * time.Minute}, Now: func() time.Time { return now }}
}

// TestCompleterIdempotentAndLate: a second pass (or a second member) leaves a marker as it is;
// a file that appears in a complete bucket is noted once under late_files, _SUCCESS kept.
func TestCompleterIdempotentAndLate(t *testing.T) {
	root := filepath.ToSlash(t.TempDir())
	bucket := "dt=2026-11-22/hour=10"
	dir := path.Join(root, "t", bucket)
	k := fakeKafka{committed: map[int32]int64{0: 20}, logEnd: map[int32]int64{0: 20}}
	if err := WriteWatermark(context.Background(), storage.Local{}, root, "g", offsets.TP{Topic: "t"}, Watermark{20, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	stepFile(t, root, bucket, 0, 0, 19, 20)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	a, b := newTestCompleter(t, root, k, now), newTestCompleter(t, root, k, now.Add(time.Hour))
	if err := a.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path.Join(dir, ManifestName)); string(again) != string(first) {
		t.Fatalf("a second member rewrote the manifest:\n%s\nwas\n%s", again, first)
	}
	late := stepFile(t, root, bucket, 0, 20, 29, 3)
	for i := 0; i < 2; i++ {
		for _, c := range []*Completer{a, b} {
			if err := c.Pass(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := ReadManifest(context.Background(), storage.Local{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Records != 20 || m.LateRecords != 3 || len(m.LateFiles) != 1 || m.LateFiles[0].Name != late || m.LateFiles[0].NotedAt == nil {
		t.Errorf("after a late file: %+v", m)
	}
	if _, err := os.Stat(path.Join(dir, SuccessName)); err != nil {
		t.Errorf("_SUCCESS: %v", err)
	}
	// No temporary files left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("bucket holds %d entries, want 2 files, _manifest.json and _SUCCESS: %v", len(entries), entries)
	}
}
