// Package bench measures the loader against the fastest a sarama consumer group can read the same
// data on the same machine, in one run: the instrument behind `kafka2hdfs-dev bench`, scripts/bench.sh,
// docs/performance.md and docs/performance-real.md.
//
// Every measured party is its own process (the kafka2hdfs binary again), so its CPU time and peak
// RSS come from the kernel's accounting of that process alone, and the broker (kfake, in a
// `dev-kafka` process) and the test HDFS (`dev-hdfs`) do not share a heap or a scheduler with what
// is measured. Options.Brokers and Options.HDFSNameNode replace either with an external server
// (the real Apache Kafka and HDFS of scripts/real-env.sh): the bench then creates and seeds a topic
// of its own there, and writes under a directory of its own.
//
// Every loader run starts with a fresh consumer group and a fresh output root, and its output is
// read back with internal/verify, the independent arrow-go reader: every produced offset must be
// in exactly one file, or the benchmark fails. A fast wrong run cannot pass.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Options configure a benchmark run.
type Options struct {
	// Binary is the kafka2hdfs executable run for every party; Env is added to its environment.
	Binary string
	Env    []string

	Topic       string
	Records     int
	Size        int // bytes per message, at least
	Partitions  int
	Span        time.Duration
	Repeats     int
	Compression string // of the Kafka batches: none, snappy, lz4, zstd

	Local bool // measure the loader to the local filesystem
	HDFS  bool // measure the loader to HDFS (dev-hdfs, or HDFSNameNode)

	// Brokers, if set, is an external Kafka used instead of a dev-kafka process. The bench creates
	// a topic of its own there (Topic plus a unique suffix; Partitions partitions, replication 1)
	// through sarama's ClusterAdmin, seeds it from this process with the same code dev-kafka
	// seeds with, and deletes it at the end. The broker's CPU is not measured. BrokersDesc says
	// in the report what the broker is (e.g. "Apache Kafka 4.4.0 (real broker, KRaft, loopback)").
	Brokers     []string
	BrokersDesc string
	// HDFSNameNode, if set (host:port), is an external HDFS used for the HDFS sink instead of a
	// dev-hdfs process per run. Each run writes under a directory of its own there
	// (/kafka2hdfs-bench-<unique>), removed once verified. HDFSDesc says in the report what it is.
	HDFSNameNode string
	HDFSDesc     string

	// Cases are further shapes of the main scenario (message size, partitions), each measured
	// like it but with the ceiling and the loader to the local filesystem only.
	Cases []Case
	// Ports, if set ("LO-HI"), is the range the bench's own servers (dev-kafka, dev-hdfs) listen
	// in; otherwise the kernel picks free ports.
	Ports string

	// Buckets is the many-buckets scenario; Records 0 skips it.
	Buckets BucketsOptions
	// Avro is the shape of the Avro comparison (the loader on the same events as JSON and as
	// Avro); Records 0 skips it. It needs the bench's own broker: skipped with Brokers.
	Avro Case

	// WorkDir holds configs and output roots; default a temporary directory, removed at the end.
	WorkDir string
	// ProfileDir, if set, receives a CPU profile of every loader run (<party>-<repeat>.pprof).
	ProfileDir string
	// KeepOutput keeps the local output roots (WorkDir/out-[<case>-]local-<repeat>, WorkDir/out-buckets)
	// instead of removing each once verified.
	KeepOutput bool
	// Timeout bounds each measured process.
	Timeout time.Duration
	// Command is the command line shown in the report; Note is a paragraph added to it.
	Command, Note string
	// Log receives progress lines; nil discards them.
	Log io.Writer `json:"-"`
}

// BucketsOptions shape the many-buckets scenario.
type BucketsOptions struct {
	Records    int
	Partitions int
	Span       time.Duration // hourly buckets: Span/1h of them
	// MaxBufferedBytes and MaxOpenFiles are the loader's memory budget in the scenario
	// (memory.max_buffered_bytes, memory.max_open_files).
	MaxBufferedBytes string
	MaxOpenFiles     int
}

// Defaults are the documented defaults of `kafka2hdfs-dev bench`.
func Defaults() Options {
	return Options{
		Topic: "bench", Records: 1_000_000, Size: 1024, Partitions: 8, Span: 4 * time.Hour, Repeats: 3,
		Compression: "none", Local: true, HDFS: true, Timeout: 10 * time.Minute,
		Cases:   DefaultCases(),
		Avro:    DefaultAvro(),
		Buckets: BucketsOptions{Records: 1_000_000, Partitions: 64, Span: 48 * time.Hour, MaxBufferedBytes: "256MiB", MaxOpenFiles: 256},
	}
}

