package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/parquet-go/parquet-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

var ctx = context.Background()

const (
	topic = "clicks"
	group = "g1"
)

var (
	p0 = offsets.TP{Topic: topic, Partition: 0}
	p1 = offsets.TP{Topic: topic, Partition: 1}
	// Bucket directories steps write to; a record goes to buckets[offset % len].
	hour13 = "dt=2026-11-22/hour=13"
	hour14 = "dt=2026-11-22/hour=14"
)

// committer is an offsets.Committer that keeps commits in memory and, with a Kafka client, also
// commits them to the group (as simple commits, generation -1, which an empty group accepts).
type committer struct {
	mu        sync.Mutex
	committed map[offsets.TP]offsets.Committed
	kafka     *kafkaEnv
	// lose, when it returns true, makes a commit happen and then report failure, as when the
	// coordinator's answer is lost: the protocol stops there.
	lose func(offset int64, md string) bool
	// drop, when it returns true, makes a commit fail without happening, as when the loader
	// crashes just before it.
	drop func(offset int64, md string) bool
}

func (c *committer) Commit(_ context.Context, tp offsets.TP, offset int64, md string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drop != nil && c.drop(offset, md) {
		return errors.New("crashed before the commit")
	}
	c.committed[tp] = offsets.Committed{Offset: offset, Metadata: md}
	if c.kafka != nil {
		if err := c.kafka.commit(group, tp, offset, md); err != nil {
			return err
		}
	}
	if c.lose != nil && c.lose(offset, md) {
		return errors.New("answer lost")
	}
	return nil
}

func (c *committer) get(tp offsets.TP) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.committed[tp]; ok {
		return v.Offset
	}
	return 0
}

// fixture is an output root written by the real writer and commit protocol.
type fixture struct {
	t     *testing.T
	fs    storage.FS
	root  string
	proto *offsets.Protocol
	com   *committer
	wcfg  *writer.Config
	raw   *schema.Schema
	dead  *schema.Schema
	kafka *kafkaEnv
}

