package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// The completeness tests produce records with chosen Kafka timestamps (the event time, bucketed
// by hour) to chosen partitions, so each test decides exactly which partition is where.
var day = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// produceAt writes one {"id": n} record per time to partition p and returns their offsets.
func (h *harness) produceAt(p int32, times ...time.Time) []int64 {
	h.t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	pr, err := sarama.NewSyncProducer(h.brokers, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	defer pr.Close()
	var offs []int64
	for _, ts := range times {
		tp := verify.TP{Topic: h.topic, Partition: p}
		id := h.produced[tp]
		_, off, err := pr.SendMessage(&sarama.ProducerMessage{Topic: h.topic, Partition: p, Timestamp: ts,
			Value: sarama.StringEncoder(fmt.Sprintf(`{"id": %d, "p": %d}`, id, p))})
		if err != nil {
			h.t.Fatal(err)
		}
		if off != id {
			h.t.Fatalf("produced %v offset %d, expected %d", tp, off, id)
		}
		h.produced[tp]++
		offs = append(offs, off)
	}
	return offs
}

func spread(h, from, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = at(h, from+i%(60-from))
	}
	return out
}

func (h *harness) completenessConfig(group, late string, interval time.Duration) *config.Config {
	h.t.Helper()
	cfg, err := config.Parse([]byte(h.eventsYAML(group, true, late, interval)))
	if err != nil {
		h.t.Fatal(err)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		h.t.Fatal(err)
	}
	return cfg
}