// Party names.
const (
	PartyCeiling = "sarama group (ceiling)"
	PartyLocal   = "loader → local fs"
	PartyHDFS    = "loader → test HDFS"
	// PartyExternalHDFS is the loader to Options.HDFSNameNode.
	PartyExternalHDFS = "loader → HDFS"
)

// Report is everything a run measured.
type Report struct {
	Options Options
	Machine Machine
	Start   time.Time
	Took    time.Duration
	Seed    SeedReport
	Parties []Party
	Buckets *BucketsReport
	// Cases are the results of Options.Cases.
	Cases []CaseReport
	// Avro is the result of the Avro comparison (Options.Avro), if it ran.
	Avro *AvroReport `json:",omitempty"`
	// Appendix is Markdown written by hand about this run (an analysis of its numbers), added
	// after the cases when the report is written again from its JSON (--from-json, --appendix).
	Appendix string `json:",omitempty"`
	// LoaderConfig is the config of the local loader runs (output root and group elided).
	LoaderConfig string
	Sarama       string // the sarama settings both sides use
	// CeilingStalls counts raw consumer runs that stalled and were retried.
	CeilingStalls int
	// Broker and HDFS say which servers the run used.
	Broker BrokerInfo
	HDFS   HDFSInfo

	want map[verify.TP]int64
}

// Expected is what the main topic held: records per topic-partition, offsets 0..n-1.
func (rep *Report) Expected() map[verify.TP]int64 { return rep.want }

// BrokerInfo describes the Kafka the run read from.
type BrokerInfo struct {
	// External is true for Options.Brokers; false for a dev-kafka (kfake) process.
	External bool
	Addrs    []string `json:",omitempty"`
	Desc     string   `json:",omitempty"`
	// APIGuess is franz-go's kversion guess of the broker's release from its ApiVersions
	// response, a check on Desc (external brokers only).
	APIGuess string `json:",omitempty"`
	// Topic is the topic the main scenario created (external brokers only).
	Topic string `json:",omitempty"`
	// CoordinatorWait is how long the broker took to name a group coordinator before the first
	// run (external brokers only; see warmCoordinator).
	CoordinatorWait time.Duration `json:",omitempty"`
}

// HDFSInfo describes the HDFS the HDFS sink wrote to.
type HDFSInfo struct {
	// External is true for Options.HDFSNameNode; false for dev-hdfs processes.
	External bool
	NameNode string `json:",omitempty"`
	Desc     string `json:",omitempty"`
	// ReplicationMin and ReplicationMax bound the block replication of the data files the loader
	// wrote, as the NameNode lists them, over every file of every run (external HDFS only).
	ReplicationMin, ReplicationMax int `json:",omitempty"`
}

// SeedReport describes the seeded topic.
type SeedReport struct {
	Records, Bytes int64
	Partitions     int
	Took           time.Duration
}

// Party is one measured kind of process and its runs.
type Party struct {
	Name string
	Runs []Result
}

// Result is one measured process.
type Result struct {
	Usage
	Records, Bytes int64
	// BrokerCPU is the CPU time the broker process spent while this run went.
	BrokerCPU time.Duration
	// Output, for loader runs: what the verification read back.
	Output *Output
	// Extra is party-specific detail (the raw consumer's join and read times).
	Extra string
	// ReadRate, for the ceiling: records/s from the first group session to the last message.
	ReadRate float64 `json:",omitempty"`
}

// RecordsPerSec is the run's rate over its whole process lifetime.
func (r Result) RecordsPerSec() float64 { return float64(r.Records) / r.Wall.Seconds() }

// MBPerSec is the input rate in MB (10^6 bytes) per second.
func (r Result) MBPerSec() float64 { return float64(r.Bytes) / 1e6 / r.Wall.Seconds() }

// CPUPerMillion is CPU seconds per million records.
func (r Result) CPUPerMillion() float64 { return r.CPU.Seconds() / float64(r.Records) * 1e6 }

// BucketsReport is the many-buckets scenario's result.
type BucketsReport struct {
	Options BucketsOptions
	Seed    SeedReport
	Run     Result
	Config  string
	Loader  LoaderSummary
}

// LoaderSummary is what the loader's own summary says about how it held its memory budget.
type LoaderSummary struct {
	Flushes    map[string]int64 // committed flushes by what triggered them
	SmallFiles map[string]int64 // files under rotation.min_file_bytes, by cause (consumer.SmallClosed or the cut)
	SpilledMB  float64
	Spills     int64
	PeakMB     float64 // most spilled at once
}

