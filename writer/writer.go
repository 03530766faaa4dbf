// Package writer writes Parquet files for one topic-partition between two commits: one staging file
// per bucket directory, fed row by row, closed together when the partition flushes. It knows
// nothing about Kafka; the offsets package decides when staged files become visible.
//
// Memory is the writer's main risk: every open file buffers a row group. A Budget shared by all
// partitions of a process bounds buffered bytes and open files; the consumer flushes the partition
// the Budget points at when it is exceeded.
package writer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Config is shared by every partition of a run.
type Config struct {
	FS    storage.FS
	Paths offsets.Paths
	// RowGroupBytes ends a row group when its buffered (uncompressed) size reaches it, which is
	// what bounds one open file's memory. Default: 8 MiB.
	RowGroupBytes int64
	// Budget is shared by all partitions of the process; it must be set.
	Budget *Budget
	Log    *slog.Logger
	// CreatedBy is written into every file's footer.
	CreatedBy string
}

func (c *Config) rowGroupBytes() int64 {
	if c.RowGroupBytes > 0 {
		return c.RowGroupBytes
	}
	return 8 << 20
}

// Partition holds one topic-partition's open files. It is not safe for concurrent use: the
// partition's pipeline goroutine owns it. The Budget reads its size concurrently through atomics.
type Partition struct {
	cfg   *Config
	tp    offsets.TP
	files map[string]*openFile // by final directory
	order []*openFile          // in open order, for repeatable step metadata
	acct  *account
}

type openFile struct {
	dir     string
	id      string
	staging string
	f       storage.File
	cw      *countingWriter
	pw      *parquet.GenericWriter[any]
	rows    int64
	// rgRows and rgBytes describe the current row group, to end it at RowGroupBytes.
	rgBytes int64
}

// NewPartition starts an empty partition writer.
func NewPartition(cfg *Config, tp offsets.TP) *Partition {
	p := &Partition{cfg: cfg, tp: tp, files: map[string]*openFile{}}
	p.acct = cfg.Budget.register(tp)
	return p
}

// Close unregisters the partition from the budget; open files must have been staged or aborted.
func (p *Partition) Close() { p.cfg.Budget.unregister(p.acct) }

// OpenFiles is the number of open staging files.
func (p *Partition) OpenFiles() int { return len(p.order) }

// Buffered is the estimated number of bytes the partition holds in memory.
func (p *Partition) Buffered() int64 { return p.acct.bytes.Load() }

// FlushRequested is signalled when the Budget wants this partition to flush.
func (p *Partition) FlushRequested() <-chan struct{} { return p.acct.flush }

// Write appends one row to the file of dir (root-relative, e.g. "clicks/dt=2026-11-22/hour=13"),
// opening it with s's schema if needed. inBytes is the record's input size, for the budget.
func (p *Partition) Write(ctx context.Context, dir string, s *schema.Schema, row parquet.Row) error {
	of := p.files[dir]
	if of == nil {
		var err error
		if of, err = p.open(ctx, dir, s); err != nil {
			return err
		}
	}
	if _, err := of.pw.WriteRows([]parquet.Row{row}); err != nil {
		return fmt.Errorf("write %s: %w", of.staging, err)
	}
	of.rows++
	// A row's buffered cost is close to its values' sizes; parquet-go's own estimate walks every
	// column, too slow to ask per row.
	n := rowSize(row)
	of.rgBytes += n
	p.acct.add(n)
	if of.rgBytes >= p.cfg.rowGroupBytes() {
		if err := of.pw.Flush(); err != nil {
			return fmt.Errorf("flush row group of %s: %w", of.staging, err)
		}
		p.acct.add(-of.rgBytes)
		of.rgBytes = 0
	}
	return nil
}

func rowSize(row parquet.Row) int64 {
	n := int64(0)
	for _, v := range row {
		n += 8
		if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
			n += int64(len(v.ByteArray()))
		}
	}
	return n
}

