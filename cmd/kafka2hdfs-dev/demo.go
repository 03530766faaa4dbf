package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// demoMarker marks a folder as demo output, so demo may clear it on the next run and nothing else.
const demoMarker = ".kafka2hdfs-demo"

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "load sample clickstream data from an embedded Kafka into a local folder or an embedded HDFS; needs nothing installed",
		Description: `Starts an in-process Kafka cluster (kfake) with a 6-partition topic of clickstream JSON events
spread over several hours, some of them malformed, runs the loader in batch mode into --output,
checks that the Parquet row count equals the good records, and prints a summary and the tree.
With --sink hdfs it also starts an in-process HDFS (as dev-hdfs does) and loads into it through
the HDFS sink; the data is gone when the demo exits.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "kafka2hdfs-demo", Usage: "output folder (cleared first if it holds an earlier demo); with --sink hdfs, the path in HDFS"},
			&cli.StringFlag{Name: "sink", Value: "local", Usage: "local (a folder) or hdfs (an in-process HDFS)"},
			&cli.IntFlag{Name: "records", Value: 120_000, Usage: "records to produce"},
			&cli.StringFlag{Name: "format", Value: "json", Usage: "json, or avro (through an embedded schema registry, two schema versions)"},
			&cli.IntFlag{Name: "partitions", Value: 6, Usage: "partitions of the topic"},
			&cli.DurationFlag{Name: "span", Value: 6 * time.Hour, Usage: "event times spread over this span, ending at the current hour"},
			&cli.IntFlag{Name: "bad-every", Value: 2000, Usage: "every n-th record is malformed (0: none)"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "loader log level"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the load phase to this file (go tool pprof)"},
		},
		Action: demo,
	}
}

func demo(c *cli.Context) error {
	w := c.App.Writer
	var out string // the output root, as the loader is configured with it
	switch sink := c.String("sink"); sink {
	case "local":
		abs, err := filepath.Abs(c.String("output"))
		if err != nil {
			return err
		}
		if err := prepareDemoDir(abs); err != nil {
			return loadercli.ConfigError(err)
		}
		out = abs
	case "hdfs":
		// A fresh in-memory cluster each run, so there is no earlier demo to clear.
		hc, err := hdfstest.Start(hdfstest.Options{})
		if err != nil {
			return fmt.Errorf("start embedded hdfs: %w", err)
		}
		defer hc.Close()
		out = "hdfs://" + hc.NameNodeAddr() + path.Clean("/"+filepath.ToSlash(c.String("output")))
		fmt.Fprintf(w, "embedded HDFS at %s (in memory, gone on exit)\n", hc.NameNodeAddr())
	default:
		return loadercli.ConfigError(fmt.Errorf("--sink %q: use local or hdfs", sink))
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(c.Int("partitions")), "clicks"),
		kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		return fmt.Errorf("start embedded kafka: %w", err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	fmt.Fprintf(w, "embedded Kafka at %s; producing %d clickstream events to topic clicks (%d partitions)...\n",
		strings.Join(brokers, ","), c.Int("records"), c.Int("partitions"))
	so := sample.Options{Topic: "clicks", Records: c.Int("records"), Span: c.Duration("span"), BadEvery: c.Int("bad-every"), Seed: 42}
	var (
		produced sample.Produced
		yml      = DemoConfig(brokers, out, c.String("log-level"))
	)
	switch f := c.String("format"); f {
	case "json":
		produced, err = sample.Produce(c.Context, brokers, so)
	case "avro":
		var regURL string
		var stopReg func()
		produced, regURL, stopReg, err = demoProduceAvro(c.Context, brokers, so)
		if err == nil {
			defer stopReg()
			yml = DemoAvroConfig(brokers, out, c.String("log-level"), regURL)
		}
	default:
		return loadercli.ConfigError(fmt.Errorf("--format %q: use json or avro", f))
	}
	if err != nil {
		return err
	}
	cfg, err := config.Parse([]byte(yml))
	if err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	fmt.Fprintf(w, "loading into %s (batch mode: up to the high watermarks at start)...\n\n", out)
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	start := time.Now()
	sum, err := loadercli.Load(c.Context, cfg, true, loadercli.NewLogger(cfg))
	took := time.Since(start)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	loadercli.PrintSummary(w, sum, took)
	// The read-back goes through the same sink as the loader (for HDFS, the same client).
	fsys, root, err := storage.Open(out, storage.HDFSOptions{})
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if h, ok := fsys.(io.Closer); ok {
		defer h.Close()
	}
	rows, files, err := countRows(c.Context, fsys, root, false)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	deadRows, deadFiles, err := countRows(c.Context, fsys, root, true)
	if err != nil {
		return fmt.Errorf("read back dead letters: %w", err)
	}
	good := int64(produced.Total) - sum.Bad - sum.Filtered
	fmt.Fprintf(w, "read back:        %d rows in %d data files, %d dead letters in %d files under _errors\n", rows, files, deadRows, deadFiles)
	// Some malformed records are of a filtered type and never reach the schema, so dead letters
	// can be fewer than malformed records; every record must be in exactly one place.
	if sum.Consumed != int64(produced.Total) || rows != good || deadRows != sum.Bad || sum.Bad > int64(produced.BadCount()) {
		return fmt.Errorf("demo check failed: %d produced, %d consumed; %d rows read back, want %d (= produced - %d dead letters - %d filtered); %d dead-letter rows read back",
			produced.Total, sum.Consumed, rows, good, sum.Bad, sum.Filtered, deadRows)
	}
	fmt.Fprintf(w, "check:            %d produced = %d rows + %d dead letters + %d filtered: OK\n\n", produced.Total, rows, deadRows, sum.Filtered)
	return printTree(c.Context, w, fsys, root, out)
}

// DemoConfig is the configuration the demo runs with: a realistic topic with every kind of stage.
func DemoConfig(brokers []string, out, logLevel string) string {
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: kafka2hdfs-demo
  session_timeout: 10s
output:
  root: %s
  compression: snappy
rotation:
  max_records: 100000
  allowed_lateness: 5m
log:
  level: %s
topics:
  - name: clicks
    format: json
    interceptors:
      - {type: filter, field: type, values: [search], action: drop}
      - {type: mask, field: user.email, method: sha256, salt: demo-salt}
      - {type: timestamp, field: ts, format: rfc3339}
      - {type: add_field, field: ingested_by, source: hostname}
    partitioner:
      time: {source: event}
      granularity: hour
      path: dt=2006-01-02/hour=15
    schema:%s
`, strings.Join(brokers, ", "), out, logLevel, sample.Schema)
}

func prepareDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fmt.Errorf("--output %s is not empty and holds no earlier demo; pick another folder", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("output of kafka2hdfs demo; removed by the next demo run\n"), 0o644)
}

// countRows reads the footer of every published data file (dead: dead-letter file) under root,
// the way any Parquet reader would. Staging files are never counted.
func countRows(ctx context.Context, fsys storage.FS, root string, dead bool) (rows int64, files int, err error) {
	err = offsets.Walk(ctx, fsys, root, func(name string, _ fs.FileInfo) error {
		top, _, _ := strings.Cut(relPath(root, name), "/")
		if top == offsets.StagingDir || (top == offsets.ErrorsDir) != dead || !strings.HasSuffix(name, ".parquet") {
			return nil
		}
		f, err := fsys.Open(ctx, name)
		if err != nil {
			return err
		}
		defer f.Close()
		pf, err := parquet.OpenFile(f, f.Size())
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rows += pf.NumRows()
		files++
		return nil
	})
	return rows, files, err
}

// relPath is name relative to root, both slash-separated, name under root.
func relPath(root, name string) string {
	return strings.TrimPrefix(strings.TrimPrefix(name, root), "/")
}

// printTree prints the output root (shown as display), a few files per directory.
func printTree(ctx context.Context, w io.Writer, fsys storage.FS, root, display string) error {
	fmt.Fprintf(w, "%s\n", display)
	type dirInfo struct {
		files []string
		bytes int64
	}
	dirs := map[string]*dirInfo{}
	err := offsets.Walk(ctx, fsys, root, func(p string, info fs.FileInfo) error {
		if strings.HasPrefix(info.Name(), ".") {
			return nil
		}
		rel := path.Dir(relPath(root, p))
		di := dirs[rel]
		if di == nil {
			di = &dirInfo{}
			dirs[rel] = di
		}
		di.bytes += info.Size()
		name := info.Name()
		if _, s, e, ok := offsets.ParseFileName(name); ok {
			name = fmt.Sprintf("%s  (offsets %d-%d, %.1f KB)", name, s, e, float64(info.Size())/1e3)
		}
		di.files = append(di.files, name)
		return nil
	})
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(dirs))
	for k := range dirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		di := dirs[k]
		fmt.Fprintf(w, "  %s/  (%d files, %.1f KB)\n", k, len(di.files), float64(di.bytes)/1e3)
		for i, f := range di.files {
			if i == 2 && len(di.files) > 3 {
				fmt.Fprintf(w, "      ... %d more\n", len(di.files)-2)
				break
			}
			fmt.Fprintf(w, "      %s\n", f)
		}
	}
	return nil
}
