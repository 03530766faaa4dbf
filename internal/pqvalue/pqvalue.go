// Package pqvalue reads and writes the fields of a parquet.Value in place, on the loader's per-cell
// path (schema builds rows of them, the writer buffers them).
//
// Why: parquet-go's exported accessors (Column, Kind, IsNull, ByteArray) take the Value by value,
// and Go copies a 24-byte struct of six fields to the stack for each call, with two overlapping
// 16-byte loads. A value that was just built is still in the CPU's store buffer as several smaller
// stores (its pointer, its length, a kind byte, level bytes, a 16-bit column), which a wider load
// cannot be forwarded from: every such call stalled the pipeline, a few times per cell. parquet-go
// avoids this inside itself with unexported pointer-receiver helpers; these are the same for the
// loader. SetLevels writes a value's kind, levels and column as one 8-byte store, so that the
// writer's word-by-word load of the value (Words) forwards too; Words and SetWords let the writer
// keep buffered values as pointer-free words of its own.
//
// The layout is parquet-go's (a pointer, a uint64, then kind, definition level, repetition level
// and the column index's complement). On amd64 and arm64, where the loader runs, Fast is a
// constant true: the in-place paths are compiled in and the checks for them compiled out (a
// branch on a variable in each function kept SetLevels from inlining and cost a few instructions
// per call: 425 of the 13,700 instructions per record of BenchmarkPipeline at 1 KB, counted by
// cachegrind). The layout is checked against parquet-go's exported API at start, and a
// parquet-go whose layout differs stops the program there rather than have it write wrong values
// (this package's tests fail first). Elsewhere every function uses the exported API.
package pqvalue

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

const (
	offKind = 16
	offCol  = 20
)

func init() {
	if !Fast {
		return
	}
	if why := layoutMismatch(); why != "" {
		panic("pqvalue: the linked parquet-go's Value no longer has the layout this build reads in place: " +
			why + " disagrees with parquet-go's exported API; update internal/pqvalue for it")
	}
}

// Column is v.Column().
func Column(v *parquet.Value) int {
	if !Fast {
		return v.Column()
	}
	col := ^*(*uint16)(unsafe.Add(unsafe.Pointer(v), offCol))
	if col == 0xffff {
		return -1
	}
	return int(col)
}

// IsNull is v.IsNull().
func IsNull(v *parquet.Value) bool {
	if !Fast {
		return v.IsNull()
	}
	return *(*int8)(unsafe.Add(unsafe.Pointer(v), offKind)) == 0
}

// SetLevels is v.SetRepetitionLevel(rep), v.SetDefinitionLevel(def) and v.SetColumnIndex(col), as
// one store; the levels must be at most 255 and col at most parquet.MaxColumnIndex (as the
// schema's are by construction).
func SetLevels(v *parquet.Value, rep, def, col int) {
	if !Fast {
		setLevelsSlow(v, rep, def, col)
		return
	}
	// The third word: kind, definition level, repetition level, a padding byte, the column index's
	// complement, two padding bytes. The kind byte is read alone (a load the store that wrote it
	// forwards); the word is written whole.
	w := (*[3]uint64)(unsafe.Pointer(v))
	kind := uint64(*(*uint8)(unsafe.Pointer(&w[2])))
	w[2] = kind | uint64(uint8(def))<<8 | uint64(uint8(rep))<<16 | uint64(^uint16(col))<<32
}

// setLevelsSlow is SetLevels through the exported API; apart, so that SetLevels inlines.
func setLevelsSlow(v *parquet.Value, rep, def, col int) {
	v.SetRepetitionLevel(rep)
	v.SetDefinitionLevel(def)
	v.SetColumnIndex(col)
}

// words is parquet.Value as Words and SetWords see it: its pointer, its 8-byte payload, and the
// word holding kind, levels and column (no pointers).
type words struct {
	ptr  unsafe.Pointer
	u64  uint64
	tail uint64
}

// Padding is the bits of a value's third word (see SetLevels) that hold nothing: the byte after
// the repetition level and the two after the column index. Words clears them; a caller may keep
// its own bits there (the writer keeps a value's place in its arena) and clear them before
// SetWords.
const Padding uint64 = 0xffff0000_ff000000

// Words is v as its three words: the pointer to its bytes (nil if it has none: a value of a
// fixed-size kind, or a null), its 8-byte payload (for bytes, their length), and its third word
// (kind, levels and column) with the Padding bits clear.
func Words(v *parquet.Value) (ptr *byte, u64, tail uint64) {
	if !Fast {
		return wordsSlow(v)
	}
	w := (*words)(unsafe.Pointer(v))
	return (*byte)(w.ptr), w.u64, w.tail &^ Padding
}

// SetWords sets *v to the value Words returned as ptr, u64 and tail (whose Padding bits must be
// clear). The pointer is stored as the pointer it is, with the garbage collector's write barrier:
// stored as a uint64, it was once a pointer the compiler moved a read of above the store.
func SetWords(v *parquet.Value, ptr *byte, u64, tail uint64) {
	if !Fast {
		setWordsSlow(v, ptr, u64, tail)
		return
	}
	w := (*words)(unsafe.Pointer(v))
	w.ptr, w.u64, w.tail = unsafe.Pointer(ptr), u64, tail
}

