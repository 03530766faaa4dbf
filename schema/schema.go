// Package schema turns a topic's declared columns into a Parquet schema and each record into a
// Parquet row. It is the last stage that may reject a record: everything that can be wrong with one
// record (a missing required field, a string in an int column, 4.5 or 1e3 where an integer belongs,
// an overflow, invalid UTF-8) is caught here, before the row reaches a file, so a bad record goes to
// the dead-letter place with its offset and the batch goes on.
//
// Rows are built by position from one mapping (without LIST, MAP or group columns, column i of the
// schema is value i of the row; a nested column's leaves follow from its first leaf's index), with
// no reflection and no map[string]any: parquet-go's WriteRows validates nothing, so the mapping is
// the one place that must be right, and the tests read every type back with an independent reader.
//
// schema.go compiles declared columns into the Parquet schema; row.go converts a record's fields
// into a row; raw.go appends the metadata columns and the raw rows of format raw and dead letters;
// nested.go and nestedjson.go shred LIST, MAP and group columns.
package schema

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// Column types accepted in config.
const (
	TypeString          = "string"
	TypeInt32           = "int32"
	TypeInt64           = "int64"
	TypeFloat           = "float"
	TypeDouble          = "double"
	TypeBoolean         = "boolean"
	TypeTimestampMillis = "timestamp-millis"
	TypeTimestampMicros = "timestamp-micros"
	TypeDate            = "date"
	TypeBytes           = "bytes"
)

// conv is a column type as the hot path switches on it: comparing the type's name for every value
// of every record cost a few percent of the load.
type conv uint8

const (
	convNone conv = iota
	convString
	convInt32
	convInt64
	convFloat
	convDouble
	convBoolean
	convTimestampMillis
	convTimestampMicros
	convDate
	convBytes
	convDecimal
)

var convOf = map[string]conv{
	TypeString: convString, TypeInt32: convInt32, TypeInt64: convInt64, TypeFloat: convFloat,
	TypeDouble: convDouble, TypeBoolean: convBoolean, TypeTimestampMillis: convTimestampMillis,
	TypeTimestampMicros: convTimestampMicros, TypeDate: convDate, TypeBytes: convBytes,
}

// TypeNames lists the column types, for messages and docs.
var TypeNames = []string{TypeString, TypeInt32, TypeInt64, TypeFloat, TypeDouble, TypeBoolean,
	TypeTimestampMillis, TypeTimestampMicros, TypeDate, TypeBytes, TypeDecimal}

// Metadata column names, present in every format so any reader can check what landed.
const (
	ColTopic     = "kafka_topic"
	ColPartition = "kafka_partition"
	ColOffset    = "kafka_offset"
	ColTimestamp = "kafka_timestamp"
	ColKey       = "kafka_key"
)

// Column is one entry of a topic's `schema:` list.
type Column struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// Field is the source field path (dotted, nested), @key or @header.NAME. Default: Name.
	Field string `yaml:"field,omitempty"`
	// Required columns reject records where the field is missing or null (unless Default is set).
	Required bool `yaml:"required,omitempty"`
	// Default is used when the field is missing or null; it is converted like a JSON value.
	Default any `yaml:"default,omitempty"`
	// Format says how timestamp and date columns read strings and numbers: a field.TimeFormat
	// name. Default: a number is in the column's unit (millis, micros, days) and a string is
	// RFC3339 (date: 2006-01-02). For bytes, "base64" decodes a base64 string.
	Format string `yaml:"format,omitempty"`
	// Elem is a list column's element or a map column's value; Fields are a group column's
	// members (nested.go). Derived from registry writer schemas only.
	Elem   *Column  `yaml:"-"`
	Fields []Column `yaml:"-"`
}

// Kind picks the record → row mapping.
type Kind int

const (
	// JSON rows hold the declared columns, then the metadata columns.
	JSON Kind = iota
	// Raw rows hold the metadata columns, then value (bytes) and headers (list of key/value).
	Raw
	// DeadLetter rows hold the raw columns plus error and stage: why and where a record failed.
	DeadLetter
)

