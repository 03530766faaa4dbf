package codec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Avro is one Avro writer schema, compiled for the loader: the columns it derives and the
// extractors that read a value's fields.
type Avro struct {
	schema avro.Schema
	cols   []schema.Column
	// defaults holds the columns whose field (or a record above it) has a default.
	defaults map[string]bool
	// groups: records are group columns (nested: group), not flattened.
	groups bool
	// nested holds the list, map and group columns by field path (avronested.go).
	nested map[string]*schema.Column
}

// Options choose how a writer schema (of any registry format) becomes columns.
type Options struct {
	// Groups makes a record (message, object) field one group column (the topic's nested: group)
	// instead of a column per leaf named parent_child (nested: flatten, the default).
	Groups bool
}

// ParseAvro parses an Avro writer schema (the registry's schema text) and derives its columns,
// records flattened. The top-level schema must be a record.
func ParseAvro(text string) (*Avro, error) { return ParseAvroWith(text, Options{}) }

// ParseAvroWith is ParseAvro with options.
func ParseAvroWith(text string, o Options) (*Avro, error) {
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("avro schema: %w", err)
	}
	rs, ok := deref(s).(*avro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("avro schema: the value schema is a %s; the loader needs a record to make columns of", s.Type())
	}
	a := &Avro{schema: s, defaults: map[string]bool{}, groups: o.Groups, nested: map[string]*schema.Column{}}
	seen := map[string]string{}
	if err := a.derive(rs, nil, false, false, seen, map[string]bool{}); err != nil {
		return nil, err
	}
	return a, nil
}

// Columns returns the derived columns: one per field, nested records flattened (one column per
// leaf, named by their path joined with "_") or groups (Options.Groups); arrays, maps and
// unions other than [null, T] are list, map and group columns (avronested.go). A field is required
// unless it (or a record above it) is a union with null.
func (a *Avro) Columns() []schema.Column { return a.cols }

// HasDefault reports whether the field of a derived column has a default in the schema (so that
// adding it is a backward-compatible change).
func (a *Avro) HasDefault(column string) bool { return a.defaults[column] }

// Schema is the parsed writer schema.
func (a *Avro) Schema() avro.Schema { return a.schema }

func deref(s avro.Schema) avro.Schema {
	if r, ok := s.(*avro.RefSchema); ok {
		return r.Schema()
	}
	return s
}

// nullable returns the non-null branch of a [null, T] or [T, null] union, and whether s is one.
func nullable(s avro.Schema) (avro.Schema, bool) {
	u, ok := s.(*avro.UnionSchema)
	if !ok || !u.Nullable() {
		return s, false
	}
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			return deref(t), true
		}
	}
	return s, false
}

// onStack holds the records being flattened: a record that contains itself (a linked list, a tree)
// would flatten forever, so its recursive field is one column holding the JSON text, as Protobuf's
// recursive messages are.
func (a *Avro) derive(rs *avro.RecordSchema, prefix field.Path, optional, hasDefault bool, seen map[string]string, onStack map[string]bool) error {
	onStack[rs.FullName()] = true
	defer delete(onStack, rs.FullName())
	for _, f := range rs.Fields() {
		path := append(append(field.Path{}, prefix...), f.Name())
		t, null := nullable(deref(f.Type()))
		opt := optional || null || hasNull(t)
		def := hasDefault || f.HasDefault()
		if r, ok := t.(*avro.RecordSchema); ok && !onStack[r.FullName()] && !a.groups {
			if err := a.derive(r, path, opt, def, seen, onStack); err != nil {
				return err
			}
			continue
		}
		name := strings.Join(path, "_")
		if other, dup := seen[name]; dup {
			return fmt.Errorf("avro schema: fields %s and %s both flatten to column %q", other, path, name)
		}
		seen[name] = path.String()
		if def {
			a.defaults[name] = true
		}
		c := schema.Column{Name: name, Field: path.String(), Required: !opt}
		shapeColumn(&c, t, onStack)
		if schema.IsNested(c.Type) {
			a.nested[c.Field] = &c
		}
		a.cols = append(a.cols, c)
	}
	return nil
}