// ParseLoaderSummary reads the flushes, small files and spilled lines of a batch run's summary.
func ParseLoaderSummary(out string) LoaderSummary {
	s := LoaderSummary{Flushes: map[string]int64{}, SmallFiles: map[string]int64{}}
	for _, line := range strings.Split(out, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch key {
		case "flushes":
			s.Flushes = consumer.ParseCounts(val)
		case "small files":
			if i := strings.LastIndex(val, "): "); i >= 0 {
				s.SmallFiles = consumer.ParseCounts(val[i+3:])
			}
		case "spilled":
			fmt.Sscanf(val, "%f MB in %d segments, at most %f MB", &s.SpilledMB, &s.Spills, &s.PeakMB)
		}
	}
	return s
}

type bench struct {
	opts   Options
	rep    *Report
	broker *server // the dev-kafka process; nil with an external broker

	// brokers and topic are where the current scenario's records are: dev-kafka's address or
	// Options.Brokers, and Options.Topic or the topic created on the external broker.
	brokers []string
	topic   string

	ports portPick
	// caseTag prefixes the run names (configs, profiles) of a further case: "200B-8p-".
	caseTag string
}

func (b *bench) logf(format string, args ...any) {
	if b.opts.Log != nil {
		fmt.Fprintf(b.opts.Log, format+"\n", args...)
	}
}

// Run runs the benchmark. An error means it could not measure, or a verification failed.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Binary == "" {
		return nil, fmt.Errorf("bench: no kafka2hdfs binary")
	}
	if o.Repeats < 1 || o.Records < 1 || o.Partitions < 1 || o.Size < 0 || o.Span <= 0 {
		return nil, fmt.Errorf("bench: need repeats, records and partitions >= 1 and a positive span")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	if o.Topic == "" {
		o.Topic = "bench"
	}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "kafka2hdfs-bench")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.WorkDir = dir
	} else if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return nil, err
	}
	if o.ProfileDir != "" {
		if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	b := &bench{opts: o, rep: &Report{Options: o, Machine: machineFacts(), Start: time.Now()}}
	b.rep.Broker = BrokerInfo{External: len(o.Brokers) > 0, Addrs: o.Brokers, Desc: o.BrokersDesc}
	b.rep.HDFS = HDFSInfo{External: o.HDFSNameNode != "", NameNode: o.HDFSNameNode, Desc: o.HDFSDesc}
	sc, err := LoaderSarama()
	if err != nil {
		return nil, err
	}
	if b.rep.Broker.External {
		b.rep.Broker.APIGuess = kafkaVersionGuess(ctx, o.Brokers)
		b.logf("external broker at %s; its API versions look like Kafka %s", strings.Join(o.Brokers, ","), b.rep.Broker.APIGuess)
		if b.rep.Broker.CoordinatorWait, err = warmCoordinator(ctx, o.Brokers); err != nil {
			return nil, err
		}
		b.logf("group coordinator ready after %s", b.rep.Broker.CoordinatorWait.Round(time.Millisecond))
	}
	b.rep.Sarama = describeSarama(sc)
	b.rep.LoaderConfig = LoaderConfig([]string{"<broker>"}, o.Topic, "<group>", "<root>", defaultLateness, "")
	if err := b.main(ctx, sc); err != nil {
		return b.rep, err
	}
	for _, c := range o.Cases {
		if err := b.extraCase(ctx, sc, c); err != nil {
			return b.rep, err
		}
	}
	if o.Avro.Records > 0 {
		if len(o.Brokers) > 0 {
			b.logf("avro comparison skipped: it needs the bench's own broker and registry (no --brokers)")
		} else if err := b.avroCompare(ctx, sc); err != nil {
			return b.rep, err
		}
	}
	if o.Buckets.Records > 0 {
		if err := b.buckets(ctx); err != nil {
			return b.rep, err
		}
	}
	b.rep.Took = time.Since(b.rep.Start)
	return b.rep, nil
}

// startSource makes the records of so available at b.brokers, topic b.topic: in a new dev-kafka
// process, or in a new topic on the external broker. stopSource undoes it.
func (b *bench) startSource(ctx context.Context, so SeedOptions) (SeedReport, error) {
	if len(b.opts.Brokers) == 0 {
		return b.startBroker(ctx, so)
	}
	so.Topic = fmt.Sprintf("%s-%d", so.Topic, time.Now().UnixNano())
	if err := CreateTopic(ctx, b.opts.Brokers, so.Topic, so.Partitions); err != nil {
		return SeedReport{}, err
	}
	b.brokers, b.topic = b.opts.Brokers, so.Topic
	b.logf("  created topic %s (%d partitions) on %s; seeding it from this process", so.Topic, so.Partitions, strings.Join(b.brokers, ","))
	s, err := Seed(ctx, b.brokers, so)
	if err != nil {
		return SeedReport{}, err
	}
	return SeedReport{Records: s.Records, Bytes: s.Bytes, Partitions: so.Partitions, Took: s.Elapsed}, nil
}

