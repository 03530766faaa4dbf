package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// The parties of the Avro comparison: the loader to the local filesystem on the same events as
// JSON and as Avro (schema registry format), with the same columns.
const (
	PartyJSON = "loader, json → local fs"
	PartyAvro = "loader, avro → local fs"
)

// DefaultAvro is the Avro comparison's shape: the main case's.
func DefaultAvro() Case { return Case{Records: 1_000_000, Size: 1024, Partitions: 8} }

// AvroReport is the result of the Avro comparison: the same events (same seed, same values, the
// same size on the wire) as JSON in one topic and as Avro in another, loaded with the same columns
// by two parties measured interleaved.
type AvroReport struct {
	Case               Case
	SeedJSON, SeedAvro SeedReport
	Parties            []Party
	// Config is the Avro party's loader config (the JSON party's is the main one).
	Config string
}

// Ratio is the Avro party's median records/s over the JSON party's, with the range of the
// per-repeat ratios (repeat r of Avro over repeat r of JSON, run back to back).
func (a *AvroReport) Ratio() (stat, bool) {
	if len(a.Parties) != 2 || len(a.Parties[0].Runs) != len(a.Parties[1].Runs) || len(a.Parties[0].Runs) == 0 {
		return stat{}, false
	}
	j, av := a.Parties[0].Runs, a.Parties[1].Runs
	per := make([]float64, len(j))
	for i := range j {
		per[i] = av[i].RecordsPerSec() / j[i].RecordsPerSec()
	}
	s := statVals(per)
	s.med = statOf(av, rate).med / statOf(j, rate).med
	return s, true
}

// avroTopic is the topic dev-kafka seeds with the Avro events.
func (b *bench) avroTopic() string { return b.opts.Topic + "-avro" }

// avroCompare seeds a dev-kafka process with Options.Avro's events as JSON (Options.Topic) and as
// Avro (Options.Topic-avro, the schema in dev-kafka's embedded registry) and measures the loader
// on each, interleaved.
func (b *bench) avroCompare(ctx context.Context, sc *sarama.Config) error {
	o, c := b.opts, b.opts.Avro
	b.logf("avro comparison: seeding %d records of %d bytes over %d partitions as JSON and as Avro...", c.Records, c.Size, c.Partitions)
	addr, err := b.listenAddr()
	if err != nil {
		return err
	}
	srv, vals, err := b.startServer(ctx, "broker", o.Timeout, []string{"broker:", "seeded:", "registry:", "seeded-avro:"},
		"dev-kafka", "--addr", addr, "--topic", o.Topic, "--seed-avro-topic", b.avroTopic(), "--seed-event", EventBench,
		"--partitions", strconv.Itoa(c.Partitions), "--seed-records", strconv.Itoa(c.Records),
		"--seed-size", strconv.Itoa(c.Size), "--seed-span", o.Span.String(),
		"--seed-compression", o.Compression, "--log-level", "warn")
	if err != nil {
		return err
	}
	b.broker, b.brokers = srv, []string{vals[0]}
	defer b.stopBroker()
	rep := &AvroReport{Case: c}
	for i, v := range []string{vals[1], vals[3]} {
		var s Seeded
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return fmt.Errorf("broker's seeded line %q: %w", v, err)
		}
		seed := SeedReport{Records: s.Records, Bytes: s.Bytes, Partitions: c.Partitions, Took: s.Elapsed}
		if i == 0 {
			rep.SeedJSON = seed
		} else {
			rep.SeedAvro = seed
		}
	}
	registry := vals[2]
	b.logf("seeded %d JSON and %d Avro records (%.1f and %.1f MB); registry at %s", rep.SeedJSON.Records, rep.SeedAvro.Records,
		float64(rep.SeedJSON.Bytes)/1e6, float64(rep.SeedAvro.Bytes)/1e6, registry)
	wantJSON, err := Watermarks(ctx, b.brokers, o.Topic, sc)
	if err != nil {
		return err
	}
	wantAvro, err := Watermarks(ctx, b.brokers, b.avroTopic(), sc)
	if err != nil {
		return err
	}
	if err := b.warmUp(ctx, o.Topic, b.benchConfig(o.Topic)); err != nil {
		return err
	}
	rep.Config = avroLoaderConfig([]string{"<broker>"}, b.avroTopic(), "<group>", "<root>", "<registry>")
	runs := make([][]Result, 2)
	for r := 1; r <= o.Repeats; r++ {
		for i, p := range []string{PartyJSON, PartyAvro} {
			b.logf("repeat %d/%d: %s", r, o.Repeats, p)
			name := fmt.Sprintf("json-%d", r)
			topic, seed, want := o.Topic, rep.SeedJSON, wantJSON
			if p == PartyAvro {
				name, topic, seed, want = fmt.Sprintf("avro-%d", r), b.avroTopic(), rep.SeedAvro, wantAvro
			}
			root := filepath.Join(o.WorkDir, "out-"+name)
			group := fmt.Sprintf("bench-%s-%d", name, time.Now().UnixNano())
			cfg := LoaderConfig(b.brokers, topic, group, root, defaultLateness, "")
			if p == PartyAvro {
				cfg = avroLoaderConfig(b.brokers, topic, group, root, registry)
			}
			run, err := b.measureLoader(ctx, name, cfg, root, seed, want)
			if err != nil {
				return fmt.Errorf("avro comparison, %s, repeat %d: %w", p, r, err)
			}
			b.logf("    %.0f records/s, %.2f CPU s per M records, peak RSS %.0f MiB%s", run.RecordsPerSec(), run.CPUPerMillion(), rssMB(run), verifiedNote(run))
			runs[i] = append(runs[i], run)
		}
	}
	rep.Parties = []Party{{Name: PartyJSON, Runs: runs[0]}, {Name: PartyAvro, Runs: runs[1]}}
	b.rep.Avro = rep
	return nil
}

