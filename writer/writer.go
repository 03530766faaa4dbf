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
	"slices"
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
	last  *openFile            // the file written last: consecutive rows mostly share it
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
// opening it with s's schema if needed. The row must hold s's columns in order, every one of them
// (schema.Row and RawRow build rows that way); byte values need only stay valid for the call.
func (p *Partition) Write(ctx context.Context, dir string, s *schema.Schema, row parquet.Row) error {
	of := p.last
	if of == nil || of.dir != dir {
		if of = p.files[dir]; of == nil {
			var err error
			if of, err = p.open(ctx, dir, s); err != nil {
				return err
			}
		}
		p.last = of
	}
	n, err := of.writeRow(row)
	if err != nil {
		return fmt.Errorf("write %s: %w", of.staging, err)
	}
	of.rows++
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

// writeRow hands each column's values of row straight to that column's writer, and returns the
// row's buffered cost: close to its values' sizes, which is what the column buffers hold
// (parquet-go's own estimate walks every column, too slow to ask per row).
//
// parquet-go's WriteRows would gather the row into per-column slices first and validates nothing;
// here the one pass also checks what WriteRows silently gets wrong: a row must hold every column,
// in order, or the file would be unreadable.
func (of *openFile) writeRow(row parquet.Row) (int64, error) {
	cols := of.pw.ColumnWriters()
	// Check the whole row before writing any of it: a half-written row is an unreadable file.
	n := int64(0)
	col := 0
	for i, v := range row {
		if c := v.Column(); c != col {
			if c != col+1 || i == 0 {
				return 0, fmt.Errorf("row value %d is for column %d, want column %d or %d", i, c, col, col+1)
			}
			col = c
		}
		n += 8
		if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
			n += int64(len(v.ByteArray()))
		}
	}
	if len(row) == 0 || col != len(cols)-1 {
		return 0, fmt.Errorf("row holds %d of the schema's %d columns", min(col+1, len(row)), len(cols))
	}
	for i := 0; i < len(row); {
		c := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == c {
			j++
		}
		if _, err := cols[c].WriteRowValues(row[i:j]); err != nil {
			return 0, err
		}
		i = j
	}
	return n, nil
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
func (p *Partition) Stage(ctx context.Context) ([]offsets.File, error) { return p.Seal().Stage(ctx) }

// Abort throws the open files away and removes them. Recovery removes whatever this misses.
func (p *Partition) Abort(ctx context.Context) { p.Seal().Abort(ctx) }

// Batch is the files of one step, sealed: no row is added to them any more. Sealing lets the
// partition go on writing the next step's rows into new files while this one is staged. A Batch
// keeps its buffered bytes and files on the partition's budget account until it is staged or
// aborted, so the Budget always counts what is really held.
type Batch struct {
	p     *Partition
	order []*openFile
	bytes int64 // buffered bytes this batch holds on the budget
}

// Seal hands the open files over to a Batch and leaves the partition with none. The Batch may be
// staged on another goroutine; the partition must not be used to stage or abort it.
func (p *Partition) Seal() *Batch {
	b := &Batch{p: p, order: slices.Clone(p.order)}
	for _, of := range p.order {
		b.bytes += of.rgBytes
	}
	clear(p.files)
	p.order = p.order[:0]
	p.last = nil
	return b
}

// Files is the number of files in the batch.
func (b *Batch) Files() int { return len(b.order) }

// Stage closes every file of the batch (footer, then the file itself, whose Close makes it
// durable), checks each one's size on the filesystem, and returns them for the step. On error every
// file of the batch is aborted and removed: a half-written file is never handed on.
func (b *Batch) Stage(ctx context.Context) ([]offsets.File, error) {
	p := b.p
	out := make([]offsets.File, 0, len(b.order))
	var errs []error
	stepRows := int64(0)
	for _, of := range b.order {
		stepRows += of.rows
	}
	for _, of := range b.order {
		of.pw.SetKeyValueMetadata(offsets.MetaStepFiles, strconv.Itoa(len(b.order)))
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
		b.Abort(ctx)
		return nil, err
	}
	failpoint.Hit("after-stage")
	b.release()
	return out, nil
}

// Abort throws the batch's files away and removes them. Recovery removes whatever this misses.
func (b *Batch) Abort(ctx context.Context) {
	p := b.p
	for _, of := range b.order {
		if of.f != nil {
			_ = of.f.Abort()
		}
		if err := p.cfg.FS.Remove(ctx, of.staging); err != nil && !errors.Is(err, io.EOF) {
			p.cfg.log().Debug("remove aborted staging file", "path", of.staging, "err", err)
		}
	}
	b.release()
}

// release takes the batch's files and bytes off the budget, once.
func (b *Batch) release() {
	if b.order == nil {
		return
	}
	b.p.acct.addFiles(-int64(len(b.order)))
	b.p.acct.add(-b.bytes)
	b.order, b.bytes = nil, 0
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
