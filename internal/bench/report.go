package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

// RSSTarget is the bound on the loader's peak RSS.
const RSSTarget = 512 << 20

// Target ratios of the ceiling, from the issue.
var targets = map[string]float64{PartyLocal: 0.60, PartyHDFS: 0.50, PartyExternalHDFS: 0.50}

// brokerCPU is the run's broker CPU for the log and the report, or why there is none.
func (rep *Report) brokerCPU(r Result) string {
	if rep.Broker.External {
		return "n/a (external)"
	}
	return r.BrokerCPU.Round(10 * time.Millisecond).String()
}

// stat is the median, min and max of one quantity over a party's runs.
type stat struct{ med, lo, hi float64 }

func statOf(runs []Result, f func(Result) float64) stat {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return statVals(v)
}

func statVals(v []float64) stat {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v) == 0 {
		return stat{}
	}
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return stat{med, v[0], v[len(v)-1]}
}

func (s stat) format(verb string) string {
	f := func(x float64) string { return fmt.Sprintf(verb, x) }
	if s.lo == s.hi {
		return f(s.med)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.med), f(s.lo), f(s.hi))
}

func rate(r Result) float64  { return r.RecordsPerSec() }
func mbps(r Result) float64  { return r.MBPerSec() }
func cpuM(r Result) float64  { return r.CPUPerMillion() }
func rssMB(r Result) float64 { return float64(r.MaxRSS) / (1 << 20) }

// Ceiling is the ceiling party, if measured.
func (rep *Report) Ceiling() *Party {
	for i := range rep.Parties {
		if rep.Parties[i].Name == PartyCeiling {
			return &rep.Parties[i]
		}
	}
	return nil
}

// Ratio is the party's median records/s over the ceiling's, and the min and max of the per-repeat
// ratios (repeat r of the party over repeat r of the ceiling).
func (rep *Report) Ratio(p *Party) (stat, bool) { return ratioIn(rep.Parties, p) }

func ratioIn(parties []Party, p *Party) (stat, bool) {
	var c *Party
	for i := range parties {
		if parties[i].Name == PartyCeiling {
			c = &parties[i]
		}
	}
	if c == nil || len(c.Runs) != len(p.Runs) || len(p.Runs) == 0 {
		return stat{}, false
	}
	per := make([]float64, len(p.Runs))
	for i := range p.Runs {
		per[i] = p.Runs[i].RecordsPerSec() / c.Runs[i].RecordsPerSec()
	}
	s := statVals(per)
	s.med = statOf(p.Runs, rate).med / statOf(c.Runs, rate).med
	return s, true
}