// columnType is the loader's column type for an Avro leaf schema.
func columnType(s avro.Schema) string {
	var ls avro.LogicalSchema
	if l, ok := s.(avro.LogicalTypeSchema); ok {
		ls = l.Logical()
	}
	if ls != nil {
		switch ls.Type() {
		case avro.Date:
			return schema.TypeDate
		case avro.TimestampMillis:
			return schema.TypeTimestampMillis
		case avro.TimestampMicros:
			return schema.TypeTimestampMicros
		case avro.Decimal:
			d := ls.(*avro.DecimalLogicalSchema)
			return fmt.Sprintf("decimal(%d,%d)", d.Precision(), d.Scale())
		}
	}
	switch s.Type() {
	case avro.Boolean:
		return schema.TypeBoolean
	case avro.Int:
		return schema.TypeInt32
	case avro.Long:
		return schema.TypeInt64
	case avro.Float:
		return schema.TypeFloat
	case avro.Double:
		return schema.TypeDouble
	case avro.Bytes, avro.Fixed:
		return schema.TypeBytes
	}
	// string, enum, uuid; and the fallback for other unions, arrays and maps: their JSON text.
	return schema.TypeString
}

// Extractor returns a record.Extractor that reads paths out of a wire-format value written with
// this schema. Paths go through records and nullable unions (and map keys); a path into anything
// else, or naming no field, reads Missing.
func (a *Avro) Extractor(paths []field.Path) (record.Extractor, error) {
	if t, err := newTypedExtractor(a.schema, paths); err == nil {
		for i := range t.leaves {
			if t.leaves[i].kind == kindGeneric {
				t.leaves[i].rest.col = a.nested[paths[i].String()]
			}
		}
		return t, nil
	}
	return a.genericExtractor(paths), nil
}

// genericExtractor decodes with Reader.ReadNext into maps: the fallback for a schema the typed
// extractor cannot build a struct for, and the reference its tests compare against.
func (a *Avro) genericExtractor(paths []field.Path) *avroExtractor {
	e := &avroExtractor{schema: a.schema}
	for _, p := range paths {
		ap := compilePath(a.schema, p)
		ap.col = a.nested[p.String()]
		e.paths = append(e.paths, ap)
	}
	return e
}

// avroPath is a path compiled against the schema: which steps meet a union branch to step
// through (the generic decoding wraps a union's value as {"type name": value}), and the leaf's
// logical type, which the decoded value does not carry (a time.Time may be a date or a timestamp).
type avroPath struct {
	segs    field.Path
	unwrap  []bool // unwrap[i]: the value met before segs[i] (i == len(segs): the leaf) is a union branch
	none    bool   // the path names nothing in the schema
	logical avro.LogicalType
	scale   int
	leaf    avro.Schema    // the schema of the value walk returns
	col     *schema.Column // the path's list, map or group column: toValue writes its JSON form
}

func compilePath(s avro.Schema, p field.Path) avroPath {
	ap := avroPath{segs: p, unwrap: make([]bool, len(p)+1)}
	for i, seg := range p {
		var null bool
		s, null = nullable(deref(s))
		ap.unwrap[i] = null
		switch t := s.(type) {
		case *avro.RecordSchema:
			var next avro.Schema
			for _, f := range t.Fields() {
				if f.Name() == seg {
					next = f.Type()
				}
			}
			if next == nil {
				ap.none = true
				return ap
			}
			s = next
		case *avro.MapSchema:
			s = t.Values()
		default:
			ap.none = true
			return ap
		}
	}
	s, ap.unwrap[len(p)] = nullable(deref(s))
	ap.leaf = s
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		ap.logical = l.Logical().Type()
		if d, ok := l.Logical().(*avro.DecimalLogicalSchema); ok {
			ap.scale = d.Scale()
		}
	}
	return ap
}

type avroExtractor struct {
	schema avro.Schema
	paths  []avroPath
}

// ErrDecode means a value's body does not decode with its writer schema.
var ErrDecode = errors.New("avro value does not decode with its writer schema")

var readers = sync.Pool{New: func() any { return avro.NewReader(nil, 0) }}

