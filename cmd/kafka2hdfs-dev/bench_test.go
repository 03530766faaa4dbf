package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/colinmarc/hdfs/v2"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/bench"
	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// benchChildVar makes this test binary act as kafka2hdfs: the smoke test runs the benchmark's
// parties as subprocesses of the test binary itself, so it needs no separate build.
const benchChildVar = "K2H_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(benchChildVar) == "1" {
		os.Exit(run(os.Args))
	}
	os.Exit(m.Run())
}

// TestBenchSmoke runs a tiny benchmark end to end (broker, ceiling, loader to the local
// filesystem and to the test HDFS, many buckets, profiles, report) and then checks that the
// verification it relies on fails on a damaged output.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	work := t.TempDir()
	o := bench.Defaults()
	o.Binary, o.Env = os.Args[0], []string{benchChildVar + "=1"}
	o.Records, o.Partitions, o.Repeats = 10_000, 4, 1
	o.Cases = []bench.Case{{Records: 3000, Size: 200, Partitions: 2}}
	o.Avro = bench.Case{Records: 3000, Size: 1024, Partitions: 2}
	o.Buckets = bench.BucketsOptions{Records: 600, Partitions: 4, Span: 6 * time.Hour, MaxBufferedBytes: "64MiB", MaxOpenFiles: 8}
	o.WorkDir, o.ProfileDir, o.KeepOutput = work, filepath.Join(work, "prof"), true
	o.Timeout = 2 * time.Minute
	var log bytes.Buffer
	o.Log = &log
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, o)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	t.Logf("bench log:\n%s", log.String())
	if len(rep.Parties) != 3 {
		t.Fatalf("%d parties measured, want ceiling, local and HDFS", len(rep.Parties))
	}
	for _, p := range rep.Parties {
		if len(p.Runs) != 1 {
			t.Fatalf("%s: %d runs, want 1", p.Name, len(p.Runs))
		}
		r := p.Runs[0]
		if r.Records != 10_000 || r.Wall <= 0 || r.CPU <= 0 || r.MaxRSS < 1<<20 {
			t.Errorf("%s: records %d, wall %s, cpu %s, max rss %d: the measurement is empty", p.Name, r.Records, r.Wall, r.CPU, r.MaxRSS)
		}
		if p.Name != bench.PartyCeiling && (r.Output == nil || r.Output.Rows != 10_000 || r.Output.Files == 0) {
			t.Errorf("%s: verified output %+v, want 10000 rows in some files", p.Name, r.Output)
		}
	}
	if len(rep.Cases) != 1 || len(rep.Cases[0].Parties) != 2 || rep.Cases[0].Parties[1].Runs[0].Output == nil ||
		rep.Cases[0].Parties[1].Runs[0].Output.Rows != 3000 || rep.Cases[0].Seed.Bytes > 3000*215 {
		t.Errorf("the 200-byte case: %+v", rep.Cases)
	}
	if a := rep.Avro; a == nil || len(a.Parties) != 2 || a.SeedAvro.Records != 3000 || a.SeedAvro.Bytes < 3000*1024 {
		t.Errorf("the Avro comparison: %+v", rep.Avro)
	} else {
		for _, p := range a.Parties {
			if len(p.Runs) != 1 || p.Runs[0].Output == nil || p.Runs[0].Output.Rows != 3000 {
				t.Errorf("the Avro comparison's %s: %+v", p.Name, p.Runs)
			}
		}
	}
	if b := rep.Buckets; b == nil || b.Run.Output == nil || b.Run.Output.Rows != 600 || b.Run.Output.Buckets < 2 {
		t.Errorf("many-buckets scenario: %+v", rep.Buckets)
	}
	for _, prof := range []string{"local-1", "hdfs-1", "200B-2p-local-1", "buckets"} {
		if st, err := os.Stat(filepath.Join(o.ProfileDir, prof+".pprof")); err != nil || st.Size() == 0 {
			t.Errorf("CPU profile %s of the loader subprocess: %v", prof, err)
		}
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	for _, want := range []string{"| " + bench.PartyLocal + " |", "| " + bench.PartyHDFS + " |", "## Many buckets", "## Avro beside JSON", "Avro / JSON records/s", "## Reproduce", "CPU model", "### 3000 × 200 B, 2 partitions"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report has no %q", want)
		}
	}

	// The verification behind every number: an intact output passes, a lost or a doubled file fails.
	// Each damage is undone after its case.
	root := filepath.Join(work, "out-local-1")
	files := parquetFiles(t, root)
	if len(files) < 2 {
		t.Fatalf("%d data files in %s; want at least 2 to damage", len(files), root)
	}
	want := rep.Expected()
	cases := []struct {
		name   string
		damage func(t *testing.T)
		ok     bool
	}{
		{"intact", func(*testing.T) {}, true},
		{"a file copied into a second bucket", func(t *testing.T) {
			dup := filepath.Join(filepath.Dir(files[0]), filepath.Base(files[1]))
			copyFile(t, files[1], dup)
			t.Cleanup(func() { _ = os.Remove(dup) })
		}, false},
		{"a file missing", func(t *testing.T) {
			aside := filepath.Join(work, "aside.parquet")
			if err := os.Rename(files[0], aside); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Rename(aside, files[0]) })
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.damage(t)
			_, err := bench.Verify(ctx, storage.Local{}, filepath.ToSlash(root), want)
			if tc.ok && err != nil {
				t.Fatalf("intact output failed verification: %v", err)
			}
			if !tc.ok && !errors.Is(err, bench.ErrVerify) {
				t.Fatalf("damaged output: err = %v, want a verification failure", err)
			}
		})
	}
}

