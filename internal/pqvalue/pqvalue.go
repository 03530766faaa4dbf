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
// writer's word-by-word copy of the value (Copy) forwards too.
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
	"fmt"
	"unsafe"

	"github.com/parquet-go/parquet-go"
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

// Kind is v.Kind().
func Kind(v *parquet.Value) parquet.Kind {
	if !Fast {
		return v.Kind()
	}
	return ^parquet.Kind(*(*int8)(unsafe.Add(unsafe.Pointer(v), offKind)))
}

// IsNull is v.IsNull().
func IsNull(v *parquet.Value) bool {
	if !Fast {
		return v.IsNull()
	}
	return *(*int8)(unsafe.Add(unsafe.Pointer(v), offKind)) == 0
}

// ByteArray is v.ByteArray(): the bytes of a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY value.
func ByteArray(v *parquet.Value) []byte {
	if !Fast {
		return v.ByteArray()
	}
	p := unsafe.Pointer(v)
	return unsafe.Slice(*(**byte)(p), *(*uint64)(unsafe.Add(p, 8)))
}

// SetByteArray points the byte-array value v at p, of the same length as its bytes, keeping its
// kind and levels (rebuilding it with ByteArrayValue and its three levels cost a fifth of
// buffering a row).
func SetByteArray(v *parquet.Value, p []byte) {
	if !Fast {
		setByteArraySlow(v, p)
		return
	}
	*(**byte)(unsafe.Pointer(v)) = unsafe.SliceData(p)
}

// setByteArraySlow is SetByteArray through the exported API; apart, so that SetByteArray inlines.
func setByteArraySlow(v *parquet.Value, p []byte) {
	k, r, d, c := v.Kind(), v.RepetitionLevel(), v.DefinitionLevel(), v.Column()
	if k == parquet.FixedLenByteArray {
		*v = parquet.FixedLenByteArrayValue(p)
	} else {
		*v = parquet.ByteArrayValue(p)
	}
	*v = v.Level(r, d, c)
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

// Copy copies *src to *dst a word at a time: a word written by one store forwards from it.
//
// The first word is copied as the pointer it is. Copied as a uint64 (as it was), it was a pointer
// written without the garbage collector's write barrier, and the compiler, which may assume that
// memory read through a pointer type is not written through a pointer-free one, moved a read of
// the destination's pointer above the copy: with this package's checks compiled out, a value
// compared equal to its copy no more (layoutMismatch caught it).
func Copy(dst, src *parquet.Value) {
	if !Fast {
		*dst = *src
		return
	}
	d, s := (*words)(unsafe.Pointer(dst)), (*words)(unsafe.Pointer(src))
	d.ptr, d.u64, d.tail = s.ptr, s.u64, s.tail
}

// words is parquet.Value as Copy moves it: its pointer, its 8-byte payload, and the word holding
// kind, levels and column (no pointers).
type words struct {
	ptr  unsafe.Pointer
	u64  uint64
	tail uint64
}

// layoutMismatch checks the functions above against parquet-go's exported API on values of every
// kind, with levels and columns at their edges, and says what differs ("" if nothing does).
func layoutMismatch() string {
	if n := unsafe.Sizeof(parquet.Value{}); n != 24 {
		return fmt.Sprintf("parquet.Value is %d bytes, not 24", n)
	}
	a, b := []byte("abcd"), []byte("wxyz")
	values := []parquet.Value{
		parquet.NullValue(), parquet.BooleanValue(true), parquet.Int32Value(-7), parquet.Int64Value(1 << 40),
		parquet.DoubleValue(2.5), parquet.FloatValue(1.5), parquet.ByteArrayValue(a), parquet.FixedLenByteArrayValue(a),
		parquet.ValueOf(nil),
	}
	for _, base := range values {
		for _, lv := range [][3]int{{0, 0, 0}, {1, 2, 3}, {255, 255, 1000}, {0, 1, parquet.MaxColumnIndex}} {
			want := base.Level(lv[0], lv[1], lv[2])
			got := base
			SetLevels(&got, lv[0], lv[1], lv[2])
			if got != want || Column(&got) != want.Column() || Kind(&got) != want.Kind() || IsNull(&got) != want.IsNull() ||
				got.RepetitionLevel() != lv[0] || got.DefinitionLevel() != lv[1] {
				return fmt.Sprintf("%v with levels %v: SetLevels, Column, Kind or IsNull", want, lv)
			}
			var c parquet.Value
			Copy(&c, &got)
			if c != got {
				return fmt.Sprintf("%v: Copy", want)
			}
			if k := want.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
				if unsafe.SliceData(ByteArray(&got)) != unsafe.SliceData(a) || len(ByteArray(&got)) != len(a) {
					return fmt.Sprintf("%v: ByteArray", want)
				}
				SetByteArray(&got, b)
				gb := got.ByteArray()
				if unsafe.SliceData(gb) != unsafe.SliceData(b) || len(gb) != len(b) || got.Kind() != k ||
					got.RepetitionLevel() != lv[0] || got.DefinitionLevel() != lv[1] || got.Column() != lv[2] {
					return fmt.Sprintf("%v: SetByteArray", want)
				}
			}
		}
	}
	if Column(&parquet.Value{}) != (parquet.Value{}).Column() {
		return "the zero Value's Column"
	}
	return ""
}