func (b *bench) stopSource() {
	if len(b.opts.Brokers) == 0 {
		b.stopBroker()
		return
	}
	if b.topic == "" {
		return
	}
	if err := deleteTopic(b.opts.Brokers, b.topic); err != nil {
		b.logf("  could not delete topic %s: %v", b.topic, err)
	}
	b.topic = ""
}

// startBroker starts a dev-kafka process seeded per so and returns the seed report.
func (b *bench) startBroker(ctx context.Context, so SeedOptions) (SeedReport, error) {
	addr, err := b.listenAddr()
	if err != nil {
		return SeedReport{}, err
	}
	args := []string{"dev-kafka", "--addr", addr, "--topic", so.Topic, "--seed-event", so.Event,
		"--partitions", strconv.Itoa(so.Partitions), "--seed-records", strconv.Itoa(so.Records),
		"--seed-size", strconv.Itoa(so.Size), "--seed-span", so.Span.String(),
		"--seed-compression", so.Compression, "--log-level", "warn"}
	if so.Spread {
		args = append(args, "--seed-spread")
	}
	srv, vals, err := b.startServer(ctx, "broker", b.opts.Timeout, []string{"broker:", "seeded:"}, args...)
	if err != nil {
		return SeedReport{}, err
	}
	b.broker, b.brokers, b.topic = srv, []string{vals[0]}, so.Topic
	var s Seeded
	if err := json.Unmarshal([]byte(vals[1]), &s); err != nil {
		return SeedReport{}, fmt.Errorf("broker's seeded line %q: %w", vals[1], err)
	}
	return SeedReport{Records: s.Records, Bytes: s.Bytes, Partitions: so.Partitions, Took: s.Elapsed}, nil
}

func (b *bench) stopBroker() {
	if b.broker != nil {
		b.broker.stop()
		b.broker = nil
	}
}

func (b *bench) main(ctx context.Context, sc *sarama.Config) error {
	o := b.opts
	parties := []string{PartyCeiling}
	if o.Local {
		parties = append(parties, PartyLocal)
	}
	if o.HDFS {
		parties = append(parties, b.hdfsParty())
	}
	c := Case{Records: o.Records, Size: o.Size, Partitions: o.Partitions}
	seed, want, ps, err := b.runCase(ctx, sc, c, parties, 1)
	b.rep.Seed, b.rep.want, b.rep.Parties = seed, want, ps
	return err
}

// runCase seeds a source with c's records and measures parties on it, interleaved, Repeats times.
func (b *bench) runCase(ctx context.Context, sc *sarama.Config, c Case, parties []string, seedNum uint64) (SeedReport, map[verify.TP]int64, []Party, error) {
	o := b.opts
	b.logf("seeding %d records of %d bytes over %d partitions...", c.Records, c.Size, c.Partitions)
	seed, err := b.startSource(ctx, SeedOptions{Topic: o.Topic, Partitions: c.Partitions, Records: c.Records,
		Size: c.Size, Span: o.Span, Compression: o.Compression, Seed: seedNum, Event: EventBench})
	defer b.stopSource()
	if err != nil {
		return seed, nil, nil, err
	}
	if b.rep.Broker.External && b.rep.Broker.Topic == "" {
		b.rep.Broker.Topic = b.topic
	}
	b.logf("seeded %d records (%.1f MB) in %s; broker at %s", seed.Records, float64(seed.Bytes)/1e6, seed.Took.Round(time.Millisecond), strings.Join(b.brokers, ","))
	want, err := Watermarks(ctx, b.brokers, b.topic, sc)
	if err != nil {
		return seed, nil, nil, err
	}
	if n := sumWant(want); n != seed.Records {
		return seed, nil, nil, fmt.Errorf("broker holds %d records, %d were seeded", n, seed.Records)
	}
	if err := b.warmUp(ctx, b.topic, b.benchConfig(b.topic)); err != nil {
		return seed, want, nil, err
	}
	runs := make([][]Result, len(parties))
	// Interleaved, so a noisy neighbour slows every party alike rather than one of them.
	for r := 1; r <= o.Repeats; r++ {
		for i, p := range parties {
			b.logf("repeat %d/%d: %s", r, o.Repeats, p)
			var run Result
			var err error
			switch p {
			case PartyCeiling:
				run, err = b.ceiling(ctx, r, seed)
			case PartyLocal:
				run, err = b.loaderLocal(ctx, r, want, seed)
			case PartyHDFS, PartyExternalHDFS:
				run, err = b.loaderHDFS(ctx, r, want, seed)
			}
			if err != nil {
				return seed, want, nil, err
			}
			b.logf("    %.0f records/s, %.1f MB/s, %.2f CPU s per M records, peak RSS %.0f MiB (broker CPU %s)%s",
				run.RecordsPerSec(), run.MBPerSec(), run.CPUPerMillion(), float64(run.MaxRSS)/(1<<20), b.rep.brokerCPU(run), verifiedNote(run))
			runs[i] = append(runs[i], run)
		}
	}
	var ps []Party
	for i, p := range parties {
		ps = append(ps, Party{Name: p, Runs: runs[i]})
	}
	return seed, want, ps, nil
}