func newFixture(t *testing.T, fsys storage.FS, root string, k *kafkaEnv) *fixture {
	t.Helper()
	raw, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := schema.NewDeadLetter(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.MkdirAll(ctx, root); err != nil {
		t.Fatal(err)
	}
	paths := offsets.Paths{Root: root, Group: group}
	return &fixture{t: t, fs: fsys, root: root, raw: raw, dead: dead, kafka: k,
		proto: &offsets.Protocol{FS: fsys, Paths: paths},
		com:   &committer{committed: map[offsets.TP]offsets.Committed{}, kafka: k},
		wcfg:  &writer.Config{FS: fsys, Paths: paths, Budget: &writer.Budget{}, RowGroupBytes: 4 << 10},
	}
}

// step writes offsets [start, end] of tp as one flush: record o goes to buckets[o%len(buckets)],
// every o%40 == 7 to the dead letters instead, and filtered(o) records nowhere. It then takes
// the step through the commit protocol and returns the protocol's error.
func (f *fixture) step(tp offsets.TP, start, end int64, filtered func(int64) bool, buckets ...string) error {
	f.t.Helper()
	w := writer.NewPartition(f.wcfg, tp)
	defer w.Close()
	var row parquet.Row
	for o := start; o <= end; o++ {
		if filtered != nil && filtered(o) {
			continue
		}
		r := &record.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: o, Timestamp: time.UnixMilli(1_795_000_000_000 + o),
			Key: []byte(fmt.Sprint("k", o)), Value: []byte(fmt.Sprintf(`{"n":%d}`, o))}
		var dir string
		var err error
		if o%40 == 7 {
			dir = writer.ErrorDir(tp.Topic, "dt=2026-11-22")
			row, err = f.dead.AppendRaw(r, "not JSON", "schema", row)
			if err == nil {
				err = w.Write(ctx, dir, f.dead, row)
			}
		} else {
			dir = writer.DataDir(tp.Topic, buckets[o%int64(len(buckets))])
			row, err = f.raw.AppendRaw(r, "", "", row)
			if err == nil {
				err = w.Write(ctx, dir, f.raw, row)
			}
		}
		if err != nil {
			f.t.Fatal(err)
		}
	}
	files, err := w.Stage(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.proto.Commit(ctx, f.com, f.com.get(tp), offsets.Step{TP: tp, Start: start, End: end, Files: files})
}

func (f *fixture) mustStep(tp offsets.TP, start, end int64, buckets ...string) {
	f.t.Helper()
	if err := f.step(tp, start, end, nil, buckets...); err != nil {
		f.t.Fatal(err)
	}
}

// base writes the output every case starts from: clicks/0 with steps [0,99] (two buckets),
// [100,199] (one) and [200,299] (two), clicks/1 with [0,149] and [150,249]; each partition is
// committed up to its end.
func (f *fixture) base() {
	f.t.Helper()
	f.mustStep(p0, 0, 99, hour13, hour14)
	f.mustStep(p0, 100, 199, hour13)
	f.mustStep(p0, 200, 299, hour13, hour14)
	f.mustStep(p1, 0, 149, hour13, hour14)
	f.mustStep(p1, 150, 249, hour14)
}

// file is the root-relative path of a final data file of tp.
func file(tp offsets.TP, bucket string, start, end int64) string {
	return path.Join(tp.Topic, bucket, offsets.FileName(tp, start, end))
}

func (f *fixture) abs(rel string) string { return path.Join(f.root, rel) }

func (f *fixture) read(rel string) []byte {
	f.t.Helper()
	r, err := f.fs.Open(ctx, f.abs(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) write(rel string, b []byte) {
	f.t.Helper()
	if err := f.fs.MkdirAll(ctx, path.Dir(f.abs(rel))); err != nil {
		f.t.Fatal(err)
	}
	_ = f.fs.Remove(ctx, f.abs(rel))
	w, err := f.fs.Create(ctx, f.abs(rel))
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		f.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) remove(rel string) {
	f.t.Helper()
	if err := f.fs.Remove(ctx, f.abs(rel)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) move(from, to string) {
	f.t.Helper()
	f.write(to, f.read(from))
	f.remove(from)
}

func (f *fixture) audit(deep bool) *audit.Report {
	f.t.Helper()
	o := audit.Options{FS: f.fs, Root: f.root, Deep: deep}
	if f.kafka != nil {
		o.Client, o.Config, o.Group = f.kafka.client, f.kafka.cfg, group
	}
	rep, err := audit.Run(ctx, o)
	if err != nil {
		f.t.Fatalf("audit: %v", err)
	}
	if deep {
		// The release binary reads with parquet-go, the dev binary with arrow-go: both must find
		// the same problems, counts and rows in every case.
		o.Reader = verify.AuditReader{}
		indep, err := audit.Run(ctx, o)
		if err != nil {
			f.t.Fatalf("audit with %s: %v", o.Reader.Name(), err)
		}
		if rep.Reader != "parquet-go" || indep.Reader != "apache/arrow-go" {
			f.t.Errorf("readers %q and %q, want parquet-go and apache/arrow-go", rep.Reader, indep.Reader)
		}
		a, b := *rep, *indep
		a.Reader, b.Reader = "", ""
		// Why a file does not read back is each library's own wording.
		a.Problems, b.Problems = withoutReaderWords(a.Problems), withoutReaderWords(b.Problems)
		if !reflect.DeepEqual(a, b) {
			f.t.Errorf("the two readers disagree:\nparquet-go:      %+v\napache/arrow-go: %+v", a, b)
		}
	}
	return rep
}

// withoutReaderWords copies ps with the reader's own error text cut from unreadable files' details.
func withoutReaderWords(ps []audit.Problem) []audit.Problem {
	out := slices.Clone(ps)
	for i, p := range out {
		if p.Kind == audit.KindUnreadable {
			out[i].Detail, _, _ = strings.Cut(p.Detail, "):")
		}
	}
	return out
}

// kafkaEnv is a kfake cluster with topic clicks (2 partitions) and a sarama client.
type kafkaEnv struct {
	cluster *kfake.Cluster
	client  sarama.Client
	cfg     *sarama.Config
}

func newKafka(t *testing.T) *kafkaEnv {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Metadata.AllowAutoTopicCreation = false
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	cl, err := sarama.NewClient(c.ListenAddrs(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return &kafkaEnv{cluster: c, client: cl, cfg: cfg}
}

// produce appends n records to tp.
func (k *kafkaEnv) produce(t *testing.T, tp offsets.TP, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.cluster.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: tp.Topic, Partition: tp.Partition, Value: []byte("v")}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// commit commits offset and metadata for tp as a simple (generation -1) commit.
func (k *kafkaEnv) commit(g string, tp offsets.TP, offset int64, md string) error {
	coord, err := k.client.Coordinator(g)
	if err != nil {
		return err
	}
	req := sarama.NewOffsetCommitRequest(k.cfg, g)
	req.AddBlockWithLeaderEpoch(tp.Topic, tp.Partition, offset, -1, 0, md)
	resp, err := coord.CommitOffset(req)
	if err != nil {
		return err
	}
	if kerr := resp.Errors[tp.Topic][tp.Partition]; kerr != sarama.ErrNoError {
		return fmt.Errorf("commit %s: %w", tp, kerr)
	}
	return nil
}

func kinds(ps []audit.Problem) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Kind) {
			out = append(out, p.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func describe(rep *audit.Report) string {
	var b bytes.Buffer
	_ = rep.WriteTable(&b)
	return b.String()
}

func partition(t *testing.T, rep *audit.Report, tp offsets.TP) audit.Partition {
	t.Helper()
	for _, p := range rep.Partitions {
		if p.Topic == tp.Topic && p.Partition == tp.Partition {
			return p
		}
	}
	t.Fatalf("no partition %s in the report:\n%s", tp, describe(rep))
	return audit.Partition{}
}

// A clean output, checked by names, deeply, and against Kafka.
func TestClean(t *testing.T) {
	k := newKafka(t)
	k.produce(t, p0, 300)
	k.produce(t, p1, 250)
	f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), k)
	f.base()
	rep := f.audit(true)
	if !rep.Clean() || len(rep.Warnings) > 0 || len(rep.Staging) > 0 {
		t.Fatalf("clean output is not clean:\n%s", describe(rep))
	}
	got := partition(t, rep, p0)
	// 300 offsets: 8 dead letters (o%40 == 7), 292 rows; 5 data files (2+1+2), 3 dead-letter files.
	want := audit.Partition{Topic: topic, Partition: 0, Files: 5, DeadLetterFiles: 3, Steps: 3, First: 0, Last: 299, Bytes: got.Bytes,
		Rows: 292, DeadLetterRows: 8, Committed: 300, LogStart: 0, LogEnd: 300, LagRecords: 0}
	if got != want {
		t.Errorf("clicks/0 = %+v\nwant       %+v", got, want)
	}
	if p := partition(t, rep, p1); p.Steps != 2 || p.First != 0 || p.Last != 249 || p.Rows+p.DeadLetterRows != 250 || p.Committed != 250 {
		t.Errorf("clicks/1 = %+v", p)
	}
	if rep.Files != 8 || rep.DeadLetterFiles != 5 {
		t.Errorf("totals: %d files, %d dead-letter files; want 8, 5", rep.Files, rep.DeadLetterFiles)
	}
	// Files only: the same, without Kafka columns.
	f.kafka = nil
	rep = f.audit(false)
	if !rep.Clean() || len(rep.Warnings) > 0 {
		t.Fatalf("clean output is not clean without Kafka:\n%s", describe(rep))
	}
	if p := partition(t, rep, p0); p.Rows != -1 || p.Committed != -1 || p.LogEnd != -1 || p.LagRecords != -1 || p.Steps != 3 {
		t.Errorf("files-only clicks/0 = %+v", p)
	}
}

// Every defect planted in the files is caught with its kind.
func TestFileDefects(t *testing.T) {
	for _, tc := range []struct {
		name      string
		deep      bool
		plant     func(f *fixture)
		problems  []string // the exact set of problem kinds
		detail    string   // in some problem's detail
		warnings  []string
		staging   int
		noProblem bool
	}{
		{name: "gap: one step's files deleted", problems: []string{"gap"}, detail: "offsets [100, 199] (100) are in no file", plant: func(f *fixture) {
			f.remove(file(p0, hour13, 100, 199))
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
		}},
		{name: "one file of a two-file step deleted, names only: not seen", plant: func(f *fixture) {
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
		}},
		{name: "one file of a two-file step deleted, deep: step files", deep: true, problems: []string{"step-files"}, detail: "was written as 2 files, 1 found", plant: func(f *fixture) {
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
		}},
		{name: "overlap: a file copied to an overlapping range", problems: []string{"overlap"}, detail: "step [50, 149] overlaps step [0, 99]", plant: func(f *fixture) {
			f.write(file(p0, hour13, 50, 149), f.read(file(p0, hour13, 0, 99)))
		}},
		{name: "truncated file, names only: not seen", plant: func(f *fixture) {
			b := f.read(file(p0, hour13, 100, 199))
			f.write(file(p0, hour13, 100, 199), b[:len(b)/2])
		}},
		{name: "truncated file, deep: unreadable", deep: true, problems: []string{"unreadable"}, plant: func(f *fixture) {
			b := f.read(file(p0, hour13, 100, 199))
			f.write(file(p0, hour13, 100, 199), b[:len(b)/2])
		}},
		{name: "corrupt footer, deep: unreadable", deep: true, problems: []string{"unreadable"}, plant: func(f *fixture) {
			b := f.read(file(p1, hour14, 150, 249))
			for i := len(b) - 40; i < len(b)-8; i++ {
				b[i] ^= 0x5a
			}
			f.write(file(p1, hour14, 150, 249), b)
		}},
		{name: "empty file: unreadable by size", problems: []string{"unreadable"}, detail: "0 bytes", plant: func(f *fixture) {
			f.write(file(p0, hour13, 100, 199), nil)
		}},
		{name: "file renamed to the next range, names only: tiles", plant: func(f *fixture) {
			f.move(file(p1, hour14, 150, 249), file(p1, hour14, 250, 349))
		}},
		{name: "file renamed to the next range, deep: offsets out of range", deep: true, problems: []string{"offset-out-of-range", "step-files"}, detail: "outside the name's range [250, 349]", plant: func(f *fixture) {
			f.move(file(p1, hour14, 150, 249), file(p1, hour14, 250, 349))
		}},
		{name: "file of another partition's rows, deep: row mismatch", deep: true, problems: []string{"row-mismatch", "step-files"}, detail: "another topic-partition than the name's clicks/2", plant: func(f *fixture) {
			f.write(file(offsets.TP{Topic: topic, Partition: 2}, hour13, 0, 99), f.read(file(p0, hour13, 0, 99)))
		}},
		{name: "file copied to another bucket, deep: duplicate offsets", deep: true, problems: []string{"duplicate-offset", "step-files"}, detail: "in more than one row of step [0, 99]", plant: func(f *fixture) {
			f.write(file(p0, "dt=2026-11-22/hour=15", 0, 99), f.read(file(p0, hour13, 0, 99)))
		}},
		{name: "file under the wrong topic", problems: []string{"misplaced"}, detail: "is under orders/", plant: func(f *fixture) {
			f.move(file(p0, hour14, 0, 99), path.Join("orders", hour14, offsets.FileName(p0, 0, 99)))
		}},
		{name: "file moved to the wrong topic leaves a gap", problems: []string{"gap", "misplaced"}, plant: func(f *fixture) {
			f.move(file(p0, hour13, 100, 199), path.Join("orders", hour13, offsets.FileName(p0, 100, 199)))
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
		}},
		{name: "file in the root", problems: []string{"misplaced"}, detail: "outside its topic's directory", plant: func(f *fixture) {
			f.write(offsets.FileName(p0, 0, 99), f.read(file(p0, hour13, 0, 99)))
		}},
		{name: "bad names", problems: []string{"bad-name"}, plant: func(f *fixture) {
			f.write(path.Join(topic, hour13, "part-00001.parquet"), []byte("PAR1....PAR1"))
			f.write(path.Join(topic, hour13, "clicks+0+99+199.parquet"), []byte("PAR1....PAR1"))
		}},
		{name: "hidden and marker files are skipped", plant: func(f *fixture) {
			f.write(path.Join(topic, hour13, "."+offsets.FileName(p0, 0, 99)+".crc"), []byte("crc"))
			f.write(path.Join(topic, hour13, "_SUCCESS"), nil)
			f.write(path.Join(topic, hour13, "_manifest.json"), []byte("{}"))
			f.write(path.Join(topic, hour13, "._manifest.json.0123.tmp"), []byte("{"))
			f.write(".marker", nil)
		}},
		{name: "late records under _late are files of their steps, deep: clean", deep: true, plant: func(f *fixture) {
			f.move(file(p1, hour14, 150, 249), path.Join(offsets.LateDir, topic, hour14, offsets.FileName(p1, 150, 249)))
		}},
		{name: "late file under another topic in _late: misplaced", problems: []string{"misplaced"}, detail: "is under _late/orders/", plant: func(f *fixture) {
			f.move(file(p1, hour14, 150, 249), path.Join(offsets.LateDir, "orders", hour14, offsets.FileName(p1, 150, 249)))
		}},
		{name: "stray file in the root: warning", warnings: []string{"stray-file"}, plant: func(f *fixture) {
			f.write("README.txt", []byte("hello"))
		}},
		{name: "staging leftovers: warning", warnings: []string{"staging"}, staging: 2, plant: func(f *fixture) {
			f.write(path.Join("_staging", group, topic, "0", "0123456789abcdef01234567.parquet"), []byte("half a file"))
			f.write(path.Join("_staging", group, topic, "1", "89abcdef0123456701234567.parquet"), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), nil)
			f.base()
			tc.plant(f)
			rep := f.audit(tc.deep)
			checkReport(t, rep, tc.problems, tc.warnings, tc.detail)
			if len(rep.Staging) != tc.staging {
				t.Errorf("staging = %q, want %d files", rep.Staging, tc.staging)
			}
		})
	}
}

func checkReport(t *testing.T, rep *audit.Report, problems, warnings []string, detail string) {
	t.Helper()
	slices.Sort(problems)
	slices.Sort(warnings)
	if got := kinds(rep.Problems); !slices.Equal(got, problems) {
		t.Errorf("problem kinds = %q, want %q:\n%s", got, problems, describe(rep))
	}
	if got := kinds(rep.Warnings); !slices.Equal(got, warnings) {
		t.Errorf("warning kinds = %q, want %q:\n%s", got, warnings, describe(rep))
	}
	if rep.Clean() != (len(problems) == 0) {
		t.Errorf("Clean() = %v with problems %q", rep.Clean(), kinds(rep.Problems))
	}
	if detail != "" && !slices.ContainsFunc(append(rep.Problems, rep.Warnings...), func(p audit.Problem) bool { return strings.Contains(p.Detail, detail) }) {
		t.Errorf("no problem or warning says %q:\n%s", detail, describe(rep))
	}
}

// Files compared with the group's commits and the log.
func TestKafkaDefects(t *testing.T) {
	dropFinal := func(_ int64, md string) bool { return md == "" }
	losePrepare := func(_ int64, md string) bool {
		return strings.HasPrefix(md, "k2h1 p=") || strings.HasPrefix(md, "k2h1 m=")
	}
	for _, tc := range []struct {
		name     string
		plant    func(t *testing.T, f *fixture)
		problems []string
		warnings []string
		detail   string
		check    func(t *testing.T, rep *audit.Report)
	}{
		{name: "pending step, prepared, not published: warning", warnings: []string{"pending-step", "staging"}, plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			f.com.lose = losePrepare
			if err := f.step(p0, 300, 399, nil, hour13, hour14); err == nil {
				t.Fatal("the prepare's lost answer did not stop the step")
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			p := partition(t, rep, p0)
			if p.Pending != "[300, 399] 3 files: 0 published, 3 staged" || p.Committed != 300 || p.LagRecords != 0 || p.Last != 299 {
				t.Errorf("clicks/0 = %+v", p)
			}
			if len(rep.Staging) != 3 {
				t.Errorf("staging = %q, want the step's 3 files", rep.Staging)
			}
		}},
		{name: "pending step, published, final commit lost: warning", warnings: []string{"pending-step"}, plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			f.com.drop = dropFinal
			if err := f.step(p0, 300, 399, nil, hour13, hour14); err == nil {
				t.Fatal("the failed final commit did not stop the step")
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			if p := partition(t, rep, p0); p.Pending != "[300, 399] 3 files: 3 published, 0 staged" || p.Last != 399 || p.Committed != 300 {
				t.Errorf("clicks/0 = %+v", p)
			}
		}},
		{name: "pending step in a manifest: warning", warnings: []string{"pending-step", "staging"}, plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			f.proto.MaxMetadata = 20
			f.com.lose = losePrepare
			if err := f.step(p0, 300, 399, nil, hour13, hour14); err == nil {
				t.Fatal("the prepare's lost answer did not stop the step")
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			if p := partition(t, rep, p0); !strings.HasPrefix(p.Pending, "[300, 399] 3 files") || !strings.HasPrefix(p.Metadata, "k2h1 m=") {
				t.Errorf("clicks/0 = %+v", p)
			}
		}},
		{name: "pending step whose staged file is gone", problems: []string{"pending-step"}, warnings: []string{"staging"}, detail: "neither published nor staged", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			f.com.lose = losePrepare
			_ = f.step(p0, 300, 399, nil, hour13, hour14)
			dir := path.Join("_staging", group, topic, "0")
			entries, err := f.fs.ReadDir(ctx, f.abs(dir))
			if err != nil || len(entries) == 0 {
				t.Fatal(entries, err)
			}
			f.remove(path.Join(dir, entries[0].Name()))
		}},
		{name: "pending step whose manifest is gone", problems: []string{"pending-step"}, warnings: []string{"staging"}, detail: "which is missing", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			f.proto.MaxMetadata = 20
			f.com.lose = losePrepare
			_ = f.step(p0, 300, 399, nil, hour13, hour14)
			dir := path.Join("_staging", group, topic, "0")
			entries, _ := f.fs.ReadDir(ctx, f.abs(dir))
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".step.json") {
					f.remove(path.Join(dir, e.Name()))
				}
			}
		}},
		{name: "committed behind the files: beyond-commit", problems: []string{"beyond-commit"}, detail: "offsets [200, 299] (100) are in files, past the committed offset 200", plant: func(t *testing.T, f *fixture) {
			if err := f.kafka.commit(group, p0, 200, ""); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			if p := partition(t, rep, p0); p.LagRecords != 100 {
				t.Errorf("lag = %d, want 100", p.LagRecords)
			}
		}},
		{name: "committed past the files: behind-commit", problems: []string{"behind-commit"}, detail: "offsets [300, 349] (50) are committed (offset 350) but in no file", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			if err := f.kafka.commit(group, p0, 350, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "filtered tail (r=): clean", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 50)
			if err := f.step(p0, 300, 349, func(int64) bool { return true }); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			if p := partition(t, rep, p0); p.Committed != 350 || p.Metadata != "k2h1 r=300" || p.Last != 299 || p.LagRecords != 0 {
				t.Errorf("clicks/0 = %+v", p)
			}
		}},
		{name: "filtered tail, then a step named from its start: clean", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 100)
			if err := f.step(p0, 300, 349, func(int64) bool { return true }); err != nil {
				t.Fatal(err)
			}
			if err := f.step(p0, 300, 399, func(o int64) bool { return o < 350 }, hour14); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "r= past the files: behind-commit", problems: []string{"behind-commit"}, detail: "offsets [300, 319] (20) are committed", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 50)
			if err := f.kafka.commit(group, p0, 350, "k2h1 r=320"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "r= inside the files: beyond-commit", problems: []string{"beyond-commit"}, detail: "says the next file starts at 250", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p0, 50)
			if err := f.kafka.commit(group, p0, 350, "k2h1 r=250"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "retention deleted offsets not yet loaded", problems: []string{"lost-to-retention"}, detail: "offsets [250, 299] (50) were deleted by retention before they were loaded", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p1, 150)
			if err := f.kafka.cluster.DeleteRecords(topic, 1, 300); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, rep *audit.Report) {
			if p := partition(t, rep, p1); p.LogStart != 300 || p.LogEnd != 400 || p.LagRecords != 100 {
				t.Errorf("clicks/1 = %+v", p)
			}
		}},
		{name: "retention deleted offsets the loader then skipped", problems: []string{"lost-to-retention"}, detail: "offsets [250, 299] (50) are committed but in no file, and below the log start 300", plant: func(t *testing.T, f *fixture) {
			f.kafka.produce(t, p1, 150)
			if err := f.kafka.cluster.DeleteRecords(topic, 1, 300); err != nil {
				t.Fatal(err)
			}
			// What the loader's recovery commits after logging the loss.
			if err := f.kafka.commit(group, p1, 300, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "retention after loading: clean", plant: func(t *testing.T, f *fixture) {
			if err := f.kafka.cluster.DeleteRecords(topic, 0, 150); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "gap below the log start says it is lost", problems: []string{"gap"}, detail: "all below the log start 250", plant: func(t *testing.T, f *fixture) {
			f.remove(file(p0, hour13, 100, 199))
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
			if err := f.kafka.cluster.DeleteRecords(topic, 0, 250); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "files start after the log start: warning", warnings: []string{"not-from-log-start"}, detail: "offsets [0, 99] (100) are in no file", plant: func(t *testing.T, f *fixture) {
			f.remove(file(p0, hour13, 0, 99))
			f.remove(file(p0, hour14, 0, 99))
			f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 0, 99)))
		}},
		{name: "committed past the log end", problems: []string{"behind-commit", "past-log-end"}, detail: "past the log end 300", plant: func(t *testing.T, f *fixture) {
			if err := f.kafka.commit(group, p0, 1000, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "foreign commit metadata", problems: []string{"bad-metadata"}, plant: func(t *testing.T, f *fixture) {
			if err := f.kafka.commit(group, p1, 250, "hello"); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "partition of the files missing in Kafka: warning", warnings: []string{"not-in-kafka"}, plant: func(t *testing.T, f *fixture) {
			f.write(file(offsets.TP{Topic: topic, Partition: 7}, hour13, 0, 99), f.read(file(p0, hour13, 0, 99)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKafka(t)
			k.produce(t, p0, 300)
			k.produce(t, p1, 250)
			f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), k)
			f.base()
			tc.plant(t, f)
			f.com.lose, f.com.drop = nil, nil
			rep := f.audit(false)
			checkReport(t, rep, tc.problems, tc.warnings, tc.detail)
			if tc.check != nil {
				tc.check(t, rep)
			}
		})
	}
}

// A group that committed nothing: files are compared with the log only, with warnings.
func TestKafkaNoCommits(t *testing.T) {
	k := newKafka(t)
	k.produce(t, p0, 300)
	k.produce(t, p1, 250)
	f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), nil)
	f.base() // commits stay in memory
	f.kafka = k
	rep := f.audit(false)
	checkReport(t, rep, nil, []string{"no-commit"}, "resumes after the files, at 300")
	if p := partition(t, rep, p0); p.Committed != -1 || p.LagRecords != 0 {
		t.Errorf("clicks/0 = %+v", p)
	}
	// Without a group, only the log.
	rep, err := audit.Run(ctx, audit.Options{FS: f.fs, Root: f.root, Client: k.client})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, nil, nil, "")
	if p := partition(t, rep, p1); p.LogEnd != 250 || p.Committed != -1 {
		t.Errorf("clicks/1 = %+v", p)
	}
}