func (p *Partition) open(ctx context.Context, dir string, s *schema.Schema) (*openFile, error) {
	stagingDir := p.cfg.Paths.StagingDir(p.tp)
	if err := p.cfg.FS.MkdirAll(ctx, stagingDir); err != nil {
		return nil, fmt.Errorf("create staging dir %s: %w", stagingDir, err)
	}
	id := offsets.NewID()
	name := p.cfg.Paths.Staging(p.tp, id)
	f, err := p.cfg.FS.Create(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("create staging file: %w", err)
	}
	cw := &countingWriter{w: f}
	opts := []parquet.WriterOption{
		s.Parquet(),
		parquet.Compression(s.Codec()),
		parquet.KeyValueMetadata("kafka2hdfs.topic", p.tp.Topic),
		parquet.KeyValueMetadata("kafka2hdfs.partition", fmt.Sprint(p.tp.Partition)),
	}
	if p.cfg.CreatedBy != "" {
		opts = append(opts, parquet.CreatedBy(p.cfg.CreatedBy, "", ""))
	}
	of := &openFile{dir: dir, id: id, staging: name, f: f, cw: cw, pw: parquet.NewGenericWriter[any](cw, opts...)}
	p.files[dir] = of
	p.order = append(p.order, of)
	p.acct.addFile()
	return of, nil
}

// Stage closes every open file (footer, then the file itself, whose Close makes it durable),
// checks each one's size on the filesystem, and returns them for the step. On error every file of
// the step is aborted and removed: a half-written file is never handed on.
func (p *Partition) Stage(ctx context.Context) ([]offsets.File, error) {
	out := make([]offsets.File, 0, len(p.order))
	var errs []error
	stepRows := int64(0)
	for _, of := range p.order {
		stepRows += of.rows
	}
	for _, of := range p.order {
		of.pw.SetKeyValueMetadata(offsets.MetaStepFiles, strconv.Itoa(len(p.order)))
		of.pw.SetKeyValueMetadata(offsets.MetaStepRows, strconv.FormatInt(stepRows, 10))
		if len(errs) > 0 {
			break
		}
		if err := of.pw.Close(); err != nil {
			errs = append(errs, fmt.Errorf("write footer of %s: %w", of.staging, err))
			break
		}
		if err := of.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", of.staging, err))
			break
		}
		of.f = nil
		st, err := p.cfg.FS.Stat(ctx, of.staging)
		if err != nil {
			errs = append(errs, fmt.Errorf("stat %s: %w", of.staging, err))
			break
		}
		if st.Size() != of.cw.n {
			errs = append(errs, fmt.Errorf("staged %s has %d bytes, wrote %d", of.staging, st.Size(), of.cw.n))
			break
		}
		out = append(out, offsets.File{ID: of.id, Dir: of.dir, Size: of.cw.n, Rows: of.rows})
	}
	if err := errors.Join(errs...); err != nil {
		p.Abort(ctx)
		return nil, err
	}
	failpoint.Hit("after-stage")
	p.reset()
	return out, nil
}

// Abort throws the open files away and removes them. Recovery removes whatever this misses.
func (p *Partition) Abort(ctx context.Context) {
	for _, of := range p.order {
		if of.f != nil {
			_ = of.f.Abort()
		}
		if err := p.cfg.FS.Remove(ctx, of.staging); err != nil && !errors.Is(err, io.EOF) {
			p.cfg.log().Debug("remove aborted staging file", "path", of.staging, "err", err)
		}
	}
	p.reset()
}

// reset forgets the open files after they were staged or aborted.
func (p *Partition) reset() {
	p.cfg.Budget.files.Add(-int64(len(p.order)))
	p.acct.files.Store(0)
	p.acct.add(-p.acct.bytes.Load())
	clear(p.files)
	p.order = p.order[:0]
}

// StagingPath returns the staging path of a staged file, for removal after an abandoned step.
func (p *Partition) StagingPath(f offsets.File) string { return p.cfg.Paths.Staging(p.tp, f.ID) }

// RemoveStaged removes staged files of a step that will never be prepared (the commit failed before
// prepare, or staging failed part-way).
func (p *Partition) RemoveStaged(ctx context.Context, files []offsets.File) {
	for _, f := range files {
		_ = p.cfg.FS.Remove(ctx, p.StagingPath(f))
	}
}

func (c *Config) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// DataDir is the root-relative directory of a topic's bucket.
func DataDir(topic, bucketPath string) string { return path.Join(topic, bucketPath) }

// ErrorDir is the root-relative directory of a topic's dead letters for a bucket.
func ErrorDir(topic, bucketPath string) string {
	return path.Join(offsets.ErrorsDir, topic, bucketPath)
}