func verifiedNote(r Result) string {
	if r.Output == nil {
		return ""
	}
	return fmt.Sprintf("; verified %d rows in %d files", r.Output.Rows, r.Output.Files)
}

func (b *bench) hdfsParty() string {
	if b.rep.HDFS.External {
		return PartyExternalHDFS
	}
	return PartyHDFS
}

// warmUp loads topic once to the local filesystem, unmeasured, and removes the output. In
// 2026-12-06's runs, the first loader process after seeding used up to half again the CPU per
// record of the later ones, nearly all of it system time in its socket reads, whichever party had
// read the topic before it (a read by the raw consumer did not help; the cause is not pinned
// down). Repeat 1 of the loader was then an outlier of one party only. With this warm-up the
// 64-partition and Avro cases' repeats agreed; the main case's first still ran a fifth above.
//
// config makes the run's loader config from a group and an output root.
func (b *bench) warmUp(ctx context.Context, topic string, config func(group, root string) string) error {
	root := filepath.Join(b.opts.WorkDir, "out-warm-up")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	cfg, err := b.writeConfig("warm-up", config(fmt.Sprintf("bench-warm-%d", time.Now().UnixNano()), root))
	if err != nil {
		return err
	}
	if _, _, err := b.measure(ctx, "warm-up load of "+topic+" (not measured)", "batch", "--config", cfg, "--progress", "none"); err != nil {
		return fmt.Errorf("warm-up load of %s: %w", topic, err)
	}
	return b.remove(root)
}

// benchConfig is the bench's loader config for topic, to the local filesystem.
func (b *bench) benchConfig(topic string) func(group, root string) string {
	return func(group, root string) string {
		return LoaderConfig(b.brokers, topic, group, root, defaultLateness, "")
	}
}

// brokerCPU is the broker process's CPU time so far (0 for an external broker: it is not ours
// to measure).
func (b *bench) brokerCPU() time.Duration {
	if b.broker == nil || b.broker.cmd.Process == nil {
		return 0
	}
	return procCPU(b.broker.cmd.Process.Pid)
}

// ceiling measures the raw consumer, retrying a run that stalled (see ErrStalled) up to twice; the
// retries are counted in the report.
func (b *bench) ceiling(ctx context.Context, r int, seed SeedReport) (Result, error) {
	for attempt := 1; ; attempt++ {
		res, err := b.ceilingOnce(ctx, r, attempt, seed)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), ErrStalled.Error()) {
			return res, err
		}
		b.rep.CeilingStalls++
		b.logf("    the raw consumer stalled; retrying with a fresh group: %v", firstLine(err))
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func (b *bench) ceilingOnce(ctx context.Context, r, attempt int, seed SeedReport) (Result, error) {
	cpu0 := b.brokerCPU()
	out, u, err := b.measure(ctx, "raw sarama group", "bench-consume", "--brokers", strings.Join(b.brokers, ","), "--topic", b.topic,
		"--group", fmt.Sprintf("bench-raw-%d-%d-%d", time.Now().UnixNano(), r, attempt))
	if err != nil {
		return Result{}, err
	}
	var c Consumed
	line := strings.TrimSpace(out)
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &c); err != nil {
		return Result{}, fmt.Errorf("raw consumer output %q: %w", line, err)
	}
	if c.Records != seed.Records || c.Bytes != seed.Bytes {
		return Result{}, fmt.Errorf("%w: the raw consumer read %d records (%d bytes), %d (%d bytes) were seeded", ErrVerify, c.Records, c.Bytes, seed.Records, seed.Bytes)
	}
	return Result{Usage: u, Records: c.Records, Bytes: c.Bytes, BrokerCPU: b.brokerCPU() - cpu0, ReadRate: float64(c.Records) / c.Read.Seconds(),
		Extra: fmt.Sprintf("join %s, read %s (%.0f records/s while reading), %d group session(s)", c.Join.Round(time.Millisecond), c.Read.Round(time.Millisecond), float64(c.Records)/c.Read.Seconds(), c.Sessions)}, nil
}