// Summary is a few lines for a terminal.
func (rep *Report) Summary(w io.Writer) {
	fmt.Fprintf(w, "\n%-24s %-30s %-22s %-24s %-16s %s\n", "", "records/s", "MB/s", "CPU s / M records", "peak RSS MiB", "of ceiling")
	for i := range rep.Parties {
		p := &rep.Parties[i]
		ratio := "—"
		if s, ok := rep.Ratio(p); ok && p.Name != PartyCeiling {
			ratio = s.percent()
		}
		fmt.Fprintf(w, "%-24s %-30s %-22s %-24s %-16s %s\n", p.Name, statOf(p.Runs, rate).format("%.0f"), statOf(p.Runs, mbps).format("%.1f"),
			statOf(p.Runs, cpuM).format("%.2f"), statOf(p.Runs, rssMB).format("%.0f"), ratio)
	}
	for _, c := range rep.Cases {
		for i := range c.Parties {
			pt := &c.Parties[i]
			ratio := "—"
			if s, ok := c.Ratio(pt); ok && pt.Name != PartyCeiling {
				ratio = s.percent()
			}
			fph := ""
			if len(pt.Runs) > 0 && pt.Runs[0].Output != nil {
				fph = fmt.Sprintf(", %.2f files per partition-hour", pt.Runs[0].Output.PerPartitionHour())
			}
			fmt.Fprintf(w, "%s: %-24s %s records/s, %s CPU µs/record, %s MiB, of ceiling %s%s\n", c.Case.Title(), pt.Name, statOf(pt.Runs, rate).format("%.0f"),
				statOf(pt.Runs, cpuM).format("%.2f"), statOf(pt.Runs, rssMB).format("%.0f"), ratio, fph)
		}
	}
	if a := rep.Avro; a != nil {
		for i := range a.Parties {
			pt := &a.Parties[i]
			fmt.Fprintf(w, "avro comparison: %-24s %s records/s, %s CPU µs/record\n", pt.Name, statOf(pt.Runs, rate).format("%.0f"), statOf(pt.Runs, cpuM).format("%.2f"))
		}
		if s, ok := a.Ratio(); ok {
			fmt.Fprintf(w, "avro comparison: Avro / JSON records/s %.2f× (per repeat %.2f–%.2f)\n", s.med, s.lo, s.hi)
		}
	}
	if b := rep.Buckets; b != nil {
		fmt.Fprintf(w, "many buckets: %d records, %d partitions × %d hourly buckets: %.0f records/s, peak RSS %.0f MiB (≤ 512 MiB: %s), %d files of %.1f KB on average\n",
			b.Seed.Records, b.Options.Partitions, int(b.Options.Span/time.Hour), b.Run.RecordsPerSec(), rssMB(b.Run), yesNo(b.Run.MaxRSS <= RSSTarget),
			b.Run.Output.Files, b.Run.Output.AvgFileBytes()/1e3)
	}
}

