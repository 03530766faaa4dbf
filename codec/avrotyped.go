package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"sync"
	"unsafe"

	"github.com/hamba/avro/v2"
	"github.com/modern-go/reflect2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

// The typed extractor decodes a value with hamba's typed decoder into a Go struct type built once
// per (writer schema, paths) with reflect.StructOf, and reads the fields by offset. Generic decoding
// (Reader.ReadNext) builds a map per record and boxes every field, which made the Avro path 0.44x the
// JSON path's records/s; the typed decoder writes scalars in place, carves strings out of the
// reader's slab, and skips the fields no path reads without materialising them.
//
// Only the shapes whose typed decoding is known to give the generic path's values are typed:
// records (and [null, record]) on the way, and leaves of the scalar kinds below. Anything else that
// a path reads (a whole record, an array, a map or a path into one, another union, a logical type
// with a Go type of its own) is a field of type any (map[string]any for unions, as ReadNext wraps
// union branches) and goes through the generic path's walk and toValue, so its text is unchanged.

type leafKind uint8

const (
	kindGeneric leafKind = iota // any / map[string]any: walk and toValue
	kindBool
	kindInt32 // int, date
	kindInt64 // long, timestamp-millis/-micros, local-timestamp-millis/-micros
	kindFloat32
	kindFloat64
	kindString // string, uuid, enum (hamba gives the symbol)
	kindBytes
	kindFixed
	kindDecimalBytes
	kindDecimalFixed
)

// typedLeaf is one path, compiled against the struct type.
type typedLeaf struct {
	none bool // the path names nothing in the schema: Missing
	// derefs are the offsets of the [null, record] pointers met on the way, each relative to the
	// struct the previous one points to; off is the leaf's offset in the last struct.
	derefs []uintptr
	off    uintptr
	kind   leafKind
	ptr    bool // the leaf is a [null, T] union: a *T, nil for null
	size   int  // fixed
	scale  int  // decimal
	union  bool // kindGeneric: the field is a map[string]any (a union), not an any
	rest   avroPath
}

// typedExtractor is a record.Extractor on the typed decoder.
type typedExtractor struct {
	typ    reflect.Type
	dec    avro.ValDecoder
	leaves []typedLeaf
	// generic lists the any and map[string]any fields, cleared before each decode: hamba decodes a
	// union into the map it finds there, which would keep the last record's branch.
	generic []typedLeaf
	states  sync.Pool
}

type typedState struct {
	r *avro.Reader
	v unsafe.Pointer // a *typ, reused record after record
}

// pathNode is the trie of the paths' segments below one record.
type pathNode struct {
	kids map[string]*pathNode
	ends bool // a path ends here
}

func (n *pathNode) add(p field.Path) {
	for _, seg := range p {
		k, ok := n.kids[seg]
		if !ok {
			k = &pathNode{kids: map[string]*pathNode{}}
			n.kids[seg] = k
		}
		n = k
	}
	n.ends = true
}

// builtField says how the struct holds one schema field a path reads.
type builtField struct {
	index  int
	schema avro.Schema // the field's schema as written (unions included)
	kind   leafKind
	ptr    bool
	size   int
	scale  int
	union  bool
	sub    *builtRecord // a record (or [null, record]) the paths go through
}

type builtRecord struct {
	typ    reflect.Type
	fields map[string]*builtField
}

var (
	anyType      = reflect.TypeFor[any]()
	unionMapType = reflect.TypeFor[map[string]any]()
)

// buildRecord makes the struct type of rs holding the fields node reads. onStack guards against a
// recursive record, which reflect.StructOf cannot express: it is read generically.
func buildRecord(rs *avro.RecordSchema, node *pathNode, onStack map[string]bool) *builtRecord {
	onStack[rs.FullName()] = true
	defer delete(onStack, rs.FullName())
	br := &builtRecord{fields: map[string]*builtField{}}
	var sfs []reflect.StructField
	for _, f := range rs.Fields() {
		n, ok := node.kids[f.Name()]
		if !ok {
			continue // hamba skips a schema field the struct lacks
		}
		bf := &builtField{index: len(sfs), schema: f.Type()}
		t, null := nullable(deref(f.Type()))
		var gt reflect.Type
		if r, isRec := t.(*avro.RecordSchema); isRec && !n.ends && len(n.kids) > 0 && !onStack[r.FullName()] {
			bf.sub = buildRecord(r, n, onStack)
			gt = bf.sub.typ
		} else if len(n.kids) == 0 {
			gt, bf.kind, bf.size, bf.scale = scalarType(t)
		}
		switch {
		case gt == nil:
			// A generic field: a union keeps ReadNext's {"branch": value} shape.
			bf.kind = kindGeneric
			gt = anyType
			if _, isUnion := deref(f.Type()).(*avro.UnionSchema); isUnion {
				bf.union = true
				gt = unionMapType
			}
		case null:
			bf.ptr = true
			gt = reflect.PointerTo(gt)
		}
		sfs = append(sfs, reflect.StructField{
			Name: "F" + strconv.Itoa(len(sfs)),
			Type: gt,
			Tag:  reflect.StructTag(`avro:"` + f.Name() + `"`),
		})
		br.fields[f.Name()] = bf
	}
	br.typ = reflect.StructOf(sfs)
	return br
}

