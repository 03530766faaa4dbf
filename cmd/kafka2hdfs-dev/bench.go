package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/internal/bench"
	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
)

func benchCommand() *cli.Command {
	d := bench.Defaults()
	return &cli.Command{
		Name:  "bench",
		Usage: "measure the loader against a raw sarama consumer group on this machine, and write docs/performance.md",
		Description: `Starts a Kafka broker (dev-kafka) in its own process and seeds it, then measures, each as its own
process and --repeats times interleaved: a raw sarama consumer group reading everything (the
ceiling), the loader in batch mode to the local filesystem, and the loader to a test HDFS
(dev-hdfs). Every loader run uses a fresh group and output root, and its output is read back with
an independent Parquet reader: every offset must be in exactly one file, or the benchmark fails.
Then the many-buckets scenario: --buckets-partitions partitions with event times at random over
--buckets-span, so every partition writes every hourly bucket at once, under the memory budget.

The broker and the test HDFS listen on free loopback ports the kernel picks, or on ports of the
--ports range, so the bench runs beside other work. --cases adds shapes of the main scenario
(by default 3M x 200 B over 8 partitions and 1M x 1 KB over 64), each measured with the ceiling
and the loader to the local filesystem. --brokers HOST:PORT[,...] uses an external Kafka instead of dev-kafka: the
bench creates a topic of its own there (--topic plus a unique suffix, --partitions partitions,
replication 1), seeds it from its own process and deletes it at the end; the broker's CPU is not
measured. --hdfs-namenode HOST:PORT uses an external HDFS for the HDFS sink instead of dev-hdfs:
every run writes under /kafka2hdfs-bench-<unique> there, removed once verified. With either, the
report is titled "against real servers" and says what the servers were (--brokers-desc,
--hdfs-desc); scripts/bench-real.sh runs it against scripts/real-env.sh's Apache Kafka and HDFS
and writes docs/performance-real.md.

Prints a summary and, with --out, writes the Markdown report (docs/performance.md).`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "records", Value: d.Records, Usage: "messages to seed"},
			&cli.IntFlag{Name: "size", Value: d.Size, Usage: "bytes per message (JSON padded to this size)"},
			&cli.IntFlag{Name: "partitions", Value: d.Partitions, Usage: "partitions of the topic"},
			&cli.DurationFlag{Name: "span", Value: d.Span, Usage: "event times spread over this span (hourly buckets)"},
			&cli.IntFlag{Name: "repeats", Value: d.Repeats, Usage: "runs of each party; the report shows the median and min/max"},
			&cli.StringFlag{Name: "kafka-compression", Value: d.Compression, Usage: "compression of the seeded Kafka batches: none, snappy, lz4 or zstd"},
			&cli.BoolFlag{Name: "local", Value: true, Usage: "measure the loader to the local filesystem"},
			&cli.BoolFlag{Name: "hdfs", Value: true, Usage: "measure the loader to HDFS (dev-hdfs, or --hdfs-namenode)"},
			&cli.StringFlag{Name: "topic", Value: d.Topic, Usage: "topic name (with --brokers, a prefix: a unique suffix is added)"},
			&cli.StringFlag{Name: "brokers", Usage: "use this external Kafka (`HOST:PORT[,...]`) instead of a dev-kafka process"},
			&cli.StringFlag{Name: "brokers-desc", Usage: "what the --brokers are, for the report (e.g. \"Apache Kafka 4.4.0 (real broker, KRaft, loopback)\")"},
			&cli.StringFlag{Name: "hdfs-namenode", Usage: "use the external HDFS whose NameNode is at `HOST:PORT` for the HDFS sink instead of dev-hdfs"},
			&cli.StringFlag{Name: "hdfs-desc", Usage: "what the --hdfs-namenode is, for the report (e.g. \"Apache HDFS 3.4.2 MiniDFSCluster (3 DataNodes, replication 3)\")"},
			&cli.StringFlag{Name: "avro", Value: d.Avro.String(), Usage: "the Avro comparison `RECORDSxSIZExPARTITIONS`: the loader on the same events as JSON and as Avro (registry format, dev-kafka's embedded registry), interleaved; none: skip (skipped with --brokers)"},
			&cli.StringFlag{Name: "cases", Value: casesFlag(d.Cases), Usage: "further cases `RECORDSxSIZExPARTITIONS[,...]`, each measured like the main one (ceiling and local loader); none: skip"},
			&cli.StringFlag{Name: "from-json", Usage: "measure nothing: write the report of an earlier run's --json again (with --out, --appendix)"},
			&cli.StringFlag{Name: "appendix", Usage: "with --from-json: a Markdown `FILE` about the run (an analysis of its numbers), added after its tables"},
			&cli.StringFlag{Name: "ports", Usage: "listen on ports of this range (`LO-HI`) for the bench's own broker and test HDFS, so the bench runs beside other work (default: free ports the kernel picks)"},
			&cli.IntFlag{Name: "buckets-records", Value: d.Buckets.Records, Usage: "messages in the many-buckets scenario (0: skip it)"},
			&cli.IntFlag{Name: "buckets-partitions", Value: d.Buckets.Partitions, Usage: "partitions in the many-buckets scenario"},
			&cli.DurationFlag{Name: "buckets-span", Value: d.Buckets.Span, Usage: "event times at random over this span in the many-buckets scenario"},
			&cli.StringFlag{Name: "buckets-max-buffered", Value: d.Buckets.MaxBufferedBytes, Usage: "memory.max_buffered_bytes in the many-buckets scenario"},
			&cli.IntFlag{Name: "buckets-max-open-files", Value: d.Buckets.MaxOpenFiles, Usage: "memory.max_open_files in the many-buckets scenario"},
			&cli.StringFlag{Name: "out", Usage: "write the Markdown report here, e.g. docs/performance.md"},
			&cli.StringFlag{Name: "json", Usage: "write the raw results as JSON here"},
			&cli.StringFlag{Name: "cpuprofile-dir", Usage: "write a CPU profile of every loader run here (<party>-<repeat>.pprof)"},
			&cli.StringFlag{Name: "work-dir", Usage: "configs and output roots (default: a temporary directory, removed after)"},
			&cli.StringFlag{Name: "note", Usage: "a paragraph quoted near the top of the report (e.g. what else ran on the machine)"},
			&cli.DurationFlag{Name: "timeout", Value: d.Timeout, Usage: "bound on each measured process"},
		},
		Action: runBench,
	}
}