// loaderArgs is the command line of a loader run with config cfg.
func (b *bench) loaderArgs(cfg, profile string) []string {
	var args []string
	if b.opts.ProfileDir != "" {
		args = append(args, "--cpuprofile", filepath.Join(b.opts.ProfileDir, profile+".pprof"))
	}
	return append(args, "batch", "--config", cfg, "--progress", "none")
}

func (b *bench) writeConfig(name, y string) (string, error) {
	p := filepath.Join(b.opts.WorkDir, name+".yaml")
	return p, os.WriteFile(p, []byte(y), 0o644)
}

func (b *bench) loaderLocal(ctx context.Context, r int, want map[verify.TP]int64, seed SeedReport) (Result, error) {
	root := filepath.Join(b.opts.WorkDir, fmt.Sprintf("out-%slocal-%d", b.caseTag, r))
	if err := os.RemoveAll(root); err != nil {
		return Result{}, err
	}
	run, err := b.loaderRun(ctx, fmt.Sprintf("%slocal-%d", b.caseTag, r), root, seed)
	if err != nil {
		return Result{}, err
	}
	b.logf("    verifying %s", root)
	out, err := Verify(ctx, storage.Local{}, filepath.ToSlash(root), want)
	if err != nil {
		return run, fmt.Errorf("loader to local fs, repeat %d: %w", r, err)
	}
	run.Output = &out
	return run, b.remove(root)
}

// loaderRun runs one measured loader batch into root under a fresh group (named after the run, so
// no run resumes another's offsets) and charges the broker's CPU during it.
func (b *bench) loaderRun(ctx context.Context, name, root string, seed SeedReport) (Result, error) {
	group := fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano())
	cfg, err := b.writeConfig(name, b.benchConfig(b.topic)(group, root))
	if err != nil {
		return Result{}, err
	}
	cpu0 := b.brokerCPU()
	_, u, err := b.measure(ctx, "loader", b.loaderArgs(cfg, name)...)
	if err != nil {
		return Result{}, err
	}
	return Result{Usage: u, Records: seed.Records, Bytes: seed.Bytes, BrokerCPU: b.brokerCPU() - cpu0}, nil
}

func (b *bench) loaderHDFS(ctx context.Context, r int, want map[verify.TP]int64, seed SeedReport) (Result, error) {
	var url string
	if nn := b.opts.HDFSNameNode; nn != "" {
		// A directory of its own, so that the run neither meets nor leaves anything there.
		url = fmt.Sprintf("hdfs://%s/kafka2hdfs-bench-%d-%d", nn, time.Now().UnixNano(), r)
	} else {
		// A fresh in-memory HDFS per run: the previous run's files would hold memory otherwise.
		nn, err := b.listenAddr()
		if err != nil {
			return Result{}, err
		}
		dn, err := b.listenAddr()
		if err != nil {
			return Result{}, err
		}
		hdfs, vals, err := b.startServer(ctx, "test HDFS", time.Minute, []string{"  namenode:"}, "dev-hdfs",
			"--addr", nn, "--datanode-addr", dn, "--block-size", "128MiB", "--log-level", "warn")
		if err != nil {
			return Result{}, err
		}
		defer hdfs.stop()
		url = "hdfs://" + vals[0] + "/bench"
	}
	run, err := b.loaderRun(ctx, fmt.Sprintf("hdfs-%d", r), url, seed)
	if err != nil {
		return Result{}, err
	}
	b.logf("    verifying %s (read back through the HDFS client)", url)
	fsys, root, err := storage.Open(url, storage.HDFSOptions{})
	if err != nil {
		return run, err
	}
	if c, ok := fsys.(io.Closer); ok {
		defer c.Close()
	}
	out, err := Verify(ctx, fsys, root, want)
	if err != nil {
		return run, fmt.Errorf("loader to HDFS, repeat %d: %w", r, err)
	}
	run.Output = &out
	if !b.rep.HDFS.External {
		return run, nil
	}
	if err := b.noteReplication(ctx, fsys, root); err != nil {
		return run, err
	}
	if b.opts.KeepOutput {
		return run, nil
	}
	h, ok := fsys.(*storage.HDFS)
	if !ok {
		return run, fmt.Errorf("remove %s: not an HDFS client", url)
	}
	return run, removeHDFSAll(b.opts.HDFSNameNode, h.User(), root)
}