// genericFields appends the generic fields of br and of the records below it, as leaves.
func (br *builtRecord) genericFields(derefs []uintptr, base uintptr, out []typedLeaf) []typedLeaf {
	for _, bf := range br.fields {
		off := base + br.typ.Field(bf.index).Offset
		switch {
		case bf.sub != nil && bf.ptr:
			out = bf.sub.genericFields(append(append([]uintptr{}, derefs...), off), 0, out)
		case bf.sub != nil:
			out = bf.sub.genericFields(derefs, off, out)
		case bf.kind == kindGeneric:
			out = append(out, typedLeaf{derefs: derefs, off: off, union: bf.union})
		}
	}
	return out
}

// clear zeroes a generic field, if the records above it are there.
func (l *typedLeaf) clear(base unsafe.Pointer) {
	for _, off := range l.derefs {
		if base = *(*unsafe.Pointer)(unsafe.Add(base, off)); base == nil {
			return
		}
	}
	p := unsafe.Add(base, l.off)
	if l.union {
		*(*map[string]any)(p) = nil
	} else {
		*(*any)(p) = nil
	}
}

// nestedUnion names a generic field with a union below its top, or returns "". hamba's typed
// decoding of an any resolves such a union to its branch's bare value, where ReadNext (and so the
// generic path's JSON text) wraps it as {"branch": value}: a schema with one is read generically.
func (br *builtRecord) nestedUnion() string {
	for name, bf := range br.fields {
		if bf.sub != nil {
			if u := bf.sub.nestedUnion(); u != "" {
				return name + "." + u
			}
			continue
		}
		if bf.kind != kindGeneric {
			continue
		}
		s := deref(bf.schema)
		branches := []avro.Schema{s}
		if u, ok := s.(*avro.UnionSchema); ok {
			branches = u.Types()
		}
		for _, b := range branches {
			if hasUnion(deref(b), map[string]bool{}) {
				return name
			}
		}
	}
	return ""
}

// hasUnion reports whether s is or holds a union.
func hasUnion(s avro.Schema, seen map[string]bool) bool {
	switch t := s.(type) {
	case *avro.RefSchema:
		return hasUnion(t.Schema(), seen)
	case *avro.UnionSchema:
		return true
	case *avro.ArraySchema:
		return hasUnion(t.Items(), seen)
	case *avro.MapSchema:
		return hasUnion(t.Values(), seen)
	case *avro.RecordSchema:
		if seen[t.FullName()] {
			return false
		}
		seen[t.FullName()] = true
		for _, f := range t.Fields() {
			if hasUnion(f.Type(), seen) {
				return true
			}
		}
	}
	return false
}

// scalarType is the Go type the typed decoder fills for a leaf schema, or nil when the leaf is read
// generically.
func scalarType(s avro.Schema) (t reflect.Type, kind leafKind, size, scale int) {
	var lt avro.LogicalType
	var ls avro.LogicalSchema
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		ls = l.Logical()
		lt = ls.Type()
	}
	switch s.Type() {
	case avro.Boolean:
		if lt == "" {
			return reflect.TypeFor[bool](), kindBool, 0, 0
		}
	case avro.Int:
		// time-millis is decoded as a time.Duration into an int64: left to the generic path.
		if lt == "" || lt == avro.Date {
			return reflect.TypeFor[int32](), kindInt32, 0, 0
		}
	case avro.Long:
		// time-micros is decoded as a time.Duration (nanoseconds) into an int64: generic too.
		switch lt {
		case "", avro.TimestampMillis, avro.TimestampMicros, avro.LocalTimestampMillis, avro.LocalTimestampMicros:
			return reflect.TypeFor[int64](), kindInt64, 0, 0
		}
	case avro.Float:
		if lt == "" {
			return reflect.TypeFor[float32](), kindFloat32, 0, 0
		}
	case avro.Double:
		if lt == "" {
			return reflect.TypeFor[float64](), kindFloat64, 0, 0
		}
	case avro.String:
		if lt == "" || lt == avro.UUID {
			return reflect.TypeFor[string](), kindString, 0, 0
		}
	case avro.Enum:
		return reflect.TypeFor[string](), kindString, 0, 0
	case avro.Bytes:
		switch lt {
		case "":
			return reflect.TypeFor[[]byte](), kindBytes, 0, 0
		case avro.Decimal:
			return reflect.TypeFor[[]byte](), kindDecimalBytes, 0, ls.(*avro.DecimalLogicalSchema).Scale()
		}
	case avro.Fixed:
		n := s.(*avro.FixedSchema).Size()
		at := reflect.ArrayOf(n, reflect.TypeFor[byte]())
		switch lt {
		case "":
			return at, kindFixed, n, 0
		case avro.Decimal:
			return at, kindDecimalFixed, n, ls.(*avro.DecimalLogicalSchema).Scale()
		}
	}
	return nil, kindGeneric, 0, 0
}

