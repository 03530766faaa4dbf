package writer

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/pqvalue"
)

// valueSize is what one buffered value costs: parquet.Value is a pointer, a word and four small
// fields.
const valueSize = int64(unsafe.Sizeof(parquet.Value{}))

// Arena chunk sizes: small buckets (many hourly buckets of a wide spread) stay small, large ones
// stop growing chunks at a size whose waste is negligible.
const (
	minChunk = 4 << 10
	maxChunk = 256 << 10
)

// rowBuffer holds a bucket's rows between row groups, column by column, in memory the writer owns:
// byte values are copied into an arena, so a buffered row keeps no Kafka fetch buffer alive, and
// what the buffer costs is known exactly (the capacity of its slices) rather than estimated.
//
// Columns are kept apart because that is how parquet-go takes them: one WriteRowValues call per
// column chunk per row group instead of one per column per row. A column grows as append grows
// it up to maxValueChunk values, then by chunks of that size: a bucket of a few thousand rows
// grew each column by doubling, copying and zeroing it every time, which was an eighth of the
// loader's CPU with 64 partitions, whose buckets all stay buffered; and chunks from the first
// value on (4, 8, 16, ...) made the many small buckets of a wide time spread many small objects,
// which the garbage collector scanned at half again the cost.
type rowBuffer struct {
	cols  [][]parquet.Value   // each column's current chunk
	full  [][][]parquet.Value // each column's earlier chunks, oldest first
	chunk []byte              // the arena's current chunk; earlier chunks are referenced by values only
	rows  int64
	// est is the rows' row-group estimate (see add), which decides when the bucket gets a
	// file.
	est int64
	// cost is the memory the buffer holds: value slices' capacity and arena chunks.
	cost int64
}

// maxValueChunk is the size in values of a column's chunks once it has grown to it: small buckets
// stay small, and a chunk's costs (an allocation, a WriteRowValues call) are negligible.
const maxValueChunk = 1024

func newRowBuffer(columns int) *rowBuffer {
	return &rowBuffer{cols: make([][]parquet.Value, columns), full: make([][][]parquet.Value, columns)}
}

// add appends a row (every column, in order) and returns how much cost grew. It checks the row
// as it copies it: a row that misses a column, or holds them out of order, would make the file
// unreadable (parquet-go's WriteRows does not check), so it is taken back out and refused, leaving
// the buffer's rows as they were. A check in a pass of its own cost a quarter as much as adding.
// The row's row-group estimate, 8 bytes plus the byte length per value (close to what the column
// buffers hold uncompressed), is added up in the same pass.
func (b *rowBuffer) add(row parquet.Row) (grown int64, err error) {
	before := b.cost
	var est int64
	last := -1 // the column of the previous value
	for i := range row {
		v := &row[i] // values are not copied, nor rebuilt but for their bytes: both cost
		// A value is the previous one's column's (a repeated column) or the next column's. The
		// unsigned comparison refuses columns below 0 too, and lets the compiler drop b.cols[c]'s
		// bounds check.
		c := pqvalue.Column(v)
		if uint(c) >= uint(len(b.cols)) || c != last && c != last+1 {
			b.unadd(row[:i])
			want := fmt.Sprint(last + 1)
			if last >= 0 {
				want = fmt.Sprint(last, " or ", last+1)
			}
			return b.cost - before, fmt.Errorf("row value %d is for column %d, want column %s", i, c, want)
		}
		last = c
		// The column's slice is resliced where it lies (a store of its length alone; loading it
		// and storing it back whole, with a write barrier check, was a tenth of add's
		// instructions) and the value copied in place, a word at a time (pqvalue): append(col,
		// *v), and parquet-go's accessors, copy the value through the stack with loads wider
		// than the stores that just wrote it, which the CPU cannot forward (a stall each). This
		// is written out here rather than called: as a function it did not inline, and its call
		// was a tenth of adding a row.
		col := &b.cols[c]
		n := len(*col)
		if n == cap(*col) {
			b.grow(c)
			n = len(*col)
		}
		*col = (*col)[:n+1]
		w := &(*col)[n]
		pqvalue.Copy(w, v)
		est += 8
		if k := pqvalue.Kind(v); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
			src := pqvalue.ByteArray(v)
			pqvalue.SetByteArray(w, b.copyBytes(src))
			est += int64(len(src))
		}
	}
	if last != len(b.cols)-1 {
		b.unadd(row)
		return b.cost - before, fmt.Errorf("row holds %d of the schema's %d columns", last+1, len(b.cols))
	}
	b.rows++
	b.est += est
	return b.cost - before, nil
}