// noteReplication records the block replication of every data file under root, as the NameNode
// lists it, in the report.
func (b *bench) noteReplication(ctx context.Context, fsys storage.FS, root string) error {
	return offsets.Walk(ctx, fsys, root, func(name string, info fs.FileInfo) error {
		if !strings.HasSuffix(name, ".parquet") {
			return nil
		}
		// colinmarc/hdfs's FileInfo.Sys is the NameNode's HdfsFileStatusProto, of an internal
		// package: reach its field through the method the generated code has.
		st, ok := info.Sys().(interface{ GetBlockReplication() uint32 })
		if !ok {
			return nil
		}
		n := int(st.GetBlockReplication())
		h := &b.rep.HDFS
		if h.ReplicationMin == 0 || n < h.ReplicationMin {
			h.ReplicationMin = n
		}
		h.ReplicationMax = max(h.ReplicationMax, n)
		return nil
	})
}

func (b *bench) buckets(ctx context.Context) error {
	bo := b.opts.Buckets
	b.logf("many-buckets scenario: seeding %d records over %d partitions, event times spread over %s...", bo.Records, bo.Partitions, bo.Span)
	seed, err := b.startSource(ctx, SeedOptions{Topic: b.opts.Topic, Partitions: bo.Partitions, Records: bo.Records,
		Size: b.opts.Size, Span: bo.Span, Spread: true, Compression: b.opts.Compression, Seed: 2, Event: EventBench})
	defer b.stopSource()
	if err != nil {
		return err
	}
	sc, err := LoaderSarama()
	if err != nil {
		return err
	}
	want, err := Watermarks(ctx, b.brokers, b.topic, sc)
	if err != nil {
		return err
	}
	extra := bucketsExtra(bo)
	config := func(group, root string) string {
		return LoaderConfig(b.brokers, b.topic, group, root, bucketsLateness, extra)
	}
	if err := b.warmUp(ctx, b.topic, config); err != nil {
		return err
	}
	root := filepath.Join(b.opts.WorkDir, "out-buckets")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	cfg, err := b.writeConfig("buckets", config(fmt.Sprintf("bench-buckets-%d", time.Now().UnixNano()), root))
	if err != nil {
		return err
	}
	cpu0 := b.brokerCPU()
	stdout, u, err := b.measure(ctx, "loader", b.loaderArgs(cfg, "buckets")...)
	if err != nil {
		return err
	}
	summary := ParseLoaderSummary(stdout)
	run := Result{Usage: u, Records: seed.Records, Bytes: seed.Bytes, BrokerCPU: b.brokerCPU() - cpu0}
	b.logf("    verifying %s", root)
	out, err := Verify(ctx, storage.Local{}, filepath.ToSlash(root), want)
	if err != nil {
		return fmt.Errorf("many-buckets scenario: %w", err)
	}
	run.Output = &out
	b.logf("    %.0f records/s, peak RSS %.0f MiB, %d files of %.1f KB on average in %d buckets", run.RecordsPerSec(),
		float64(run.MaxRSS)/(1<<20), out.Files, out.AvgFileBytes()/1e3, out.Buckets)
	b.rep.Buckets = &BucketsReport{Options: bo, Seed: seed, Run: run, Loader: summary,
		Config: LoaderConfig([]string{"<broker>"}, b.opts.Topic, "<group>", "<root>", bucketsLateness, extra)}
	return b.remove(root)
}

// Lateness of the loader runs. In the many-buckets scenario events arrive in random time order,
// as in a backlog of late data: allowed_lateness longer than the span keeps every bucket open, so
// the scenario measures the memory budget alone. (With the default 10m, the watermark's climb over
// a partition's first records closes the buckets written before it, and each such close cuts the
// partition's files: measured, 149 such flushes and 4861 files instead of 3072.)
const (
	defaultLateness = "10m"
	bucketsLateness = "100h"
)

func (b *bench) remove(root string) error {
	if b.opts.KeepOutput {
		return nil
	}
	return os.RemoveAll(root)
}

func bucketsExtra(bo BucketsOptions) string {
	return fmt.Sprintf(`memory:
  max_buffered_bytes: %s
  max_open_files: %d
`, bo.MaxBufferedBytes, bo.MaxOpenFiles)
}

// LoaderConfig is the loader's config in the benchmark: the bench events' 9-column schema
// (benchevent.JSON: every field it reads is on every event), snappy, an event-time hourly partitioner,
// default rotation and memory budget, and the default (exactly-once) commit protocol. lateness
// is rotation.allowed_lateness; extra is appended (YAML sections).
func LoaderConfig(brokers []string, topic, group, root, lateness, extra string) string {
	return loaderConfig(brokers, topic, group, root, lateness, extra, "json", "rfc3339")
}