// Schema is a compiled topic schema: the Parquet schema and the mapping that fills its rows.
type Schema struct {
	kind    Kind
	parquet *parquet.Schema
	cols    []column // declared columns (JSON kind)
	meta    int      // index of the first metadata column
	codec   compress.Codec
	// keyString says kafka_key is a STRING column, so a key must be valid UTF-8 to be written.
	keyString bool
	// footer is extra key/value metadata for the files written with the schema (footer.go).
	footer [][2]string
	// topic is the last topic name topicBytes made bytes of, shared with WithFooter's copies.
	topic *atomic.Pointer[topicName]
	// nested says a declared column is a LIST, MAP or group: values no longer sit at their
	// column's index (nested.go).
	nested bool
	// leaves is the number of the Parquet schema's leaf columns; repeats says one of them repeats
	// (a LIST or MAP, or the raw kinds' headers), so a row may hold more values than leaves.
	leaves  int
	repeats bool
}

type column struct {
	name     string
	field    string // source field, for messages
	typ      string
	conv     conv
	slot     record.Slot
	required bool
	def      *parquet.Value // converted default
	timeFmt  *field.TimeFormat
	base64   bool
	dec      *decimalSpec // decimal(P,S) columns
	leaf     int          // the Parquet column index of its (first) leaf
	nested   *shape       // list, map and group columns (nested.go)
}

// Options are the knobs shared by every schema of a run.
type Options struct {
	// Compression codec: snappy (default), gzip, zstd, none.
	Compression string
	// KeyAsString stores kafka_key as a UTF-8 string column instead of bytes.
	KeyAsString bool
}

// Codec returns the compression codec named by s.
func Codec(s string) (compress.Codec, error) {
	switch strings.ToLower(s) {
	case "", "snappy":
		return fastSnappy{}, nil
	case "gzip":
		return &parquet.Gzip, nil
	case "zstd":
		return &parquet.Zstd, nil
	case "none", "uncompressed":
		return &parquet.Uncompressed, nil
	}
	return nil, fmt.Errorf("unknown compression %q: use snappy, gzip, zstd or none", s)
}

// NewJSON compiles declared columns against the topic's layout (after its interceptors ran, so
// renamed and added fields resolve). Errors name the column and key: "schema[2].type: ...".
func NewJSON(cols []Column, layout *record.Layout, opts Options) (*Schema, error) {
	if len(cols) == 0 {
		return nil, errors.New("schema: format json needs at least one column; list them under schema, or use format raw")
	}
	s := &Schema{kind: JSON}
	var (
		errs  []error
		nodes []namedNode
		seen  = map[string]int{}
	)
	for i, c := range cols {
		at := fmt.Sprintf("schema[%d]", i)
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: missing; every column needs a name", at))
			continue
		}
		if j, dup := seen[c.Name]; dup {
			errs = append(errs, fmt.Errorf("%s.name: %q is already schema[%d]; column names must be unique", at, c.Name, j))
			continue
		}
		seen[c.Name] = i
		if isMetaName(c.Name) {
			errs = append(errs, fmt.Errorf("%s.name: %q is a metadata column the loader adds itself; pick another name", at, c.Name))
			continue
		}
		col, node, err := compileColumn(c, layout)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%w", at, err))
			continue
		}
		s.cols = append(s.cols, col)
		nodes = append(nodes, namedNode{c.Name, node})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range s.cols {
		s.cols[i].leaf = s.meta
		s.meta += s.cols[i].leafCount()
		s.nested = s.nested || s.cols[i].nested != nil
	}
	nodes = append(nodes, metaNodes(opts)...)
	return s.finish(nodes, opts)
}

// NewRaw is the schema of format raw: metadata columns, value and headers, untouched.
func NewRaw(opts Options) (*Schema, error) {
	s := &Schema{kind: Raw}
	return s.finish(append(metaNodes(opts), rawNodes()...), opts)
}

// NewDeadLetter is the schema of the dead-letter files: the raw columns plus error and stage.
// Dead letters keep records verbatim, so kafka_key is bytes even when opts.KeyAsString is set: a
// key that is not UTF-8 is a reason to dead-letter a record, and must not make its dead letter fail.
func NewDeadLetter(opts Options) (*Schema, error) {
	s := &Schema{kind: DeadLetter}
	opts.KeyAsString = false
	nodes := append(metaNodes(opts), rawNodes()...)
	nodes = append(nodes, namedNode{"error", parquet.Required(stringNode())}, namedNode{"stage", parquet.Required(stringNode())})
	return s.finish(nodes, opts)
}