// grow makes room for one more value in the full current chunk of column c.
func (b *rowBuffer) grow(c int) {
	col := b.cols[c]
	if cap(col) >= maxValueChunk {
		b.full[c] = append(b.full[c], col)
		b.cols[c] = make([]parquet.Value, 0, maxValueChunk)
		b.cost += maxValueChunk * valueSize
		return
	}
	grown := slices.Grow(col, 1)
	b.cost += int64(cap(grown)-cap(col)) * valueSize
	b.cols[c] = grown
}

// unadd takes the values of a refused row, which add appended, back out of their columns. The
// chunks it empties stay counted until the buffer is rewound or reset, and so do the row's bytes
// in the arena: a refused row is a bug in the row's builder, not a path worth making exact.
func (b *rowBuffer) unadd(vals []parquet.Value) {
	for i := len(vals) - 1; i >= 0; i-- {
		c := pqvalue.Column(&vals[i])
		col := b.cols[c]
		if len(col) == 0 {
			full := b.full[c]
			col, b.full[c] = full[len(full)-1], full[:len(full)-1]
		}
		col[len(col)-1] = parquet.Value{}
		b.cols[c] = col[:len(col)-1]
	}
}

// column calls f with each chunk of column c, oldest first, skipping empty ones.
func (b *rowBuffer) column(c int, f func([]parquet.Value) error) error {
	for _, vals := range b.full[c] {
		if err := f(vals); err != nil {
			return err
		}
	}
	if len(b.cols[c]) == 0 {
		return nil
	}
	return f(b.cols[c])
}

// columnLen is the number of values of column c.
func (b *rowBuffer) columnLen(c int) int {
	n := len(b.cols[c])
	for _, vals := range b.full[c] {
		n += len(vals)
	}
	return n
}

func (b *rowBuffer) copyBytes(p []byte) []byte {
	if len(p) > cap(b.chunk)-len(b.chunk) {
		size := min(max(2*cap(b.chunk), minChunk), maxChunk)
		size = max(size, len(p))
		b.chunk = make([]byte, 0, size)
		b.cost += int64(size)
	}
	n := len(b.chunk)
	b.chunk = append(b.chunk, p...)
	return b.chunk[n:len(b.chunk):len(b.chunk)]
}

// rewind empties the buffer for the next batch of a bucket with an open file, whose column writers
// have copied the rows: it keeps each column's current chunk and the arena's current chunk, and
// returns the cost it frees (the earlier chunks).
func (b *rowBuffer) rewind() int64 {
	before := b.cost
	b.cost = int64(cap(b.chunk))
	for c, col := range b.cols {
		clear(col)
		b.cols[c] = col[:0]
		b.cost += int64(cap(col)) * valueSize
	}
	clear(b.full)
	b.chunk = b.chunk[:0]
	b.rows, b.est = 0, 0
	return before - b.cost
}

// reset drops the rows (they have been written) and returns the cost it frees. The memory goes
// back to the garbage collector rather than staying with the bucket: a bucket written once an hour
// must not hold a row group's worth of slices in between.
func (b *rowBuffer) reset() int64 {
	freed := b.cost
	clear(b.cols)
	clear(b.full)
	b.chunk = nil
	b.rows, b.est, b.cost = 0, 0, 0
	return freed
}