// loaderConfig is LoaderConfig with the topic's format and the timestamp interceptor's format.
func loaderConfig(brokers []string, topic, group, root, lateness, extra, format, tsFormat string) string {
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: %s
output:
  root: %s
  compression: snappy
rotation:
  allowed_lateness: %s
log:
  level: warn
%stopics:
  - name: %s
    format: %s
    interceptors:
      - {type: timestamp, field: ts, format: %s}
    partitioner:
      time: {source: event}
      granularity: hour
      path: dt=2006-01-02/hour=15
    schema:%s
`, strings.Join(brokers, ", "), group, root, lateness, extra, topic, format, tsFormat, Schema)
}

// Schema is the benchmark's 9-column schema over the bench events (the loader adds its
// kafka_* metadata columns), indented for the loader config above.
var Schema = benchevent.Schema("      ")

// Output is what a verification read back.
type Output struct {
	Rows, Files, DeadLetters int64
	FileBytes                int64
	Buckets                  int // distinct directories holding data files
	fileStats
}

// AvgFileBytes is the mean data file size.
func (o Output) AvgFileBytes() float64 {
	if o.Files == 0 {
		return 0
	}
	return float64(o.FileBytes) / float64(o.Files)
}

// Verify reads every file under root with internal/verify and checks that each offset of want
// (topic-partition → records produced) is in exactly one data file, that there are no dead letters
// (the benchmark produces none) and no leftover staging files.
func Verify(ctx context.Context, fsys storage.FS, root string, want map[verify.TP]int64) (Output, error) {
	rep, err := verify.OutputFS(ctx, fsys, root)
	if err != nil {
		return Output{}, fmt.Errorf("%w: read back %s: %v", ErrVerify, root, err)
	}
	if err := rep.Check(want, nil); err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrVerify, err)
	}
	var out Output
	for _, f := range rep.Files {
		out.Rows += f.Rows
	}
	out.Files, out.DeadLetters = int64(len(rep.Files)), int64(len(rep.DeadLetters))
	if n := sumWant(want); out.Rows != n || out.DeadLetters != 0 || len(rep.Staging) != 0 {
		return out, fmt.Errorf("%w: %d rows in data files, %d produced; %d dead-letter files; %d staging files left", ErrVerify, out.Rows, n, out.DeadLetters, len(rep.Staging))
	}
	dirs, pairs := map[string]bool{}, map[string]bool{}
	err = offsets.Walk(ctx, fsys, root, func(name string, info fs.FileInfo) error {
		rel := strings.TrimPrefix(strings.TrimPrefix(name, root), "/")
		if strings.HasPrefix(rel, "_") || strings.HasPrefix(rel, ".") || !strings.HasSuffix(name, ".parquet") {
			return nil
		}
		out.FileBytes += info.Size()
		dirs[path.Dir(rel)] = true
		out.note(pairs, rel, info.Size())
		return nil
	})
	out.Buckets = len(dirs)
	out.done(pairs)
	return out, err
}

func sumWant(want map[verify.TP]int64) int64 {
	var n int64
	for _, v := range want {
		n += v
	}
	return n
}

// Watermarks is each partition's high watermark, read from the broker: what the checks expect
// (the topic started empty, so offsets 0..hw-1).
func Watermarks(ctx context.Context, brokers []string, topic string, sc *sarama.Config) (map[verify.TP]int64, error) {
	client, err := kafkasec.NewClient(brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	defer client.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		return nil, err
	}
	want := map[verify.TP]int64{}
	for _, p := range parts {
		hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		want[verify.TP{Topic: topic, Partition: p}] = hw
	}
	return want, ctx.Err()
}

func describeSarama(sc *sarama.Config) string {
	return fmt.Sprintf("version %s, Consumer.Fetch.Default %d, Fetch.Min %d, Fetch.Max %d, MaxWaitTime %s, MaxProcessingTime %s, ChannelBufferSize %d, group strategies %d (sticky, range), auto-commit off, initial offset oldest",
		sc.Version, sc.Consumer.Fetch.Default, sc.Consumer.Fetch.Min, sc.Consumer.Fetch.Max, sc.Consumer.MaxWaitTime, sc.Consumer.MaxProcessingTime, sc.ChannelBufferSize, len(sc.Consumer.Group.Rebalance.GroupStrategies))
}

// procCPU reads utime+stime of a running process from /proc (0 when it cannot).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clockTicks
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs      int
	CPUModel  string
	GoVersion string
	Kernel    string
	MemTotal  string
	OS, Arch  string
}

func machineFacts() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				m.MemTotal = strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:"))
			}
		}
	}
	return m
}