func (s *Schema) finish(nodes []namedNode, opts Options) (*Schema, error) {
	codec, err := Codec(opts.Compression)
	if err != nil {
		return nil, fmt.Errorf("compression: %w", err)
	}
	s.codec = codec
	s.keyString = opts.KeyAsString
	s.topic = new(atomic.Pointer[topicName])
	s.parquet = parquet.NewSchema("record", orderedGroup(nodes))
	paths := s.parquet.Columns()
	s.leaves = len(paths)
	for _, path := range paths {
		if leaf, _ := s.parquet.Lookup(path...); leaf.MaxRepetitionLevel > 0 {
			s.repeats = true
		}
	}
	return s, nil
}

// Parquet returns the Parquet schema, for the writer.
func (s *Schema) Parquet() *parquet.Schema { return s.parquet }

// Leaves is the number of leaf columns of the Parquet schema: a row holds a value for each, and
// more if a column Repeats.
func (s *Schema) Leaves() int { return s.leaves }

// Repeats says whether a leaf column repeats (a LIST or MAP column, or the raw kinds' headers):
// if not, every row holds exactly one value per leaf, in order.
func (s *Schema) Repeats() bool { return s.repeats }

// Codec returns the compression codec every column uses.
func (s *Schema) Codec() compress.Codec { return s.codec }

// Kind returns which mapping fills the schema's rows.
func (s *Schema) Kind() Kind { return s.kind }

// ColumnInfo names a declared column and the field it reads.
type ColumnInfo struct{ Name, Field string }

// Columns lists the declared columns (JSON kind), in row order: a Row's value i is column i's.
func (s *Schema) Columns() []ColumnInfo {
	out := make([]ColumnInfo, len(s.cols))
	for i, c := range s.cols {
		out[i] = ColumnInfo{Name: c.name, Field: c.field}
	}
	return out
}

func isMetaName(n string) bool {
	switch n {
	case ColTopic, ColPartition, ColOffset, ColTimestamp, ColKey:
		return true
	}
	return false
}

func metaNodes(opts Options) []namedNode {
	key := parquet.Optional(bytesNode())
	if opts.KeyAsString {
		key = parquet.Optional(stringNode())
	}
	return []namedNode{
		{ColTopic, parquet.Required(dict(parquet.String()))},
		{ColPartition, parquet.Required(parquet.Int(32))},
		{ColOffset, parquet.Required(parquet.Int(64))},
		{ColTimestamp, parquet.Required(parquet.Timestamp(parquet.Millisecond))},
		{ColKey, key},
	}
}

// rawNodes are value (null for tombstones) and headers as a standard three-level LIST of
// key/value structs: headers may repeat a key, so a MAP would lose data.
func rawNodes() []namedNode {
	return []namedNode{
		{"value", parquet.Optional(bytesNode())},
		{"headers", parquet.List(orderedGroup{
			{"key", parquet.Required(stringNode())},
			{"value", parquet.Optional(bytesNode())},
		})},
	}
}

// dict dictionary-encodes a column. Only kafka_topic is: one value per file. Declared string columns
// are plain, because parquet-go inserts every value of a dictionary column into a Go map and only
// gives up on the dictionary at 1 GiB (DictionaryMaxBytes is unset), so ids, URLs and hashes cost a
// map insert each, about a fifth of the loader's CPU on the sample events, and made the files
// larger, not smaller: snappy shrinks repeated short strings in plain pages about as well.
func dict(n parquet.Node) parquet.Node { return parquet.Encoded(n, &parquet.RLEDictionary) }