// wordsSlow is Words through the exported API, in the in-place layout: a payload and a third word
// of its own making that setWordsSlow reads back.
func wordsSlow(v *parquet.Value) (ptr *byte, u64, tail uint64) {
	k := v.Kind()
	tail = uint64(uint8(^int8(k))) | uint64(uint8(v.DefinitionLevel()))<<8 | uint64(uint8(v.RepetitionLevel()))<<16 |
		uint64(^uint16(v.Column()))<<32
	if v.IsNull() {
		return nil, 0, tail
	}
	switch k {
	case parquet.Boolean:
		if v.Boolean() {
			u64 = 1
		}
	case parquet.Int32:
		u64 = uint64(uint32(v.Int32()))
	case parquet.Int64:
		u64 = uint64(v.Int64())
	case parquet.Float:
		u64 = uint64(math.Float32bits(v.Float()))
	case parquet.Double:
		u64 = math.Float64bits(v.Double())
	default: // ByteArray, FixedLenByteArray, Int96: bytes
		b := v.ByteArray()
		return unsafe.SliceData(b), uint64(len(b)), tail
	}
	return nil, u64, tail
}

// setWordsSlow is SetWords through the exported API, from what wordsSlow returned.
func setWordsSlow(v *parquet.Value, ptr *byte, u64, tail uint64) {
	var x parquet.Value
	kind := int8(uint8(tail))
	switch k := ^parquet.Kind(kind); {
	case kind == 0:
		x = parquet.NullValue()
	case k == parquet.Boolean:
		x = parquet.BooleanValue(u64 != 0)
	case k == parquet.Int32:
		x = parquet.Int32Value(int32(uint32(u64)))
	case k == parquet.Int64:
		x = parquet.Int64Value(int64(u64))
	case k == parquet.Float:
		x = parquet.FloatValue(math.Float32frombits(uint32(u64)))
	case k == parquet.Double:
		x = parquet.DoubleValue(math.Float64frombits(u64))
	case k == parquet.ByteArray:
		x = parquet.ByteArrayValue(unsafe.Slice(ptr, u64))
	case k == parquet.FixedLenByteArray:
		x = parquet.FixedLenByteArrayValue(unsafe.Slice(ptr, u64))
	default: // Int96
		b := unsafe.Slice(ptr, u64)
		le := binary.LittleEndian
		x = parquet.Int96Value(deprecated.Int96{le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])})
	}
	x.SetRepetitionLevel(int(uint8(tail >> 16)))
	x.SetDefinitionLevel(int(uint8(tail >> 8)))
	if col := ^uint16(tail >> 32); col != 0xffff {
		x.SetColumnIndex(int(col))
	}
	*v = x
}

// layoutMismatch checks the functions above against parquet-go's exported API on values of every
// kind, with levels and columns at their edges, and says what differs ("" if nothing does).
func layoutMismatch() string {
	if n := unsafe.Sizeof(parquet.Value{}); n != 24 {
		return fmt.Sprintf("parquet.Value is %d bytes, not 24", n)
	}
	a := []byte("abcd")
	values := []parquet.Value{
		parquet.NullValue(), parquet.BooleanValue(true), parquet.Int32Value(-7), parquet.Int64Value(1 << 40),
		parquet.DoubleValue(2.5), parquet.FloatValue(1.5), parquet.ByteArrayValue(a), parquet.FixedLenByteArrayValue(a),
		parquet.ValueOf(nil), parquet.Int96Value(deprecated.Int96{1, 2, 3}),
	}
	for _, base := range values {
		for _, lv := range [][3]int{{0, 0, 0}, {1, 2, 3}, {255, 255, 1000}, {0, 1, parquet.MaxColumnIndex}} {
			want := base.Level(lv[0], lv[1], lv[2])
			got := base
			SetLevels(&got, lv[0], lv[1], lv[2])
			if got != want || Column(&got) != want.Column() || IsNull(&got) != want.IsNull() ||
				got.RepetitionLevel() != lv[0] || got.DefinitionLevel() != lv[1] {
				return fmt.Sprintf("%v with levels %v: SetLevels, Column or IsNull", want, lv)
			}
			ptr, u64, tail := Words(&got)
			// The writer copies the bytes a value points to, and only those.
			switch k := want.Kind(); {
			case want.IsNull() || k != parquet.ByteArray && k != parquet.FixedLenByteArray && k != parquet.Int96:
				if ptr != nil {
					return fmt.Sprintf("%v: Words gives a pointer", want)
				}
			case k == parquet.Int96 && (ptr == nil || u64 != 12),
				k != parquet.Int96 && (ptr != unsafe.SliceData(a) || u64 != uint64(len(a))):
				return fmt.Sprintf("%v: Words gives %p and %d, not its bytes", want, ptr, u64)
			}
			var r parquet.Value
			SetWords(&r, ptr, u64, tail)
			if tail&Padding != 0 || !parquet.Equal(r, got) || r.Kind() != got.Kind() || r.Column() != got.Column() ||
				r.RepetitionLevel() != got.RepetitionLevel() || r.DefinitionLevel() != got.DefinitionLevel() {
				return fmt.Sprintf("%v: Words and SetWords", want)
			}
		}
	}
	if Column(&parquet.Value{}) != (parquet.Value{}).Column() {
		return "the zero Value's Column"
	}
	return ""
}