func runBench(c *cli.Context) error {
	if p := c.String("from-json"); p != "" {
		return rewriteBench(c, p)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find the kafka2hdfs binary: %w", err)
	}
	o := bench.Defaults()
	o.Binary, o.Env = exe, benchChildEnv
	o.Records, o.Size, o.Partitions, o.Span, o.Repeats = c.Int("records"), c.Int("size"), c.Int("partitions"), c.Duration("span"), c.Int("repeats")
	o.Compression, o.Local, o.HDFS = c.String("kafka-compression"), c.Bool("local"), c.Bool("hdfs")
	o.Buckets = bench.BucketsOptions{Records: c.Int("buckets-records"), Partitions: c.Int("buckets-partitions"), Span: c.Duration("buckets-span"),
		MaxBufferedBytes: c.String("buckets-max-buffered"), MaxOpenFiles: c.Int("buckets-max-open-files")}
	o.WorkDir, o.ProfileDir, o.Note, o.Timeout = c.String("work-dir"), c.String("cpuprofile-dir"), c.String("note"), c.Duration("timeout")
	o.Topic, o.Ports = c.String("topic"), c.String("ports")
	if o.Cases, err = bench.ParseCases(c.String("cases")); err != nil {
		return loadercli.ConfigError(fmt.Errorf("--cases: %w", err))
	}
	switch avro, err := bench.ParseCases(c.String("avro")); {
	case err != nil || len(avro) > 1:
		return loadercli.ConfigError(fmt.Errorf("--avro: one RECORDSxSIZExPARTITIONS or none: %v", err))
	case len(avro) == 1:
		o.Avro = avro[0]
	default:
		o.Avro = bench.Case{}
	}
	if _, _, err := bench.ParsePorts(o.Ports); err != nil {
		return loadercli.ConfigError(fmt.Errorf("--ports: %w", err))
	}
	if v := c.String("brokers"); v != "" {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				o.Brokers = append(o.Brokers, b)
			}
		}
	}
	o.BrokersDesc, o.HDFSNameNode, o.HDFSDesc = c.String("brokers-desc"), c.String("hdfs-namenode"), c.String("hdfs-desc")
	o.Command = benchCommandLine(c)
	o.Log = loadercli.Stderr()
	if o.Repeats < 1 || o.Records < 1 || o.Partitions < 1 || o.Size < 0 || o.Span <= 0 ||
		(o.Buckets.Records > 0 && (o.Buckets.Partitions < 1 || o.Buckets.Span <= 0)) {
		return loadercli.ConfigError(fmt.Errorf("--records, --repeats and --partitions must be at least 1, --size not negative, --span positive (and the --buckets-* likewise)"))
	}
	if err := checkHostPorts(o.Brokers, o.HDFSNameNode); err != nil {
		return loadercli.ConfigError(err)
	}
	rep, err := bench.Run(c.Context, o)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	rep.Summary(c.App.Writer)
	if p := c.String("out"); p != "" {
		var md bytes.Buffer
		rep.Markdown(&md)
		if err := os.WriteFile(p, md.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "wrote %s\n", p)
	}
	if p := c.String("json"); p != "" {
		js, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, js, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rewriteBench writes the report of an earlier run again, with --appendix.
func rewriteBench(c *cli.Context, from string) error {
	rep, err := bench.Load(from)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if p := c.String("appendix"); p != "" {
		a, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("bench: --appendix: %w", err)
		}
		rep.Appendix = string(a)
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	if p := c.String("out"); p != "" {
		return os.WriteFile(p, md.Bytes(), 0o644)
	}
	_, err = c.App.Writer.Write(md.Bytes())
	return err
}

func casesFlag(cs []bench.Case) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, ",")
}