// measureLoader runs one loader batch with config cfg into the local root and verifies it.
func (b *bench) measureLoader(ctx context.Context, name, cfg, root string, seed SeedReport, want map[verify.TP]int64) (Result, error) {
	if err := os.RemoveAll(root); err != nil {
		return Result{}, err
	}
	path, err := b.writeConfig(name, cfg)
	if err != nil {
		return Result{}, err
	}
	cpu0 := b.brokerCPU()
	_, u, err := b.measure(ctx, "loader", b.loaderArgs(path, name)...)
	if err != nil {
		return Result{}, err
	}
	run := Result{Usage: u, Records: seed.Records, Bytes: seed.Bytes, BrokerCPU: b.brokerCPU() - cpu0}
	out, err := Verify(ctx, storage.Local{}, filepath.ToSlash(root), want)
	if err != nil {
		return run, err
	}
	run.Output = &out
	return run, b.remove(root)
}

// avroLoaderConfig is LoaderConfig for the Avro topic: the same columns, partitioner and
// settings, format avro with the registry at url, and the timestamp interceptor reading ts as the
// epoch milliseconds a timestamp-millis decodes to.
func avroLoaderConfig(brokers []string, topic, group, root, url string) string {
	return loaderConfig(brokers, topic, group, root, defaultLateness, fmt.Sprintf("schema_registry:\n  url: %s\n", url), "avro", "epoch_millis")
}

// avroMarkdown writes the Avro comparison's section.
func (rep *Report) avroMarkdown(p func(string, ...any)) {
	a := rep.Avro
	if a == nil {
		return
	}
	p("## Avro beside JSON\n\n")
	p("The same %d bench events (same seed: the same values) over %d partitions, once as JSON (%.0f bytes per record on\n", a.Case.Records, a.Case.Partitions, float64(a.SeedJSON.Bytes)/float64(max(a.SeedJSON.Records, 1)))
	p("average) and once as Avro in the Confluent wire format (%.0f bytes per record; the schema below, in the\n", float64(a.SeedAvro.Bytes)/float64(max(a.SeedAvro.Records, 1)))
	p("embedded registry of `dev-kafka --seed-avro-topic`), both padded to %d bytes with a `pad` field no column\n", a.Case.Size)
	p("reads; loaded to the local filesystem with the same 9 columns (`format: avro` with the `schema:` list of the\n")
	p("JSON config), each run verified like the runs above. %d interleaved repeat(s) (JSON, Avro, JSON, ...);\n", rep.Options.Repeats)
	p("medians with (min–max).\n\n")
	p("| party | records/s | MB/s | CPU µs per record | peak RSS (MiB) | output verified |\n|---|---|---|---|---|---|\n")
	for i := range a.Parties {
		pt := &a.Parties[i]
		ver := "—"
		if len(pt.Runs) > 0 && pt.Runs[0].Output != nil {
			ver = fmt.Sprintf("%d/%d runs: every offset once, %d files", len(pt.Runs), len(pt.Runs), pt.Runs[0].Output.Files)
		}
		p("| %s | %s | %s | %s | %s | %s |\n", pt.Name, statOf(pt.Runs, rate).format("%.0f"), statOf(pt.Runs, mbps).format("%.1f"),
			statOf(pt.Runs, cpuM).format("%.2f"), statOf(pt.Runs, rssMB).format("%.0f"), ver)
	}
	if s, ok := a.Ratio(); ok {
		p("\n**Avro / JSON records/s: %.2f×** (per-repeat ratios %.2f–%.2f); the issue's goal is ≥ 1.00×: %s.\n\n", s.med, s.lo, s.hi, yesNo(s.med >= 1))
	}
	p("Avro schema:\n\n```json\n%s\n```\n\nAvro loader config (broker, group, root and registry filled in per run):\n\n```yaml\n%s```\n\n", AvroSchema, a.Config)
}