// Topics limits the audit; a partition of a listed topic with records and no files shows up.
func TestTopics(t *testing.T) {
	k := newKafka(t)
	k.produce(t, p0, 300)
	k.produce(t, p1, 250)
	f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), k)
	f.mustStep(p0, 0, 299, hour13)
	f.write(path.Join("orders", hour13, "junk.parquet"), []byte("x"))
	rep, err := audit.Run(ctx, audit.Options{FS: f.fs, Root: f.root, Client: k.client, Group: group, Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, nil, []string{"not-loaded"}, "offsets [0, 249] (250) are in the log")
	if len(rep.Partitions) != 2 {
		t.Errorf("partitions = %+v, want clicks/0 and clicks/1", rep.Partitions)
	}
	rep, err = audit.Run(ctx, audit.Options{FS: f.fs, Root: f.root, Client: k.client, Group: group, Topics: []string{"orders"}})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, []string{"bad-name"}, []string{"not-in-kafka"}, "")
}

// The report's JSON carries every field, and the table names what it found.
func TestOutput(t *testing.T) {
	f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), nil)
	f.base()
	f.remove(file(p0, hour13, 100, 199))
	f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
	f.write(path.Join("_staging", group, topic, "0", "x.parquet"), nil)
	rep := f.audit(true)
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back audit.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Partitions, rep.Partitions) || !slices.Equal(back.Problems, rep.Problems) || !slices.Equal(back.Staging, rep.Staging) {
		t.Errorf("JSON round trip differs:\n%s", b.String())
	}
	table := describe(rep)
	for _, want := range []string{"clicks  0", "0-299", "gap", "offsets [100, 199] (100) are in no file", "_staging/g1/clicks/0/x.parquet", "NOT CLEAN: 1 problem"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

// The same audit through the HDFS client, against the in-process HDFS.
func TestHDFS(t *testing.T) {
	c, err := hdfstest.Start(hdfstest.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	fsys, root, err := storage.Open("hdfs://"+c.NameNodeAddr()+"/warehouse", storage.HDFSOptions{User: "test", HadoopConfDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fsys.(io.Closer).Close() })
	f := newFixture(t, fsys, root, nil)
	f.base()
	rep := f.audit(true)
	checkReport(t, rep, nil, nil, "")
	if p := partition(t, rep, p0); p.Rows != 292 || p.DeadLetterRows != 8 || p.Steps != 3 {
		t.Errorf("clicks/0 over HDFS = %+v", p)
	}
	b := f.read(file(p1, hour14, 150, 249))
	f.write(file(p1, hour14, 150, 249), b[:len(b)-100])
	f.remove(file(p0, hour13, 100, 199))
	f.remove(path.Join("_errors", topic, "dt=2026-11-22", offsets.FileName(p0, 100, 199)))
	checkReport(t, f.audit(true), []string{"gap", "unreadable"}, nil, "offsets [100, 199] (100) are in no file")
}

// A root that is not there is an error of the audit, not a problem of the data.
func TestMissingRoot(t *testing.T) {
	_, err := audit.Run(ctx, audit.Options{FS: storage.Local{}, Root: filepath.ToSlash(filepath.Join(t.TempDir(), "nope"))})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

// hookFS runs hook once, when dir is first listed.
type hookFS struct {
	storage.FS
	once sync.Once
	dir  string
	hook func()
}

func (h *hookFS) ReadDir(ctx context.Context, dir string) ([]os.FileInfo, error) {
	if dir == h.dir {
		h.once.Do(h.hook)
	}
	return h.FS.ReadDir(ctx, dir)
}

// A group that commits while the audit walks the files: a disagreement counts only if it holds
// against the commits before and after the walk.
func TestMoving(t *testing.T) {
	for _, tc := range []struct {
		name             string
		before, after    int64
		problems, detail string
	}{
		{name: "committed past the files seen: no problem", before: 300, after: 400},
		{name: "behind the files both times: beyond-commit", before: 200, after: 250, problems: "beyond-commit", detail: "offsets [250, 299] (50) are in files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := newKafka(t)
			k.produce(t, p0, 400)
			k.produce(t, p1, 250)
			f := newFixture(t, storage.Local{}, filepath.ToSlash(t.TempDir()), k)
			f.base()
			if err := k.commit(group, p0, tc.before, ""); err != nil {
				t.Fatal(err)
			}
			h := &hookFS{FS: f.fs, dir: path.Join(f.root, topic), hook: func() {
				if err := k.commit(group, p0, tc.after, ""); err != nil {
					t.Error(err)
				}
			}}
			rep, err := audit.Run(ctx, audit.Options{FS: h, Root: f.root, Client: k.client, Group: group})
			if err != nil {
				t.Fatal(err)
			}
			var problems []string
			if tc.problems != "" {
				problems = []string{tc.problems}
			}
			checkReport(t, rep, problems, []string{"moving"}, tc.detail)
			if p := partition(t, rep, p0); p.Committed != tc.after {
				t.Errorf("committed = %d, want the later %d", p.Committed, tc.after)
			}
		})
	}
}