// checkHostPorts rejects --brokers and --hdfs-namenode values that are not host:port, before
// anything is started.
func checkHostPorts(brokers []string, namenode string) error {
	for _, b := range brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("--brokers %q: want host:port: %w", b, err)
		}
	}
	if namenode != "" {
		if _, _, err := net.SplitHostPort(namenode); err != nil {
			return fmt.Errorf("--hdfs-namenode %q: want host:port: %w", namenode, err)
		}
	}
	return nil
}

// benchChildEnv is added to the environment of the benchmark's subprocesses (the smoke test sets
// it so that its test binary runs as kafka2hdfs).
var benchChildEnv []string

// benchCommandLine is how the report shows the command: the binary's base name and the flags set.
func benchCommandLine(c *cli.Context) string {
	args := []string{"kafka2hdfs", "bench"}
	args = append(args, c.Args().Slice()...)
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) || name == "note" || name == "work-dir" {
			continue
		}
		v := c.Value(name)
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		s := fmt.Sprint(v)
		if strings.ContainsAny(s, " \t") {
			s = fmt.Sprintf("%q", s)
		}
		args = append(args, "--"+name+"="+s)
	}
	return strings.Join(args, " ")
}

// benchConsumeCommand is the benchmark's ceiling: a raw sarama consumer group in its own process.
func benchConsumeCommand() *cli.Command {
	return &cli.Command{
		Name:   "bench-consume",
		Usage:  "read a topic to its high watermarks as a plain sarama consumer group, discarding the messages (used by bench)",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "brokers", Required: true},
			&cli.StringFlag{Name: "topic", Required: true},
			&cli.StringFlag{Name: "group", Required: true},
		},
		Action: func(c *cli.Context) error {
			sc, err := bench.LoaderSarama()
			if err != nil {
				return err
			}
			res, err := bench.RawConsume(c.Context, strings.Split(c.String("brokers"), ","), c.String("topic"), c.String("group"), sc)
			if err != nil {
				return err
			}
			js, _ := json.Marshal(res)
			fmt.Fprintf(c.App.Writer, "%s\n", js)
			return nil
		},
	}
}