// Extract decodes value (header included) and fills out. It is safe for concurrent use: every
// partition of a topic shares the extractor.
func (e *avroExtractor) Extract(value []byte, out []field.Value, scratch []byte) ([]byte, error) {
	_, body, err := Split(value)
	if err != nil {
		return scratch, err
	}
	r := readers.Get().(*avro.Reader)
	defer readers.Put(r)
	r.Reset(body)
	r.Error = nil
	v := r.ReadNext(e.schema)
	if r.Error != nil {
		return scratch, fmt.Errorf("%w: %v", ErrDecode, r.Error)
	}
	if r.Peek(); r.Error == nil {
		// Trailing bytes mean the value was written with another schema than its id names.
		return scratch, fmt.Errorf("%w: bytes left after the record", ErrDecode)
	}
	for i := range e.paths {
		p := &e.paths[i]
		if p.none {
			out[i] = field.Value{}
			continue
		}
		out[i], scratch = toValue(p.walk(v), p, scratch)
	}
	return scratch, nil
}

// absent marks a path that does not exist in the value (as opposed to a null).
type absent struct{}

func (p *avroPath) walk(v any) any {
	for i := 0; ; i++ {
		if p.unwrap[i] {
			v = branch(v)
		}
		if i == len(p.segs) {
			return v
		}
		m, ok := v.(map[string]any)
		if !ok {
			if v == nil {
				return nil // under a null record: null
			}
			return absent{}
		}
		if v, ok = m[p.segs[i]]; !ok {
			return absent{}
		}
	}
}

// branch returns the value of a union branch {"type name": value}; null stays nil.
func branch(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for _, inner := range m {
			return inner
		}
	}
	return v
}

func toValue(v any, lf *avroPath, scratch []byte) (field.Value, []byte) {
	num := func(b []byte) (field.Value, []byte) {
		start := len(scratch)
		scratch = append(scratch, b...)
		return field.Value{Kind: field.Number, Bytes: scratch[start:len(scratch):len(scratch)]}, scratch
	}
	appendNum := func(n int64) (field.Value, []byte) {
		start := len(scratch)
		scratch = strconv.AppendInt(scratch, n, 10)
		return field.Value{Kind: field.Number, Bytes: scratch[start:len(scratch):len(scratch)]}, scratch
	}
	switch v.(type) {
	case absent:
		return field.Value{}, scratch
	case nil:
		return field.Value{Kind: field.Null}, scratch
	}
	if lf.col != nil {
		return nestedValue(v, lf.leaf, lf.col, scratch)
	}
	switch x := v.(type) {
	case bool:
		if x {
			return field.Value{Kind: field.Bool, Bytes: []byte("true")}, scratch
		}
		return field.Value{Kind: field.Bool, Bytes: []byte("false")}, scratch
	case int:
		return appendNum(int64(x))
	case int64:
		return appendNum(x)
	case float32:
		return num(strconv.AppendFloat(nil, float64(x), 'g', -1, 32))
	case float64:
		return num(strconv.AppendFloat(nil, x, 'g', -1, 64))
	case string:
		// The decoder allocated the string for this value alone and nothing writes to it: its
		// bytes can be handed on without a second copy.
		return field.Value{Kind: field.String, Bytes: unsafe.Slice(unsafe.StringData(x), len(x))}, scratch
	case []byte:
		return field.Value{Kind: field.String, Bytes: x}, scratch
	case time.Time:
		switch lf.logical {
		case avro.Date:
			return appendNum(floorDiv(x.Unix(), 86400))
		case avro.TimestampMicros, avro.LocalTimestampMicros:
			return appendNum(x.UnixMicro())
		default:
			return appendNum(x.UnixMilli())
		}
	case time.Duration:
		if lf.logical == avro.TimeMicros {
			return appendNum(x.Microseconds())
		}
		return appendNum(x.Milliseconds())
	case *big.Rat:
		return num([]byte(x.FloatString(lf.scale)))
	case map[string]any:
		b, _ := json.Marshal(x)
		return field.Value{Kind: field.Object, Bytes: b}, scratch
	case []any:
		b, _ := json.Marshal(x)
		return field.Value{Kind: field.Array, Bytes: b}, scratch
	}
	// A fixed is decoded as a [N]byte array.
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return field.Value{Kind: field.String, Bytes: b}, scratch
	}
	b, _ := json.Marshal(v)
	return field.Value{Kind: field.String, Bytes: b}, scratch
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