// newTypedExtractor compiles paths against the writer schema s (a record). It fails only when hamba
// cannot make a decoder for the built type, which the caller answers with the generic extractor.
func newTypedExtractor(s avro.Schema, paths []field.Path) (_ *typedExtractor, err error) {
	rs, ok := deref(s).(*avro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("avro schema: not a record")
	}
	root := &pathNode{kids: map[string]*pathNode{}}
	for _, p := range paths {
		if len(p) > 0 {
			root.add(p)
		}
	}
	defer func() {
		// reflect.StructOf panics on what it cannot build; the generic path can still read it.
		if r := recover(); r != nil {
			err = fmt.Errorf("avro schema: typed decoding: %v", r)
		}
	}()
	br := buildRecord(rs, root, map[string]bool{})
	if u := br.nestedUnion(); u != "" {
		return nil, fmt.Errorf("avro schema: field %s is read whole and holds a union inside", u)
	}
	e := &typedExtractor{typ: br.typ}
	e.generic = br.genericFields(nil, 0, nil)
	e.dec = avro.DefaultConfig.DecoderOf(s, reflect2.Type2(reflect.PointerTo(br.typ)))
	for _, p := range paths {
		e.leaves = append(e.leaves, compileTyped(br, p))
	}
	e.states.New = func() any {
		return &typedState{r: avro.NewReader(nil, 0), v: reflect.New(e.typ).UnsafePointer()}
	}
	return e, nil
}

func compileTyped(br *builtRecord, p field.Path) typedLeaf {
	var l typedLeaf
	if len(p) == 0 {
		l.none = true
		return l
	}
	var base uintptr
	for i, seg := range p {
		bf, ok := br.fields[seg]
		if !ok {
			l.none = true
			return l
		}
		off := base + br.typ.Field(bf.index).Offset
		if bf.sub != nil {
			if i == len(p)-1 {
				// Cannot happen: a field a path ends at is never built as a struct.
				l.none = true
				return l
			}
			if bf.ptr {
				l.derefs = append(l.derefs, off)
				base = 0
			} else {
				base = off
			}
			br = bf.sub
			continue
		}
		l.off, l.kind, l.ptr, l.size, l.scale, l.union = off, bf.kind, bf.ptr, bf.size, bf.scale, bf.union
		if bf.kind == kindGeneric {
			l.rest = compilePath(bf.schema, p[i+1:])
			return l
		}
		if i != len(p)-1 {
			// A path into a scalar names nothing.
			l.none = true
		}
		return l
	}
	return l
}

// Extract decodes value (header included) and fills out. It is safe for concurrent use.
func (e *typedExtractor) Extract(value []byte, out []field.Value, scratch []byte) ([]byte, error) {
	_, body, err := Split(value)
	if err != nil {
		return scratch, err
	}
	st := e.states.Get().(*typedState)
	defer e.states.Put(st)
	r := st.r
	r.Reset(body)
	r.Error = nil
	for i := range e.generic {
		e.generic[i].clear(st.v)
	}
	e.dec.Decode(st.v, r)
	if r.Error != nil {
		return scratch, fmt.Errorf("%w: %v", ErrDecode, r.Error)
	}
	if r.Peek(); r.Error == nil {
		// Trailing bytes mean the value was written with another schema than its id names.
		return scratch, fmt.Errorf("%w: bytes left after the record", ErrDecode)
	}
	for i := range e.leaves {
		out[i], scratch = e.leaves[i].read(st.v, scratch)
	}
	return scratch, nil
}