func (s stat) percent() string {
	if s.lo == s.hi {
		return fmt.Sprintf("%.1f%%", s.med*100)
	}
	return fmt.Sprintf("%.1f%% (%.1f–%.1f%%)", s.med*100, s.lo*100, s.hi*100)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

// Markdown writes docs/performance.md, or with an external broker or HDFS
// docs/performance-real.md.
func (rep *Report) Markdown(w io.Writer) {
	o := rep.Options
	m := rep.Machine
	real := rep.Broker.External || rep.HDFS.External
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if real {
		p("# Performance against real servers\n\n")
		p("<!-- Generated by `kafka2hdfs-dev bench --brokers ... --hdfs-namenode ...` (scripts/bench-real.sh); edit internal/bench/report.go, not this file. -->\n\n")
	} else {
		p("# Performance\n\n")
		p("<!-- Generated by `kafka2hdfs-dev bench` (scripts/bench.sh); edit internal/bench/report.go, not this file. -->\n\n")
	}
	p("How fast kafka2hdfs loads, measured against the fastest a plain sarama consumer group reads the same\n")
	p("data on the same machine, in the same run. Every number below comes from one run of `kafka2hdfs-dev bench`\n")
	if rep.Appendix != "" {
		p("on the machine described; nothing is hand-edited but the section about the run written by hand after the\n")
		p("case tables, which says so. Rerun it on yours (see [Reproduce](#reproduce)).\n\n")
	} else {
		p("on the machine described; nothing is hand-edited. Rerun it on yours (see [Reproduce](#reproduce)).\n\n")
	}
	if real {
		p("This run used external servers (`--brokers`, `--hdfs-namenode`) instead of the in-process kfake broker\n")
		p("and the Go test HDFS of [performance.md](performance.md); see [Servers](#servers).\n\n")
	} else {
		p("The same benchmark against unmodified Apache Kafka and Apache HDFS (scripts/real-env.sh, `--brokers` and\n")
		p("`--hdfs-namenode`) is in [performance-real.md](performance-real.md).\n\n")
	}
	if o.Note != "" {
		p("> %s\n\n", strings.ReplaceAll(strings.TrimSpace(o.Note), "\n", "\n> "))
	}
	if real {
		rep.servers(p)
	}
	p("## Machine and command\n\n")
	p("| | |\n|---|---|\n")
	p("| date | %s |\n", rep.Start.UTC().Format("2006-01-02 15:04 MST"))
	p("| CPUs (nproc) | %d |\n", m.CPUs)
	p("| CPU model | %s |\n", m.CPUModel)
	p("| memory | %s |\n", m.MemTotal)
	p("| kernel | %s %s/%s |\n", m.Kernel, m.OS, m.Arch)
	p("| Go | %s |\n", m.GoVersion)
	p("| command | `%s` |\n", rep.commandLine())
	p("| took | %s |\n\n", rep.Took.Round(time.Second))

	p("## Results\n\n")
	p("%d records of ~%d bytes of JSON (%.0f MB of keys and values) in %d partitions, event times spread over\n",
		rep.Seed.Records, o.Size, float64(rep.Seed.Bytes)/1e6, rep.Seed.Partitions)
	comp := "Kafka batches uncompressed"
	if o.Compression != "none" && o.Compression != "" {
		comp = "Kafka batches compressed with " + o.Compression
	}
	p("%s; %s. Each party ran %d time(s), interleaved (ceiling, local, HDFS, ceiling, ...), after one unmeasured\n", o.Span, comp, o.Repeats)
	p("load of the topic to the local filesystem (a warm-up: the first loader process after seeding used up to half again\n")
	p("the CPU per record, in its socket reads' system time);\n")
	p("cells are the median with (min–max). Rates are over each process's whole life, start to exit (connecting,\n")
	p("joining the group, the final commit included). CPU is user+system time of the process and peak RSS its\n")
	p("maximum resident set, both from the kernel (getrusage of the child; the bench resets its own peak RSS\n")
	p("before each start, as Linux would charge it to the child at exec). \"of ceiling\" is the party's median\n")
	p("records/s over the ceiling's median, with the range of the per-repeat ratios.\n\n")
	p("| party | records/s | MB/s | CPU s per M records | peak RSS (MiB) | of ceiling | target | output verified |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for i := range rep.Parties {
		pt := &rep.Parties[i]
		ratio, target := "—", "—"
		if s, ok := rep.Ratio(pt); ok && pt.Name != PartyCeiling {
			ratio = s.percent()
			if t, ok := targets[pt.Name]; ok {
				target = fmt.Sprintf("≥ %.0f%%: %s", t*100, yesNo(s.med >= t))
			}
		}
		ver := "—"
		if len(pt.Runs) > 0 && pt.Runs[0].Output != nil {
			ver = fmt.Sprintf("%d/%d runs: every offset once, %d files", len(pt.Runs), len(pt.Runs), pt.Runs[0].Output.Files)
		} else if pt.Name == PartyCeiling {
			ver = "record and byte counts"
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", pt.Name, statOf(pt.Runs, rate).format("%.0f"), statOf(pt.Runs, mbps).format("%.1f"),
			statOf(pt.Runs, cpuM).format("%.2f"), statOf(pt.Runs, rssMB).format("%.0f"), ratio, target, ver)
	}
	if c := rep.Ceiling(); c != nil && len(c.Runs) > 0 {
		read := statOf(c.Runs, func(r Result) float64 { return r.ReadRate })
		p("\nThe ceiling's rate while reading alone (from the first group session to the last message; process start,\n")
		p("connecting and closing excluded) was %s records/s. Against that stricter ceiling", read.format("%.0f"))
		var parts []string
		for i := range rep.Parties {
			if pt := &rep.Parties[i]; pt.Name != PartyCeiling {
				parts = append(parts, fmt.Sprintf("%s reaches %.1f%%", pt.Name, statOf(pt.Runs, rate).med/read.med*100))
			}
		}
		p(" %s.\n", strings.Join(parts, ", "))
	}
	if rep.CeilingStalls > 0 {
		p("\n%d raw consumer run(s) stalled (no message for %s while partitions were short of their high watermark) and were\n", rep.CeilingStalls, StallTimeout)
		p("rerun with a fresh group; only completed runs are in the table.\n")
	}
	p("\nLoader peak RSS ≤ 512 MiB in every run: %s.\n\n", yesNo(rep.loaderRSSOK()))
	p("Per run (wall time; CPU time and cores busy on average, CPU/wall; peak RSS; CPU the broker process spent meanwhile):\n\n")
	p("| party | repeat | wall | records/s | CPU | cores busy | peak RSS (MiB) | broker CPU | notes |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, pt := range rep.Parties {
		for i, r := range pt.Runs {
			note := r.Extra
			if r.Output != nil {
				note = fmt.Sprintf("%d rows in %d files, %.1f KB on average", r.Output.Rows, r.Output.Files, r.Output.AvgFileBytes()/1e3)
			}
			p("| %s | %d | %s | %.0f | %s | %.2f | %.0f | %s | %s |\n", pt.Name, i+1, r.Wall.Round(time.Millisecond), r.RecordsPerSec(),
				r.CPU.Round(10*time.Millisecond), r.CPU.Seconds()/r.Wall.Seconds(), rssMB(r), rep.brokerCPU(r), note)
		}
	}
	if rep.Broker.External {
		p("\nBroker CPU is not measured: the broker is an external process (for Apache Kafka, a JVM) the bench did\n")
		p("not start, and whatever else it serves would be charged to the runs.\n")
	}
	p("\nSeeding the broker took %s (%.0f records/s, %.1f MB/s).\n\n", rep.Seed.Took.Round(time.Millisecond),
		float64(rep.Seed.Records)/rep.Seed.Took.Seconds(), float64(rep.Seed.Bytes)/1e6/rep.Seed.Took.Seconds())

	rep.casesMarkdown(p)
	rep.avroMarkdown(p)
	if a := strings.TrimSpace(rep.Appendix); a != "" {
		p("%s\n\n", a)
	}

	if b := rep.Buckets; b != nil {
		hours := int(b.Options.Span / time.Hour)
		p("## Many buckets\n\n")
		p("%d records over %d partitions with event times drawn at random from %d hours: every partition\n", b.Seed.Records, b.Options.Partitions, hours)
		p("writes to every hourly bucket at once, so without a limit %d × %d = %d files would be open. The\n", b.Options.Partitions, hours, b.Options.Partitions*hours)
		p("memory budget (`memory.max_buffered_bytes: %s`, `memory.max_open_files: %d`) must hold it without\n", b.Options.MaxBufferedBytes, b.Options.MaxOpenFiles)
		p("growing, and without cutting files early: a bucket buffers its rows in memory the budget counts and gets\n")
		p("an open file only once it holds 1/8 of a row group; when the rows outgrow the budget, the partition holding\n")
		p("the most spills them to a local spill file (`memory.spill_dir`) while the others wait, and each bucket's\n")
		p("rows are read back into its one file when the step is staged. A partition is flushed early (`memory`\n")
		p("flushes, each of its buckets becoming a file) only when it cannot spill. More files per partition and hour\n")
		p("than 1 means such early cuts. One run, loader to the local filesystem, output verified like the runs above.\n\n")
		out := b.Run.Output
		p("| | |\n|---|---|\n")
		p("| records/s | %.0f (%.1f MB/s) |\n", b.Run.RecordsPerSec(), b.Run.MBPerSec())
		p("| wall, CPU | %s, %s (%.2f CPU s per M records, %.2f cores busy) |\n", b.Run.Wall.Round(time.Millisecond), b.Run.CPU.Round(10*time.Millisecond), b.Run.CPUPerMillion(), b.Run.CPU.Seconds()/b.Run.Wall.Seconds())
		p("| peak RSS | %.0f MiB |\n", rssMB(b.Run))
		p("| peak RSS ≤ 512 MiB | %s |\n", yesNo(b.Run.MaxRSS <= RSSTarget))
		pb := b.Options.Partitions * hours
		p("| files written | %d in %d bucket directories: %.2f per partition and hour (%d pairs; 1.00 is one file each, the fewest possible) |\n", out.Files, out.Buckets, float64(out.Files)/float64(pb), pb)
		p("| average file size | %.1f KB (%.1f MB in all) |\n", out.AvgFileBytes()/1e3, float64(out.FileBytes)/1e6)
		ls := b.Loader
		p("| flushes, by trigger | %s |\n", reasons(ls.Flushes))
		p("| flushes forced by memory (early cuts) | %d |\n", ls.Flushes["memory"])
		p("| spilled to local disk | %.1f MB in %d segments, at most %.1f MB at once |\n", ls.SpilledMB, ls.Spills, ls.PeakMB)
		p("| files under `rotation.min_file_bytes` (1 MiB), by cause (closed: the file's bucket had closed; else the cut that ended it while open) | %s |\n", reasons(ls.SmallFiles))
		p("| rows verified | %d, every offset exactly once |\n\n", out.Rows)
	}

	p("## What is measured\n\n")
	p("`kafka2hdfs-dev bench` runs every party as its own process, the kafka2hdfs binary again:\n\n")
	if rep.Broker.External {
		p("- **broker**: the external broker (see [Servers](#servers)). The bench creates a topic of its own there\n")
		p("  (sarama ClusterAdmin, replication 1), seeds it from the bench process with the bench's events (exactly\n")
		p("  the fields the schema below reads, every one on every event, ~200 bytes, padded to the message size with\n")
		p("  a `pad` field no column reads) through franz-go in 1 MiB\n")
		p("  batches (acks=1, not idempotent), and deletes it at the end.\n")
	} else {
		p("- **broker**: `kafka2hdfs dev-kafka` (an in-memory [kfake](https://pkg.go.dev/github.com/twmb/franz-go/pkg/kfake)\n")
		p("  broker), which seeds itself with the bench's events (`--seed-event bench`: exactly the fields the schema\n")
		p("  below reads, every one on every event, ~200 bytes, padded to the message size with a `pad` field no\n")
		p("  column reads) through franz-go in 1 MiB batches, then serves until stopped.\n")
	}
	p("- **ceiling**: `kafka2hdfs-dev bench-consume`, an IBM/sarama consumer group (fresh group id each run) reading\n")
	p("  every partition from the oldest offset to the high watermark and discarding the messages. It uses the\n")
	p("  sarama settings the loader uses with a default `kafka` section: %s.\n", rep.Sarama)
	p("- **loader → local fs**: `kafka2hdfs batch` with the config below, a fresh group and a fresh output root\n")
	p("  each run, exactly-once commit protocol on (the default; there is no way to turn it off).\n")
	if rep.HDFS.External {
		p("- **%s**: the same, into a fresh directory `hdfs://%s/kafka2hdfs-bench-<unique>` on the external\n", PartyExternalHDFS, rep.HDFS.NameNode)
		p("  HDFS (see [Servers](#servers)) per run, with the NameNode's default block size and replication; read\n")
		p("  back through the HDFS client, then removed.\n\n")
	} else if o.HDFS {
		p("- **loader → test HDFS**: the same, into `hdfs://…/bench` on a fresh `kafka2hdfs dev-hdfs` process\n")
		p("  (in-memory NameNode and DataNode, 128 MiB blocks) per run; read back through the HDFS client.\n\n")
	} else {
		p("\n")
	}
	p("After each loader run the output is read back with internal/verify (apache/arrow-go, not the parquet-go\n")
	p("the loader writes with), decoding every column of every file: every produced offset must be in exactly\n")
	p("one data file, no dead letters, no staging leftovers, rows = records. A failed check fails the benchmark.\n")
	p("Verification is not timed.\n\n")
	p("Loader config (broker, group and root filled in per run):\n\n```yaml\n%s```\n\n", rep.LoaderConfig)
	if b := rep.Buckets; b != nil {
		p("Many-buckets config:\n\n```yaml\n%s```\n\n", b.Config)
	}
	p("## Reproduce\n\n")
	if real {
		p("```sh\nscripts/bench-real.sh --records 300000 --repeats 3 --buckets-records 0   # real-env up, bench, real-env down\n")
		p("# or by hand, against servers of your own:\n")
		p("kafka2hdfs-dev bench --brokers HOST:PORT --hdfs-namenode HOST:PORT \\\n")
		p("    --brokers-desc 'Apache Kafka ...' --hdfs-desc 'Apache HDFS ...' --out /tmp/perf-real.md\n```\n\n")
		p("Needs Java 17+ and Maven for scripts/real-env.sh (see its header). Results vary with the machine and\n")
		p("with what else runs on it; compare runs on one machine, and the ratio to the ceiling across machines.\n")
		return
	}
	p("```sh\nscripts/bench.sh                      # builds the binary, runs the defaults, writes docs/performance.md\n")
	p("go run ./cmd/kafka2hdfs-dev bench --help   # sizes, partitions, repeats, parties, profiles\n")
	p("kafka2hdfs-dev bench --records 200000 --repeats 1 --out /tmp/perf.md   # a quick look\n")
	p("kafka2hdfs-dev bench --cpuprofile-dir /tmp/prof && go tool pprof -top /tmp/prof/local-1.pprof\n```\n\n")
	p("The defaults (1M × 1 KB over 8 partitions, 3 repeats of 3 parties, the two further cases, the same 1M events\n")
	p("as JSON and as Avro (`--avro`), then %d records in the many-buckets scenario) take about as long as shown\n", Defaults().Buckets.Records)
	p("under *took* above. `go test ./cmd/kafka2hdfs-dev -run TestBenchSmoke`\n")
	p("runs a tiny version (CI does), checking that the machinery works and that verification fails on a\n")
	p("broken output. Results vary with the machine and with what else runs on it; compare runs on one machine,\n")
	p("and the ratio to the ceiling across machines.\n")
}

// servers writes the Servers section of a run against external servers.
func (rep *Report) servers(p func(string, ...any)) {
	br, h := rep.Broker, rep.HDFS
	p("## Servers\n\n")
	p("| | |\n|---|---|\n")
	if br.External {
		desc := br.Desc
		if desc == "" {
			desc = "an external broker (no --brokers-desc given)"
		}
		p("| Source | %s at %s |\n", desc, strings.Join(br.Addrs, ", "))
		p("| broker release, guessed from its API versions (franz-go kversion) | %s |\n", br.APIGuess)
		p("| topic | `%s`: %d partitions, replication 1, created and seeded by the bench, deleted after |\n", br.Topic, rep.Seed.Partitions)
		p("| group coordinator | ready %s after the first FindCoordinator, before any measured run (a fresh broker creates `__consumer_offsets` then) |\n",
			br.CoordinatorWait.Round(time.Millisecond))
		p("| broker CPU | not measured (an external process) |\n")
	} else {
		p("| Source | kfake in a `kafka2hdfs dev-kafka` process, as in [performance.md](performance.md) |\n")
	}
	switch {
	case h.External:
		desc := h.Desc
		if desc == "" {
			desc = "an external HDFS (no --hdfs-desc given)"
		}
		p("| HDFS sink | %s, NameNode at %s |\n", desc, h.NameNode)
		if h.ReplicationMax > 0 {
			rf := fmt.Sprint(h.ReplicationMin)
			if h.ReplicationMin != h.ReplicationMax {
				rf = fmt.Sprintf("%d–%d", h.ReplicationMin, h.ReplicationMax)
			}
			p("| replication of the loader's files, as the NameNode lists them | %s |\n", rf)
		}
	case rep.Options.HDFS:
		p("| HDFS sink | a `kafka2hdfs dev-hdfs` process per run, as in [performance.md](performance.md) |\n")
	}
	p("\n")
}

func (rep *Report) loaderRSSOK() bool {
	for _, pt := range rep.Parties {
		if pt.Name == PartyCeiling {
			continue
		}
		for _, r := range pt.Runs {
			if r.MaxRSS > RSSTarget {
				return false
			}
		}
	}
	return true
}

func (rep *Report) commandLine() string {
	if rep.Options.Command != "" {
		return rep.Options.Command
	}
	return "kafka2hdfs bench"
}

// reasons formats counts by flush reason for the report, or "none".
func reasons(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	return consumer.FormatCounts(m)
}
