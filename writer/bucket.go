package writer

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/pqvalue"
)

// cellSize is what one buffered value costs.
const cellSize = int64(unsafe.Sizeof(cell{}))

// Arena chunk sizes: small buckets (many hourly buckets of a wide spread) stay small, large ones
// stop growing chunks at a size whose waste is negligible, and whose offsets fit in 16 bits (see
// cell).
const (
	minChunk = 4 << 10
	maxChunk = 64 << 10
)

// cell is a buffered value: parquet.Value's payload and its third word (kind, levels, column),
// with its bytes, if it has any, in the buffer's arena, and their place there instead of the
// value's pointer. A cell holds no pointer, so buffered rows are memory the garbage collector does
// not scan, and it is 16 bytes to parquet.Value's 24. With 64 partitions every bucket stays
// buffered until its step: the collector's marking of buffered parquet.Values, each pointing into
// an arena chunk, took 219 ms of CPU in a 3.4 s load of 1M x 1 KB (gctrace), cells 51 ms.
//
// For a value with bytes, u64's low 32 bits are their length and its high 32 bits their arena
// chunk's number, and tail's padding says so (hasBytes) and holds their offset in the chunk in
// its top 16 bits: below maxChunk, or 0 in a chunk of a larger value's own. For any other value,
// u64 is the value's payload and tail's padding is 0.
type cell struct {
	u64  uint64
	tail uint64
}

const (
	lenMask  = 1<<32 - 1
	hasBytes = 1 << 24 // in the padding byte after the levels
	offShift = 48
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
	cols [][]cell   // each column's current chunk (see flat)
	full [][][]cell // each column's earlier chunks, oldest first
	// flat says that every row holds each column once, in order: its schema repeats no column.
	// Then every column's current chunk is kept at its capacity, which is the same for all, and
	// n of its cells are in use: a row is stored with one capacity check instead of one per
	// value, and without a store of each column's length (a fifth of adding a row).
	flat bool
	n    int
	// chunk is the arena's current chunk, and bases the first byte of each of its chunks, the
	// current one last: a cell names its chunk by its index in bases. The values' bytes are
	// copied here.
	chunk []byte
	bases []*byte
	rows  int64
	// est is the rows' row-group estimate (see add), which decides when the bucket gets a
	// file.
	est int64
	// cost is the memory the buffer holds: cell slices' capacity and arena chunks.
	cost int64
}

// maxValueChunk is the size in values of a column's chunks once it has grown to it: small buckets
// stay small, and a chunk's costs (an allocation, a WriteRowValues call) are negligible.
const maxValueChunk = 1024

// newRowBuffer is an empty buffer for rows of columns columns; flat if no column repeats.
func newRowBuffer(columns int, flat bool) *rowBuffer {
	return &rowBuffer{cols: make([][]cell, columns), full: make([][][]cell, columns), flat: flat}
}

// current is column c's current chunk, the cells in use.
func (b *rowBuffer) current(c int) []cell {
	if b.flat {
		return b.cols[c][:b.n]
	}
	return b.cols[c]
}

// add appends a row (every column, in order) and returns how much cost grew. It checks the row
// as it copies it: a row that misses a column, or holds them out of order, would make the file
// unreadable (parquet-go's WriteRows does not check), so it is taken back out and refused, leaving
// the buffer's rows as they were. A check in a pass of its own cost a quarter as much as adding.
// The row's row-group estimate, 8 bytes plus the byte length per value (close to what the column
// buffers hold uncompressed), is added up in the same pass.
func (b *rowBuffer) add(row parquet.Row) (grown int64, err error) {
	if b.flat {
		return b.addFlat(row)
	}
	before := b.cost
	var est int64
	last := -1 // the column of the previous value
	for i := range row {
		v := &row[i] // values are not copied: loaded a word at a time, in place (pqvalue)
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
		// instructions). This is written out here rather than called: as a function it did not
		// inline, and its call was a tenth of adding a row.
		col := &b.cols[c]
		n := len(*col)
		if n == cap(*col) {
			b.grow(c)
			n = len(*col)
		}
		*col = (*col)[:n+1]
		// &(*col)[n], whose bounds the line above checked.
		w := (*cell)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(*col)), uintptr(n)*unsafe.Sizeof(cell{})))
		ptr, u64, tail := pqvalue.Words(v)
		est += 8
		if ptr != nil && u64 != 0 {
			// The bytes are copied into the arena here rather than by a call, for the same
			// reason.
			if u64 > uint64(cap(b.chunk)-len(b.chunk)) {
				b.newChunk(int(u64))
			}
			off := len(b.chunk)
			b.chunk = b.chunk[:off+int(u64)] // a store of the length alone, as for the columns
			copy(b.chunk[off:], unsafe.Slice(ptr, u64))
			est += int64(u64)
			u64 |= uint64(len(b.bases)-1) << 32
			tail |= hasBytes | uint64(off)<<offShift
		}
		w.u64, w.tail = u64, tail
	}
	if last != len(b.cols)-1 {
		b.unadd(row)
		return b.cost - before, fmt.Errorf("row holds %d of the schema's %d columns", last+1, len(b.cols))
	}
	b.rows++
	b.est += est
	return b.cost - before, nil
}