// TestBenchExternalServers runs `kafka2hdfs bench --brokers --hdfs-namenode` against a kfake
// cluster and a test HDFS started here, standing in for the real servers of scripts/real-env.sh
// (which need Java): the bench must create, seed and measure a topic of its own on the broker,
// write and verify under a directory of its own on the HDFS, leave neither behind, and label
// the report as a run against external servers.
func TestBenchExternalServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	brokers := kc.ListenAddrs()
	hc, err := hdfstest.Start(hdfstest.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()

	saved := benchChildEnv
	benchChildEnv = []string{benchChildVar + "=1"}
	t.Cleanup(func() { benchChildEnv = saved })
	dir := t.TempDir()
	md, js := filepath.Join(dir, "perf-real.md"), filepath.Join(dir, "perf-real.json")
	var out, log bytes.Buffer
	app := loadercli.NewApp(loadercli.WithCommands(devCommands()...))
	app.Writer, app.ErrWriter = &out, &log
	t.Cleanup(loadercli.RedirectStderr(&log))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err = app.RunContext(ctx, []string{"kafka2hdfs", "bench", "--brokers", strings.Join(brokers, ","), "--hdfs-namenode", hc.NameNodeAddr(),
		"--brokers-desc", "kfake (stand-in)", "--hdfs-desc", "hdfstest (stand-in)",
		"--records", "3000", "--partitions", "3", "--repeats", "1", "--buckets-records", "0", "--cases", "none", "--timeout", "2m",
		"--out", md, "--json", js})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}

	var rep bench.Report
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Broker.External || !rep.HDFS.External || !strings.HasPrefix(rep.Broker.Topic, "bench-") || rep.Broker.APIGuess == "" {
		t.Errorf("report's servers: broker %+v, HDFS %+v; want both external, a topic of the bench's own and a version guess", rep.Broker, rep.HDFS)
	}
	names := map[string]bool{}
	for _, p := range rep.Parties {
		names[p.Name] = true
		if len(p.Runs) != 1 || p.Runs[0].Records != 3000 {
			t.Errorf("%s: %d runs, want 1 of 3000 records", p.Name, len(p.Runs))
		}
		if p.Name != bench.PartyCeiling && (len(p.Runs) == 0 || p.Runs[0].Output == nil || p.Runs[0].Output.Rows != 3000) {
			t.Errorf("%s: no verified output of 3000 rows", p.Name)
		}
	}
	if !names[bench.PartyCeiling] || !names[bench.PartyLocal] || !names[bench.PartyExternalHDFS] {
		t.Errorf("parties %v; want the ceiling, local and external HDFS", names)
	}

	report, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Performance against real servers", "| Source | kfake (stand-in) at " + brokers[0],
		"| HDFS sink | hdfstest (stand-in), NameNode at " + hc.NameNodeAddr(), "| n/a (external) |",
		"Broker CPU is not measured", "--brokers=" + brokers[0]} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report has no %q", want)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", report)
	}

	// Nothing left behind: the topic is deleted, the HDFS directory removed.
	sc := sarama.NewConfig()
	client, err := sarama.NewClient(brokers, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	topics, err := client.Topics()
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if strings.HasPrefix(tp, "bench-") {
			t.Errorf("topic %s left on the broker", tp)
		}
	}
	hcl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{hc.NameNodeAddr()}, User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer hcl.Close()
	infos, err := hcl.ReadDir("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range infos {
		t.Errorf("%s left on the HDFS", fi.Name())
	}
}

func parquetFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && (strings.HasPrefix(rel, "_") || strings.HasPrefix(rel, ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