func compileColumn(c Column, layout *record.Layout) (column, parquet.Node, error) {
	src := c.Field
	if src == "" {
		src = c.Name
	}
	col := column{name: c.Name, field: src, typ: c.Type, conv: convOf[c.Type], required: c.Required}
	slot, err := layout.Read(src)
	if err != nil {
		return col, nil, fmt.Errorf("field: %w", err)
	}
	col.slot = slot
	var node parquet.Node
	switch c.Type {
	case TypeString:
		node = stringNode()
	case TypeInt32:
		node = parquet.Int(32)
	case TypeInt64:
		node = parquet.Int(64)
	case TypeFloat:
		node = parquet.Leaf(parquet.FloatType)
	case TypeDouble:
		node = parquet.Leaf(parquet.DoubleType)
	case TypeBoolean:
		node = parquet.Leaf(parquet.BooleanType)
	case TypeTimestampMillis:
		node = parquet.Timestamp(parquet.Millisecond)
	case TypeTimestampMicros:
		node = parquet.Timestamp(parquet.Microsecond)
	case TypeDate:
		node = parquet.Date()
	case TypeBytes:
		node = bytesNode()
	case TypeList, TypeMap, TypeGroup:
		return compileNested(c, col)
	case "":
		return col, nil, fmt.Errorf("type: missing; use one of %s", strings.Join(TypeNames, ", "))
	default:
		if isDecimalType(c.Type) {
			if col.dec, err = parseDecimalType(c.Type); err != nil {
				return col, nil, fmt.Errorf("type: %w", err)
			}
			col.conv, node = convDecimal, col.dec.node()
			break
		}
		return col, nil, fmt.Errorf("type: unknown type %q; use one of %s", c.Type, strings.Join(TypeNames, ", "))
	}
	if c.Format != "" {
		switch c.Type {
		case TypeTimestampMillis, TypeTimestampMicros, TypeDate:
			tf, err := field.ParseTimeFormat(c.Format, time.UTC)
			if err != nil {
				return col, nil, fmt.Errorf("format: %w", err)
			}
			col.timeFmt = &tf
		case TypeBytes:
			if c.Format != "base64" {
				return col, nil, fmt.Errorf("format: %q is not a bytes format; bytes columns take format base64 or none", c.Format)
			}
			col.base64 = true
		default:
			return col, nil, fmt.Errorf("format: type %s takes no format; format is for timestamp, date and bytes columns", c.Type)
		}
	}
	if c.Default != nil {
		var pv parquet.Value
		if t, ok := c.Default.(time.Time); ok && col.isTime() {
			// YAML reads an unquoted 2026-01-02 or RFC3339 time as a time.Time: it is an instant,
			// whatever format the column reads from records.
			pv, err = col.fromTime(t)
		} else {
			var v field.Value
			if col.dec != nil {
				if err = col.dec.checkDefault(c.Default); err != nil {
					return col, nil, fmt.Errorf("default: %w", err)
				}
			}
			if v, err = defaultValue(c.Default); err != nil {
				return col, nil, fmt.Errorf("default: %w", err)
			}
			pv, err = col.convert(v, nil)
		}
		if err != nil {
			return col, nil, fmt.Errorf("default: %v does not fit type %s: %w", c.Default, c.Type, err)
		}
		// The converted value may alias a scratch buffer; defaults must own their bytes.
		pv = pv.Clone()
		col.def = &pv
	}
	if c.Required {
		node = parquet.Required(node)
	} else {
		node = parquet.Optional(node)
	}
	return col, node, nil
}

func defaultValue(d any) (field.Value, error) {
	switch v := d.(type) {
	case string:
		return field.StringValue(v), nil
	case bool:
		return field.Value{Kind: field.Bool, Bytes: []byte(strconv.FormatBool(v))}, nil
	case int:
		return field.Value{Kind: field.Number, Bytes: []byte(strconv.Itoa(v))}, nil
	case int64:
		return field.Value{Kind: field.Number, Bytes: []byte(strconv.FormatInt(v, 10))}, nil
	case uint64:
		return field.Value{Kind: field.Number, Bytes: []byte(strconv.FormatUint(v, 10))}, nil
	case float64:
		return field.Value{Kind: field.Number, Bytes: []byte(strconv.FormatFloat(v, 'g', -1, 64))}, nil
	case time.Time:
		return field.StringValue(v.Format(time.RFC3339Nano)), nil
	}
	return field.Value{}, fmt.Errorf("%v (%T) is not a scalar; use a string, number or boolean", d, d)
}

type namedNode struct {
	name string
	node parquet.Node
}

// orderedGroup is a group whose columns keep the order they were declared in. parquet.Group is a
// map and sorts its fields by name, which would scatter a user's schema in every reader's output.
type orderedGroup []namedNode

var _ parquet.Node = orderedGroup(nil)

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return g.group().String() }
func (g orderedGroup) Type() parquet.Type          { return g.group().Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return g.group().GoType() }
func (g orderedGroup) group() parquet.Group {
	m := make(parquet.Group, len(g))
	for _, n := range g {
		m[n.name] = n.node
	}
	return m
}

func (g orderedGroup) Fields() []parquet.Field {
	fs := make([]parquet.Field, len(g))
	for i, n := range g {
		fs[i] = &groupField{Node: n.node, name: n.name}
	}
	return fs
}

type groupField struct {
	parquet.Node
	name string
}

func (f *groupField) Name() string { return f.name }

func (f *groupField) Value(base reflect.Value) reflect.Value {
	// Rows are written by position, never from Go values, so reflection never reaches here.
	panic("schema: orderedGroup fields are not readable through reflection")
}