func (l *typedLeaf) read(base unsafe.Pointer, scratch []byte) (field.Value, []byte) {
	if l.none {
		return field.Value{}, scratch
	}
	for _, off := range l.derefs {
		base = *(*unsafe.Pointer)(unsafe.Add(base, off))
		if base == nil {
			return field.Value{Kind: field.Null}, scratch // under a null record
		}
	}
	p := unsafe.Add(base, l.off)
	if l.kind == kindGeneric {
		var v any
		if l.union {
			if m := *(*map[string]any)(p); m != nil {
				v = m
			}
		} else {
			v = *(*any)(p)
		}
		return toValue(l.rest.walk(v), &l.rest, scratch)
	}
	if l.ptr {
		p = *(*unsafe.Pointer)(p)
		if p == nil {
			return field.Value{Kind: field.Null}, scratch
		}
	}
	start := len(scratch)
	switch l.kind {
	case kindBool:
		if *(*bool)(p) {
			return field.Value{Kind: field.Bool, Bytes: trueText}, scratch
		}
		return field.Value{Kind: field.Bool, Bytes: falseText}, scratch
	case kindInt32:
		scratch = strconv.AppendInt(scratch, int64(*(*int32)(p)), 10)
		return numberFrom(scratch, start)
	case kindInt64:
		scratch = strconv.AppendInt(scratch, *(*int64)(p), 10)
		return numberFrom(scratch, start)
	case kindFloat32:
		scratch = strconv.AppendFloat(scratch, float64(*(*float32)(p)), 'g', -1, 32)
		return numberFrom(scratch, start)
	case kindFloat64:
		scratch = strconv.AppendFloat(scratch, *(*float64)(p), 'g', -1, 64)
		return numberFrom(scratch, start)
	case kindString:
		// hamba carves each string out of the reader's slab and never writes that memory again, so
		// its bytes can be handed on without a copy (the struct is reused; the string is not).
		s := *(*string)(p)
		return field.Value{Kind: field.String, Bytes: unsafe.Slice(unsafe.StringData(s), len(s))}, scratch
	case kindBytes:
		// Capped: the slice is carved out of the reader's slab, whose next bytes are later strings.
		b := *(*[]byte)(p)
		return field.Value{Kind: field.String, Bytes: b[:len(b):len(b)]}, scratch
	case kindFixed:
		// The array lives in the reused struct: copy it out.
		scratch = append(scratch, unsafe.Slice((*byte)(p), l.size)...)
		return field.Value{Kind: field.String, Bytes: scratch[start:len(scratch):len(scratch)]}, scratch
	case kindDecimalBytes:
		scratch = appendDecimal(scratch, *(*[]byte)(p), l.scale)
		return numberFrom(scratch, start)
	case kindDecimalFixed:
		scratch = appendDecimal(scratch, unsafe.Slice((*byte)(p), l.size), l.scale)
		return numberFrom(scratch, start)
	}
	return field.Value{}, scratch
}

// A field.Value's bytes are read, never written: one copy of each boolean serves every record
// ([]byte("true") in read allocated per record).
var trueText, falseText = []byte("true"), []byte("false")

// numberFrom is the number formatted into scratch from start. (A closure capturing scratch made
// it escape: one allocation per record.)
func numberFrom(scratch []byte, start int) (field.Value, []byte) {
	return field.Value{Kind: field.Number, Bytes: scratch[start:len(scratch):len(scratch)]}, scratch
}

// appendDecimal appends the decimal whose unscaled value is the big-endian two's-complement b, with
// scale digits after the point: the text big.Rat.FloatString(scale) gives for it, which the generic
// path produced.
func appendDecimal(dst, b []byte, scale int) []byte {
	if len(b) == 0 {
		// hamba's decimal of no bytes is 0.
		b = []byte{0}
	}
	if len(b) <= 8 {
		var buf [8]byte
		fill := byte(0)
		if b[0]&0x80 != 0 {
			fill = 0xff
		}
		for i := range 8 - len(b) {
			buf[i] = fill
		}
		copy(buf[8-len(b):], b)
		n := int64(binary.BigEndian.Uint64(buf[:]))
		if n != math.MinInt64 {
			neg := n < 0
			if neg {
				n = -n
				dst = append(dst, '-')
			}
			return appendScaled(dst, strconv.AppendUint(nil, uint64(n), 10), scale)
		}
	}
	i := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		i.Sub(i, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	if i.Sign() < 0 {
		dst = append(dst, '-')
		i.Neg(i)
	}
	return appendScaled(dst, i.Append(nil, 10), scale)
}

// appendScaled appends the digits of an unsigned unscaled value with a point scale digits from the
// right, padding with zeros ("5", 2 → "0.05").
func appendScaled(dst, digits []byte, scale int) []byte {
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for range scale - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}