// addFlat is add for a flat buffer. A refused row leaves nothing to take back but its bytes in the
// arena, as in add: n counts the rows, and grows only once the row is in.
func (b *rowBuffer) addFlat(row parquet.Row) (grown int64, err error) {
	before := b.cost
	cols := b.cols
	if len(row) != len(cols) || len(cols) == 0 {
		return 0, flatRowError(row, len(cols))
	}
	if b.n == cap(cols[0]) {
		b.growFlat()
	}
	n := b.n
	var est int64
	for i := range row {
		v := &row[i]
		if pqvalue.Column(v) != i {
			return b.cost - before, flatRowError(row, len(cols))
		}
		w := &cols[i][n]
		// The store is add's, written out again: as a method of its own it cost 168 in the
		// inliner's measure, twice its budget, a call per value; and one loop for both kinds
		// of buffer, choosing per value, counted 90 instructions more per 1 KB record in
		// BenchmarkPipeline (12852-12865 against 12752-12782).
		ptr, u64, tail := pqvalue.Words(v)
		est += 8
		if ptr != nil && u64 != 0 {
			if u64 > uint64(cap(b.chunk)-len(b.chunk)) {
				b.newChunk(int(u64))
			}
			off := len(b.chunk)
			b.chunk = b.chunk[:off+int(u64)]
			copy(b.chunk[off:], unsafe.Slice(ptr, u64))
			est += int64(u64)
			u64 |= uint64(len(b.bases)-1) << 32
			tail |= hasBytes | uint64(off)<<offShift
		}
		w.u64, w.tail = u64, tail
	}
	b.n = n + 1
	b.rows++
	b.est += est
	return b.cost - before, nil
}

// flatRowError says why row is not a row of a flat buffer of columns columns.
func flatRowError(row parquet.Row, columns int) error {
	for i := range min(len(row), columns) {
		if c := pqvalue.Column(&row[i]); c != i {
			return fmt.Errorf("row value %d is for column %d, want column %d (no column of the schema repeats)", i, c, i)
		}
	}
	return fmt.Errorf("row holds %d values, want one for each of the schema's %d columns", len(row), columns)
}

// growFlat makes room for one more row in a flat buffer whose current chunks are full: all
// columns' chunks grow together, as grow grows one.
func (b *rowBuffer) growFlat() {
	size := cap(b.cols[0])
	if size >= maxValueChunk {
		for c, col := range b.cols {
			b.full[c] = append(b.full[c], col[:b.n])
			b.cols[c] = make([]cell, maxValueChunk)
		}
		b.cost += int64(len(b.cols)) * maxValueChunk * cellSize
		b.n = 0
		return
	}
	next := min(max(2*size, 4), maxValueChunk)
	for c, col := range b.cols {
		grown := make([]cell, next)
		copy(grown, col[:b.n])
		b.cols[c] = grown
	}
	b.cost += int64(len(b.cols)*(next-size)) * cellSize
}

// grow makes room for one more value in the full current chunk of column c.
func (b *rowBuffer) grow(c int) {
	col := b.cols[c]
	if cap(col) >= maxValueChunk {
		b.full[c] = append(b.full[c], col)
		b.cols[c] = make([]cell, 0, maxValueChunk)
		b.cost += maxValueChunk * cellSize
		return
	}
	grown := slices.Grow(col, 1)
	b.cost += int64(cap(grown)-cap(col)) * cellSize
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
		b.cols[c] = col[:len(col)-1]
	}
}

// column calls f with column c's values, oldest first, converted from its cells a chunk at a time
// into *scratch, which it grows as needed and f must not keep. Byte values point into the arena.
func (b *rowBuffer) column(c int, scratch *[]parquet.Value, f func([]parquet.Value) error) error {
	for _, cells := range b.full[c] {
		if err := f(b.values(cells, scratch)); err != nil {
			return err
		}
	}
	cur := b.current(c)
	if len(cur) == 0 {
		return nil
	}
	return f(b.values(cur, scratch))
}

// values converts cells into (*scratch)[:len(cells)].
func (b *rowBuffer) values(cells []cell, scratch *[]parquet.Value) []parquet.Value {
	vals := slices.Grow((*scratch)[:0], len(cells))[:len(cells)]
	*scratch = vals
	bases := b.bases
	for i := range cells {
		u64, tail := cells[i].u64, cells[i].tail
		var ptr *byte
		if tail&hasBytes != 0 {
			ptr = (*byte)(unsafe.Add(unsafe.Pointer(bases[u64>>32]), tail>>offShift))
			u64 &= lenMask
			tail &^= pqvalue.Padding
		}
		pqvalue.SetWords(&vals[i], ptr, u64, tail)
	}
	return vals
}

// columnLen is the number of values of column c.
func (b *rowBuffer) columnLen(c int) int {
	n := len(b.current(c))
	for _, vals := range b.full[c] {
		n += len(vals)
	}
	return n
}

// newChunk starts an arena chunk with room for n bytes. Not inlined: add is a loop the compiler
// keeps in registers, and this is its rare path.
//
//go:noinline
func (b *rowBuffer) newChunk(n int) {
	size := min(max(2*cap(b.chunk), minChunk), maxChunk)
	size = max(size, n)
	b.chunk = make([]byte, 0, size)
	b.bases = append(b.bases, unsafe.SliceData(b.chunk[:1]))
	b.cost += int64(size)
}

// rewind empties the buffer for the next batch of a bucket with an open file, whose column writers
// have copied the rows: it keeps each column's current chunk and the arena's current chunk, and
// returns the cost it frees (the earlier chunks).
func (b *rowBuffer) rewind() int64 {
	before := b.cost
	b.cost = 0
	for c, col := range b.cols {
		if !b.flat {
			b.cols[c] = col[:0]
		}
		b.cost += int64(cap(col)) * cellSize
	}
	clear(b.full)
	b.n = 0
	if n := len(b.bases); n > 0 {
		cur := b.bases[n-1]
		clear(b.bases)
		b.bases = append(b.bases[:0], cur)
		b.chunk = b.chunk[:0]
		b.cost += int64(cap(b.chunk))
	}
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
	b.chunk, b.bases = nil, nil
	b.rows, b.est, b.cost, b.n = 0, 0, 0, 0
	return freed
}