// eventsYAML is the config of the topic produceAt writes to.
func (h *harness) eventsYAML(group string, complete bool, late string, interval time.Duration) string {
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: %s
  session_timeout: 6s
  rebalance_timeout: 20s
output:
  root: %s
rotation:
  max_records: 40
  max_age: 200ms
  allowed_lateness: 10m
completeness:
  enabled: %v
  late: %s
  interval: %s
topics:
  - name: %s
    partitioner: {granularity: hour}
    schema:
      - {name: id, type: int64, field: id, required: true}
      - {name: p, type: int32, field: p}
`, strings.Join(h.brokers, ", "), group, h.root, complete, late, interval, h.topic)
}

func (h *harness) bucketDir(hour int) string {
	return filepath.Join(h.root, h.topic, fmt.Sprintf("dt=2026-11-22/hour=%02d", hour))
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// batchWithLag runs one in-process batch and, once it has taken its snapshot, produces more to
// the given partitions: they stay behind their log end, not caught up, when the batch ends.
func (h *harness) batchWithLag(cfg *config.Config, name string, after map[int32][]time.Time) {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{h.t, name}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts, err := cfg.GroupOptions(true, log, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	m := h.launch(name, opts)
	deadline := time.Now().Add(30 * time.Second)
	for m.g.Targets() == nil {
		if time.Now().After(deadline) {
			h.t.Fatal("batch took no snapshot within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for p, times := range after {
		h.produceAt(p, times...)
	}
	m.finish(h.t, 60*time.Second)
}

// checkManifest compares a bucket's manifest with what the independent reader finds in its files.
func (h *harness) checkManifest(dir string, rep *verify.Report) *completeness.Manifest {
	h.t.Helper()
	m, err := completeness.ReadManifest(context.Background(), storage.Local{}, filepath.ToSlash(dir))
	if err != nil {
		h.t.Fatalf("manifest of %s: %v", dir, err)
	}
	rel, _ := filepath.Rel(h.root, dir)
	rel = filepath.ToSlash(rel)
	inDir := map[string]verify.FileRows{}
	for _, f := range rep.Files {
		if filepath.ToSlash(filepath.Dir(f.Path)) == rel {
			inDir[filepath.Base(f.Path)] = f
		}
	}
	listed := map[string]bool{}
	total := int64(0)
	for _, list := range [][]completeness.ManifestFile{m.Files, m.LateFiles} {
		for _, mf := range list {
			f, ok := inDir[mf.Name]
			if !ok {
				h.t.Errorf("%s: manifest lists %s, which is not in the bucket", rel, mf.Name)
				continue
			}
			listed[mf.Name] = true
			if mf.Records != f.Rows || mf.FirstOffset != f.Start || mf.LastOffset != f.End || mf.Partition != f.Partition {
				h.t.Errorf("%s: manifest says %s holds %d records of partition %d [%d, %d]; the file holds %d of %d [%d, %d]",
					rel, mf.Name, mf.Records, mf.Partition, mf.FirstOffset, mf.LastOffset, f.Rows, f.Partition, f.Start, f.End)
			}
			total += f.Rows
		}
	}
	for name := range inDir {
		if !listed[name] {
			h.t.Errorf("%s: file %s is in the bucket but not in its manifest", rel, name)
		}
	}
	sum := int64(0)
	for _, f := range m.Files {
		sum += f.Records
	}
	if sum != m.Records || total != m.Records+m.LateRecords {
		h.t.Errorf("%s: manifest records %d + late %d, its files add up to %d, the bucket holds %d", rel, m.Records, m.LateRecords, sum, total)
	}
	return m
}

// TestCompletenessMarkers: a bucket gets _SUCCESS exactly when every partition of the topic has
// committed past its end plus the allowed lateness (10m), and not while one partition still
// lags behind it; a caught-up idle partition holds nothing back.
func TestCompletenessMarkers(t *testing.T) {
	h := newHarness(t, "events", 3)
	// Only the final pass of each batch decides (no periodic pass in the middle of a run), so
	// the test knows what every partition had committed when it was taken.
	cfg := h.completenessConfig("g-complete", "into", time.Hour)
	h10, h12 := h.bucketDir(10), h.bucketDir(12)

	// Run 1: partitions 0 and 1 reach 12:05; partition 2 has loaded up to 10:50 and gets a
	// record after the snapshot, so it ends the run behind its log end.
	h.produceAt(0, append(spread(10, 0, 50), spread(12, 5, 10)...)...)
	h.produceAt(1, append(spread(10, 0, 50), spread(12, 5, 10)...)...)
	h.produceAt(2, spread(10, 0, 50)...)
	h.batchWithLag(cfg, "run1", map[int32][]time.Time{2: {at(10, 55)}})
	if exists(filepath.Join(h10, completeness.SuccessName)) || exists(filepath.Join(h10, completeness.ManifestName)) {
		t.Fatal("hour=10 was marked complete while partition 2 lagged at 10:50 with records left")
	}

	// Run 2: partition 2 loads 10:55 and 11:20 (past 11:00 + 10m) and again ends behind: its
	// committed watermark has passed the bucket, so now hour=10 is complete.
	h.produceAt(2, at(11, 20))
	h.batchWithLag(cfg, "run2", map[int32][]time.Time{2: {at(12, 30)}})
	if !exists(filepath.Join(h10, completeness.SuccessName)) {
		t.Fatal("hour=10 has no _SUCCESS although every partition committed past 11:10")
	}
	if exists(filepath.Join(h12, completeness.SuccessName)) {
		t.Fatal("hour=12 was marked complete before any partition passed 13:10")
	}
	// Partition 2's 12:30 is not loaded yet: read the output without the exactly-once check.
	rep, err := verify.Output(h.root)
	if err != nil {
		t.Fatal(err)
	}
	m := h.checkManifest(h10, rep)
	if m.Records != 151 || len(m.LateFiles) != 0 {
		t.Errorf("hour=10 manifest: %d records, %d late files; want 151 (50+50+51) and none", m.Records, len(m.LateFiles))
	}
	for _, p := range []int32{0, 1, 2} {
		if !slices.ContainsFunc(m.Files, func(f completeness.ManifestFile) bool { return f.Partition == p }) {
			t.Errorf("hour=10 manifest has no file of partition %d", p)
		}
	}
	hour11 := h.bucketDir(11)
	if exists(filepath.Join(hour11, completeness.SuccessName)) {
		t.Error("hour=11 (partition 2's 11:20) was marked complete; partition 2 is at 11:20, before 12:10")
	}

	// Run 3: partition 0 reaches 13:30 and ends behind its log end; partition 2 loads 12:30 and
	// 13:20 and is caught up; partition 1 stays at 12:05, idle and caught up. hour=12 is complete:
	// the idle partition does not hold it back.
	h.produceAt(0, at(13, 30))
	h.produceAt(2, at(13, 20))
	h.batchWithLag(cfg, "run3", map[int32][]time.Time{0: {at(14, 0)}})
	if !exists(filepath.Join(h12, completeness.SuccessName)) {
		t.Fatal("hour=12 has no _SUCCESS: the idle caught-up partition 1 (at 12:05) held it back")
	}
	if !exists(filepath.Join(hour11, completeness.SuccessName)) {
		t.Fatal("hour=11 has no _SUCCESS though every partition is past 12:10 or caught up")
	}
	if exists(filepath.Join(h.bucketDir(13), completeness.SuccessName)) {
		t.Fatal("hour=13 was marked complete; partition 0 is at 13:30, before 14:10")
	}
	if rep, err = verify.Output(h.root); err != nil {
		t.Fatal(err)
	}
	h.checkManifest(h12, rep)
	h.checkManifest(hour11, rep)
	h.checkManifest(h10, rep)

	// Run 4 loads the rest: every offset exactly once, markers and all.
	h.batchWithLag(cfg, "run4", nil)
	h.check()
	logDir(t, h.root, h10)
	h.audit("g-complete")
}

// logDir lists a bucket and prints its manifest, for the README.
func logDir(t *testing.T, root, dir string) {
	entries, _ := os.ReadDir(dir)
	rel, _ := filepath.Rel(root, dir)
	var b strings.Builder
	fmt.Fprintf(&b, "$ ls %s\n", rel)
	for _, e := range entries {
		fmt.Fprintf(&b, "%s\n", e.Name())
	}
	m, _ := os.ReadFile(filepath.Join(dir, completeness.ManifestName))
	fmt.Fprintf(&b, "$ cat %s/_manifest.json\n%s", rel, m)
	t.Log("\n" + b.String())
}

// TestLatePolicies: records that arrive for a bucket already marked complete go where
// completeness.late says, are counted in the metric and the summary, and every offset still
// lands exactly once.
func TestLatePolicies(t *testing.T) {
	for _, policy := range []string{"into", "late_root", "dead_letter"} {
		t.Run(policy, func(t *testing.T) {
			h := newHarness(t, "events", 2)
			group := "g-late-" + policy
			cfg := h.completenessConfig(group, policy, 100*time.Millisecond)
			reg := prometheus.NewRegistry()
			log := slog.New(slog.NewTextHandler(testWriter{t, "run"}, &slog.HandlerOptions{Level: slog.LevelInfo}))
			opts, err := cfg.GroupOptions(false, log, reg)
			if err != nil {
				t.Fatal(err)
			}
			m := h.launch("run", opts)
			for _, p := range []int32{0, 1} {
				h.produceAt(p, append(spread(10, 0, 30), spread(12, 0, 5)...)...)
			}
			h10 := h.bucketDir(10)
			waitFor(t, 30*time.Second, "hour=10 marked complete", func() bool {
				return exists(filepath.Join(h10, completeness.SuccessName))
			})
			before := listFiles(t, h10)

			// Late: 10:30 after hour=10 is complete; 4 + 3 records.
			late := map[int32][]int64{0: h.produceAt(0, at(10, 30), at(10, 31), at(10, 32), at(10, 33)), 1: h.produceAt(1, at(10, 40), at(10, 41), at(10, 42))}
			h.waitCommitted(group, 1, 30*time.Second)
			if policy == "dead_letter" {
				for p, offs := range late {
					tp := verify.TP{Topic: h.topic, Partition: p}
					if h.bad[tp] == nil {
						h.bad[tp] = map[int64]bool{}
					}
					for _, o := range offs {
						h.bad[tp][o] = true // expected in the dead letters
					}
				}
			}
			var man *completeness.Manifest
			if policy == "into" {
				waitFor(t, 30*time.Second, "late files noted in the manifest", func() bool {
					man, err = completeness.ReadManifest(context.Background(), storage.Local{}, filepath.ToSlash(h10))
					return err == nil && man.LateRecords == 7
				})
			}
			sum := m.g.Stats().Summary()
			m.stop(t)
			if sum.Late != 7 {
				t.Errorf("summary: %d late records, want 7", sum.Late)
			}
			if got := counterValue(t, reg, "kafka2hdfs_late_records_total", policy); got != 7 {
				t.Errorf("kafka2hdfs_late_records_total{policy=%s} = %v, want 7", policy, got)
			}
			rep := h.check() // every offset exactly once, wherever the late ones went
			lateRows := map[verify.TP][]int64{}
			where := func(f verify.FileRows) {
				tp := f.TP()
				lateRows[tp] = append(lateRows[tp], f.Offsets...)
			}
			after := listFiles(t, h10)
			switch policy {
			case "into":
				for _, f := range rep.Files {
					if filepath.Dir(filepath.Join(h.root, f.Path)) == h10 && !slices.Contains(before, filepath.Base(f.Path)) {
						where(f)
					}
				}
				h.checkManifest(h10, rep)
				logDir(t, h.root, h10)
				if len(man.LateFiles) == 0 {
					t.Error("manifest lists no late files")
				}
			case "late_root":
				if !slices.Equal(before, after) {
					t.Errorf("files were added to the complete bucket: before %v, after %v", before, after)
				}
				for _, f := range rep.Files {
					if strings.HasPrefix(f.Path, "_late/events/dt=2026-11-22/hour=10/") {
						where(f)
					} else if strings.HasPrefix(f.Path, "_late/") {
						t.Errorf("late file in the wrong place: %s", f.Path)
					}
				}
				h.checkManifest(h10, rep)
			case "dead_letter":
				if !slices.Equal(before, after) {
					t.Errorf("files were added to the complete bucket: before %v, after %v", before, after)
				}
				for _, f := range rep.DeadLetters {
					where(f)
					tbl, err := verify.ReadPath(filepath.Join(h.root, f.Path))
					if err != nil {
						t.Fatal(err)
					}
					ec := tbl.Col("error")
					for _, row := range tbl.Rows {
						if row[ec] != completeness.LateReason {
							t.Errorf("dead letter in %s has error %q, want %q", f.Path, row[ec], completeness.LateReason)
						}
					}
				}
			}
			for p, offs := range late {
				got := lateRows[verify.TP{Topic: "events", Partition: p}]
				slices.Sort(got)
				if !slices.Equal(got, offs) {
					t.Errorf("partition %d: late records landed at offsets %v, want %v", p, got, offs)
				}
			}
			h.audit(group)
		})
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".parquet") {
			out = append(out, e.Name())
		}
	}
	return out
}

func counterValue(t *testing.T, reg *prometheus.Registry, name, policy string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "policy" && l.GetValue() == policy {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// A batch run that follows the one that marked a bucket complete knows it is complete from its
// start: the late records it loads into it are counted in the metric and the summary, as many as
// the manifest notes. The set of complete buckets used to be filled by the first periodic pass
// only, a minute in (after a short batch run had consumed everything), so the metric said 0 while
// the manifest counted every one.
func TestLateRecordsCountedByTheNextBatch(t *testing.T) {
	h := newHarness(t, "events", 2)
	group := "g-late-next-batch"
	cfg := h.completenessConfig(group, "into", time.Hour) // no periodic pass during the runs
	for _, p := range []int32{0, 1} {
		h.produceAt(p, append(spread(10, 0, 30), spread(12, 0, 5)...)...)
	}
	first := h.startBatch("first", cfg, nil)
	first.finish(t, 60*time.Second)
	h10 := h.bucketDir(10)
	if !exists(filepath.Join(h10, completeness.SuccessName)) {
		t.Fatal("the first run did not mark hour=10 complete")
	}
	h.produceAt(0, at(10, 30), at(10, 31), at(10, 32))
	h.produceAt(1, at(10, 40), at(10, 41))
	reg := prometheus.NewRegistry()
	opts, err := cfg.GroupOptions(true, slog.New(slog.NewTextHandler(testWriter{t, "second"}, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	second := h.launch("second", opts)
	second.finish(t, 60*time.Second)
	man, err := completeness.ReadManifest(context.Background(), storage.Local{}, filepath.ToSlash(h10))
	if err != nil {
		t.Fatal(err)
	}
	if man.LateRecords != 5 {
		t.Fatalf("manifest notes %d late records, want 5", man.LateRecords)
	}
	if s := second.g.Stats().Summary(); s.Late != 5 {
		t.Errorf("summary: %d late records, want 5 (the manifest's)", s.Late)
	}
	if got := counterValue(t, reg, "kafka2hdfs_late_records_total", "into"); got != 5 {
		t.Errorf("kafka2hdfs_late_records_total = %v, want 5 (the manifest's)", got)
	}
}
