package schema

import (
	"encoding/binary"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// stringNode and bytesNode are the STRING and plain BYTE_ARRAY leaves of every schema: parquet-go's
// own, but with pages that find their bounds faster (byteBounds).
func stringNode() parquet.Node { return parquet.Leaf(byteBounds{parquet.String().Type()}) }
func bytesNode() parquet.Node  { return parquet.Leaf(byteBounds{parquet.ByteArrayType}) }

// byteBounds is a byte-array type whose pages compute their min and max (for the column index and
// the chunk statistics) a word at a time. parquet-go calls bytes.Compare once or twice per value,
// which was a sixth of the writer's instructions per row (BenchmarkWrite, counted by cachegrind) on
// rows of seven byte-array columns; here a value's first eight bytes decide, as one big-endian
// word, unless they equal the current bound's. That took the bounds from 920 instructions per row
// to 390. The bounds are the same values parquet-go finds (FuzzByteArrayBounds); everything else,
// values, encoding and footer, is the embedded type's.
type byteBounds struct{ parquet.Type }

func (t byteBounds) NewColumnBuffer(columnIndex, numValues int) parquet.ColumnBuffer {
	return boundsBuffer{t.Type.NewColumnBuffer(columnIndex, numValues)}
}

func (t byteBounds) NewPage(columnIndex, numValues int, data encoding.Values) parquet.Page {
	return boundsPage{t.Type.NewPage(columnIndex, numValues, data)}
}

// boundsBuffer is a column buffer whose pages are boundsPages. It embeds parquet-go's own buffer,
// so the writer's unexported write methods are the original ones.
type boundsBuffer struct{ parquet.ColumnBuffer }

func (b boundsBuffer) Page() parquet.Page          { return boundsPage{b.ColumnBuffer.Page()} }
func (b boundsBuffer) Clone() parquet.ColumnBuffer { return boundsBuffer{b.ColumnBuffer.Clone()} }

// boundsPage is a byte-array page with fast bounds; so are its slices, the pages the writer cuts.
type boundsPage struct{ parquet.Page }

func (p boundsPage) Slice(i, j int64) parquet.Page { return boundsPage{p.Page.Slice(i, j)} }

func (p boundsPage) Bounds() (min, max parquet.Value, ok bool) {
	vals := p.Data()
	data, offsets := vals.ByteArray()
	lo, hi, ok := byteArrayBounds(data, offsets)
	if !ok {
		return min, max, false
	}
	c := p.Column()
	return parquet.ByteArrayValue(lo).Level(0, 0, c), parquet.ByteArrayValue(hi).Level(0, 0, c), true
}

// byteArrayBounds returns the least and the greatest (in bytes.Compare order) of the values
// data[offsets[i]:offsets[i+1]], and false if there are none. A value is compared by its head
// first, the big-endian word of its first eight bytes zero-padded: heads order values as their
// first eight bytes do, and two values of equal heads of which one is at most eight bytes long
// order by length (the shorter is a prefix of the longer, which has zeros after it in its head).
//
// The loop makes no calls: Go keeps a loop's values in registers only if it does, and spilled
// every one of them at each value when this loop called out for the rare cases.
func byteArrayBounds(data []byte, offsets []uint32) (lo, hi []byte, ok bool) {
	if len(offsets) < 2 {
		return nil, nil, false
	}
	loJ, loK := offsets[0], offsets[1]
	loH := head(data, loJ, loK)
	hiJ, hiK, hiH := loJ, loK, loH
	k := loK
	for _, next := range offsets[2:] {
		j := k
		k = next
		h := head(data, j, k)
		switch {
		case h < loH:
			loJ, loK, loH = j, k, h
		case h > hiH:
			hiJ, hiK, hiH = j, k, h
		case h == loH && tieLess(data, j, k, loJ, loK):
			loJ, loK = j, k
		case h == hiH && tieLess(data, hiJ, hiK, j, k):
			hiJ, hiK = j, k
		}
	}
	return data[loJ:loK:loK], data[hiJ:hiK:hiK], true
}

// head is the big-endian word of the first min(8, k-j) bytes of data[j:k], zero-padded: eight
// bytes loaded and masked where data has them, else byte by byte (a value in the last eight bytes
// of a page).
func head(data []byte, j, k uint32) uint64 {
	n := k - j
	if int(j)+8 <= len(data) {
		h := binary.BigEndian.Uint64(data[j:])
		if n < 8 {
			h &= headMask[n]
		}
		return h
	}
	var h uint64
	for i := range min(n, 8) {
		h |= uint64(data[j+i]) << (56 - 8*i)
	}
	return h
}

// headMask keeps the first n < 8 bytes of a big-endian word.
var headMask = [8]uint64{0, 0xff << 56, 0xffff << 48, 0xffffff << 40, 0xffffffff << 32, 0xffffffffff << 24, 0xffffffffffff << 16, 0xffffffffffffff << 8}

// tieLess reports whether data[aj:ak] < data[bj:bk] for values of equal heads: by length if
// either is at most eight bytes long, else by what follows the heads, compared here rather than by
// a call to bytes.Compare (see byteArrayBounds).
func tieLess(data []byte, aj, ak, bj, bk uint32) bool {
	n, m := ak-aj, bk-bj
	if n > 8 && m > 8 {
		for i := uint32(8); i < n && i < m; i++ {
			if x, y := data[aj+i], data[bj+i]; x != y {
				return x < y
			}
		}
	}
	return n < m
}
