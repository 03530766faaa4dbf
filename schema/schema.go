// Package schema turns a topic's declared columns into a Parquet schema and each record into a
// Parquet row. It is the last stage that may reject a record: everything that can be wrong with one
// record (a missing required field, a string in an int column, 4.5 or 1e3 where an integer belongs,
// an overflow, invalid UTF-8) is caught here, before the row reaches a file, so a bad record goes to
// the dead-letter place with its offset and the batch goes on.
//
// Rows are built by position from one mapping (column i of the schema is value i of the row), with
// no reflection and no map[string]any: parquet-go's WriteRows validates nothing, so the mapping is
// the one place that must be right, and the tests read every type back with an independent reader.
package schema

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	nodes = append(nodes, namedNode{"error", parquet.Required(parquet.String())}, namedNode{"stage", parquet.Required(parquet.String())})
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
	return s, nil
}

// Parquet returns the Parquet schema, for the writer.
func (s *Schema) Parquet() *parquet.Schema { return s.parquet }

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
	key := parquet.Optional(parquet.Leaf(parquet.ByteArrayType))
	if opts.KeyAsString {
		key = parquet.Optional(parquet.String())
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
		{"value", parquet.Optional(parquet.Leaf(parquet.ByteArrayType))},
		{"headers", parquet.List(orderedGroup{
			{"key", parquet.Required(parquet.String())},
			{"value", parquet.Optional(parquet.Leaf(parquet.ByteArrayType))},
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
		node = parquet.String()
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
		node = parquet.Leaf(parquet.ByteArrayType)
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

// ConvertError says why a record could not become a row.
type ConvertError struct {
	Column string
	Field  string
	Err    error
}

func (e *ConvertError) Error() string {
	return fmt.Sprintf("column %s (field %s): %v", e.Column, e.Field, e.Err)
}

func (e *ConvertError) Unwrap() error { return e.Err }

// Row appends r's row to row[:0] and returns it. Byte values alias r and the field values; the writer
// copies them before the next record. A per-record problem is a *ConvertError.
func (s *Schema) Row(r *record.Record, row parquet.Row) (parquet.Row, error) {
	if s.kind != JSON {
		return nil, errors.New("schema: Row is for format json; use AppendRaw")
	}
	if s.nested {
		return s.nestedRow(r, row)
	}
	// Values are converted into their places and their levels set there: returning each value,
	// then copying it with new levels (Value.Level, not inlined) and appending it, was a third of
	// building a row. Without nested columns, column i is value i.
	n := len(s.cols)
	row = slices.Grow(row[:0], n+metaColumns)[:n]
	for i := range s.cols {
		c := &s.cols[i]
		v := &row[i]
		if err := c.value(v, r.Fields[c.slot], r); err != nil {
			return row[:i], &ConvertError{Column: c.name, Field: c.field, Err: err}
		}
		v.SetRepetitionLevel(0)
		if c.required || v.IsNull() {
			v.SetDefinitionLevel(0)
		} else {
			v.SetDefinitionLevel(1)
		}
		v.SetColumnIndex(i)
	}
	if err := s.checkKey(r); err != nil {
		return row, err
	}
	return s.appendMeta(row, r, s.meta), nil
}

// nestedRow is Row for a schema with a LIST, MAP or group column, whose leaves are values of their
// own: a column's values start at its first leaf's index, not at its own.
func (s *Schema) nestedRow(r *record.Record, row parquet.Row) (parquet.Row, error) {
	row = slices.Grow(row[:0], s.meta+metaColumns)
	for i := range s.cols {
		c := &s.cols[i]
		if c.nested != nil {
			var err error
			if row, err = c.appendNested(row, r.Fields[c.slot]); err != nil {
				return row, &ConvertError{Column: c.name, Field: c.field, Err: err}
			}
			continue
		}
		row = append(row, parquet.Value{})
		v := &row[len(row)-1]
		if err := c.value(v, r.Fields[c.slot], r); err != nil {
			return row[:len(row)-1], &ConvertError{Column: c.name, Field: c.field, Err: err}
		}
		v.SetRepetitionLevel(0)
		if c.required || v.IsNull() {
			v.SetDefinitionLevel(0)
		} else {
			v.SetDefinitionLevel(1)
		}
		v.SetColumnIndex(c.leaf)
	}
	if err := s.checkKey(r); err != nil {
		return row, err
	}
	return s.appendMeta(row, r, s.meta), nil
}

// checkKey rejects a key that cannot go into a STRING kafka_key column.
func (s *Schema) checkKey(r *record.Record) error {
	if s.keyString && r.Key != nil && !utf8.Valid(r.Key) {
		return &ConvertError{Column: ColKey, Field: record.KeyName, Err: errNotUTF8}
	}
	return nil
}

// value converts fv, a field value of r, into *v, levels not set.
func (c *column) value(v *parquet.Value, fv field.Value, r *record.Record) error {
	if fv.IsAbsent() {
		if c.def != nil {
			*v = *c.def
			return nil
		}
		if c.required {
			if fv.Kind == field.Null {
				return errors.New("required, but the field is null")
			}
			return errors.New("required, but the field is missing")
		}
		*v = parquet.NullValue()
		return nil
	}
	// The commonest conversions in place: convert's call and copied result cost more than they.
	// Anything else, or an error, is convert's, which says why.
	switch c.conv {
	case convString:
		if !utf8.Valid(fv.Bytes) {
			return errNotUTF8
		}
		*v = parquet.ByteArrayValue(fv.Bytes)
		return nil
	case convInt64:
		if fv.Kind == field.Number {
			if n, err := strconv.ParseInt(string(fv.Bytes), 10, 64); err == nil {
				*v = parquet.Int64Value(n)
				return nil
			}
		}
	case convDouble:
		if fv.Kind == field.Number { // a JSON number: no NaN, no hexadecimal
			if x, err := strconv.ParseFloat(string(fv.Bytes), 64); err == nil {
				*v = parquet.DoubleValue(x)
				return nil
			}
		}
	}
	var err error
	*v, err = c.convert(fv, r)
	return err
}

var errNotUTF8 = errors.New("not valid UTF-8")

// HeaderKeyField is the Field of a ConvertError about a header key.
const HeaderKeyField = "@header key"

// convert converts fv, a field value of r (nil for a default), into the column's type.
func (c *column) convert(fv field.Value, r *record.Record) (parquet.Value, error) {
	b := fv.Bytes
	switch c.conv {
	case convString:
		// Numbers, booleans and nested JSON are kept as their exact text: lossless, and common
		// for ids that are sometimes numbers and for free-form property bags.
		if !utf8.Valid(b) {
			return parquet.Value{}, errNotUTF8
		}
		return parquet.ByteArrayValue(b), nil
	case convBytes:
		if c.base64 {
			if fv.Kind != field.String {
				return parquet.Value{}, fmt.Errorf("want a base64 string, got %s", fv.Kind)
			}
			d, err := base64.StdEncoding.DecodeString(string(b))
			if err != nil {
				return parquet.Value{}, fmt.Errorf("not base64: %w", err)
			}
			return parquet.ByteArrayValue(d), nil
		}
		return parquet.ByteArrayValue(b), nil
	case convDecimal:
		return c.dec.value(fv)
	case convInt32, convInt64:
		bits := 64
		if c.conv == convInt32 {
			bits = 32
		}
		n, err := parseInt(fv, bits)
		if err != nil {
			return parquet.Value{}, err
		}
		if bits == 32 {
			return parquet.Int32Value(int32(n)), nil
		}
		return parquet.Int64Value(n), nil
	case convFloat, convDouble:
		bits := 64
		if c.conv == convFloat {
			bits = 32
		}
		x, err := parseFloat(fv, bits)
		if err != nil {
			return parquet.Value{}, err
		}
		if bits == 32 {
			return parquet.FloatValue(float32(x)), nil
		}
		return parquet.DoubleValue(x), nil
	case convBoolean:
		if fv.Kind != field.Bool {
			return parquet.Value{}, fmt.Errorf("want a boolean, got %s %s", fv.Kind, quote(b))
		}
		return parquet.BooleanValue(b[0] == 't'), nil
	case convTimestampMillis, convTimestampMicros:
		if c.timeFmt == nil && fv.Kind == field.Number {
			// A bare number is already in the column's unit: no ×1000 surprises.
			n, err := parseInt(fv, 64)
			if err != nil {
				return parquet.Value{}, fmt.Errorf("timestamp in %s: %w", c.typ[len("timestamp-"):], err)
			}
			lo, hi := c.unitRange()
			if n < lo || n > hi {
				return parquet.Value{}, fmt.Errorf("timestamp %d in %s is outside the years 1970 to 9999", n, c.typ[len("timestamp-"):])
			}
			return parquet.Int64Value(n), nil
		}
		tf := field.TimeFormat{}
		if c.timeFmt != nil {
			tf = *c.timeFmt
		}
		t, ok := time.Time{}, false
		if r != nil {
			t, ok = r.RecallTime(fv, tf) // the timestamp interceptor read it already
		}
		if !ok {
			var err error
			if t, err = tf.Parse(fv); err != nil {
				return parquet.Value{}, err
			}
		}
		if err := checkTimestampRange(t); err != nil {
			return parquet.Value{}, err
		}
		return c.fromTime(t)
	case convDate:
		if c.timeFmt == nil && fv.Kind == field.Number {
			n, err := parseInt(fv, 32)
			if err != nil {
				return parquet.Value{}, fmt.Errorf("date in days since 1970-01-01: %w", err)
			}
			return parquet.Int32Value(int32(n)), nil
		}
		var t time.Time
		if c.timeFmt != nil {
			var err error
			if t, err = c.timeFmt.Parse(fv); err != nil {
				return parquet.Value{}, err
			}
		} else {
			if fv.Kind != field.String {
				return parquet.Value{}, fmt.Errorf("want a date string 2006-01-02 or days since 1970-01-01, got %s %s", fv.Kind, quote(b))
			}
			var err error
			if t, err = time.Parse(time.DateOnly, string(b)); err != nil {
				return parquet.Value{}, fmt.Errorf("not a date 2006-01-02: %s", quote(b))
			}
		}
		return c.fromTime(t)
	}
	return parquet.Value{}, fmt.Errorf("unknown type %s", c.typ)
}

// Timestamp columns hold the years 1970 to 9999 (UTC), the range the partitioner buckets. Past it,
// readers fail: DuckDB cannot convert a millisecond timestamp beyond ±294,000 years to micros and
// refuses the whole file; and a conversion past int64 (epoch millis into a micros column) would wrap
// silently. Before 1970 is rejected too, so that Go's zero time (year 1) is never stored as a value.
var (
	minTimestamp = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

func checkTimestampRange(t time.Time) error {
	if t.Before(minTimestamp) || !t.Before(maxTimestamp) {
		return fmt.Errorf("timestamp %s is outside the years 1970 to 9999", t.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

// unitRange is the range of a timestamp column's values, in its unit.
func (c *column) unitRange() (lo, hi int64) {
	if c.conv == convTimestampMicros {
		return 0, maxTimestamp.UnixMicro() - 1
	}
	return 0, maxTimestamp.UnixMilli() - 1
}

func (c *column) isTime() bool {
	return c.typ == TypeTimestampMillis || c.typ == TypeTimestampMicros || c.typ == TypeDate
}

// fromTime is the value of instant t in a timestamp column (whole units, floored) or a date column
// (the UTC day that contains t).
func (c *column) fromTime(t time.Time) (parquet.Value, error) {
	switch c.conv {
	case convTimestampMillis:
		return parquet.Int64Value(floorDiv(t.UnixNano(), int64(time.Millisecond), t, true)), nil
	case convTimestampMicros:
		return parquet.Int64Value(floorDiv(t.UnixNano(), int64(time.Microsecond), t, false)), nil
	case convDate:
		days := t.Unix() / 86400
		if t.Unix() < 0 && t.Unix()%86400 != 0 {
			days--
		}
		// Epoch formats reach far beyond what an int32 of days holds; wrapping would be silent.
		if days < math.MinInt32 || days > math.MaxInt32 {
			return parquet.Value{}, fmt.Errorf("date %s is out of range", t.Format(time.RFC3339))
		}
		return parquet.Int32Value(int32(days)), nil
	}
	return parquet.Value{}, fmt.Errorf("type %s does not hold a time", c.typ)
}

// UnixNano is exact for these instants (it overflows outside 1678..2262).
var (
	nanoFrom = time.Date(1681, 1, 1, 0, 0, 0, 0, time.UTC)
	nanoTo   = time.Date(2260, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

// floorDiv converts an instant to whole units, flooring so that instants before 1970 land in the
// unit that contains them. UnixNano overflows outside 1678..2262, so those go through seconds.
func floorDiv(ns, unit int64, t time.Time, millis bool) int64 {
	if !t.Before(nanoFrom) && t.Before(nanoTo) { // the years 1681 to 2259, without Year()'s cost
		q := ns / unit
		if ns%unit < 0 {
			q--
		}
		return q
	}
	sec := t.Unix()
	sub := int64(t.Nanosecond()) / unit
	if millis {
		return sec*1000 + sub
	}
	return sec*1_000_000 + sub
}

func parseInt(fv field.Value, bits int) (int64, error) {
	// Strings that hold an integer are accepted because protobuf's JSON mapping and JavaScript
	// producers quote 64-bit integers; "4.5" and "1e3" are still rejected.
	if fv.Kind != field.Number && fv.Kind != field.String {
		return 0, fmt.Errorf("want an integer, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	n, err := strconv.ParseInt(string(fv.Bytes), 10, bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s overflows int%d", quote(fv.Bytes), bits)
		}
		return 0, fmt.Errorf("want an integer, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	return n, nil
}

func parseFloat(fv field.Value, bits int) (float64, error) {
	if fv.Kind != field.Number && fv.Kind != field.String {
		return 0, fmt.Errorf("want a number, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	x, err := strconv.ParseFloat(string(fv.Bytes), bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s overflows a %d-bit float", quote(fv.Bytes), bits)
		}
		return 0, fmt.Errorf("want a number, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	if fv.Kind == field.String && (math.IsNaN(x) || math.IsInf(x, 0)) && !strings.ContainsAny(string(fv.Bytes), "NI") {
		return 0, fmt.Errorf("want a number, got %s", quote(fv.Bytes))
	}
	// strconv also reads hexadecimal floats ("0x1p4" is 16) and digit separators in them: a quoted
	// number must be decimal, as a JSON number is.
	if fv.Kind == field.String && strings.ContainsAny(string(fv.Bytes), "xX_") {
		return 0, fmt.Errorf("want a decimal number, got %s", quote(fv.Bytes))
	}
	return x, nil
}

func quote(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

// metaColumns is the number of metadata columns appendMeta appends.
const metaColumns = 5

func (s *Schema) appendMeta(row parquet.Row, r *record.Record, first int) parquet.Row {
	n := len(row)
	row = slices.Grow(row, metaColumns)[:n+metaColumns]
	m := row[n : n+metaColumns : n+metaColumns]
	m[0] = parquet.ByteArrayValue(s.topicBytes(r.Topic))
	m[1] = parquet.Int32Value(r.Partition)
	m[2] = parquet.Int64Value(r.Offset)
	m[3] = parquet.Int64Value(r.Timestamp.UnixMilli())
	if r.Key == nil {
		m[4] = parquet.NullValue()
	} else {
		m[4] = parquet.ByteArrayValue(r.Key)
		m[4].SetDefinitionLevel(1)
	}
	for i := range m {
		m[i].SetColumnIndex(first + i)
	}
	return row
}

// topicBytes is the topic's name as bytes for kafka_topic, made once per topic the schema serves
// rather than once per record. The bytes are shared and never written: the writer copies them.
func (s *Schema) topicBytes(topic string) []byte {
	if s.topic == nil {
		return []byte(topic)
	}
	if t := s.topic.Load(); t != nil && t.name == topic {
		return t.b
	}
	t := &topicName{name: topic, b: []byte(topic)}
	s.topic.Store(t)
	return t.b
}

type topicName struct {
	name string
	b    []byte
}

// AppendRaw appends r's raw row (format raw, or a dead letter when reason is not empty) to row[:0].
// For format raw, a key (with KeyAsString) or a header key that is not valid UTF-8 is a
// *ConvertError, as both are STRING columns; a dead letter never fails.
//
// The schema decides how the key is stored (Options.KeyAsString of NewRaw; dead letters always store
// bytes). A dead letter never fails: a header key that
// is not valid UTF-8 has its bad bytes replaced by U+FFFD there, while format raw rejects it.
func (s *Schema) AppendRaw(r *record.Record, reason, stage string, row parquet.Row) (parquet.Row, error) {
	if s.kind == JSON {
		return row[:0], errors.New("schema: AppendRaw is for format raw and dead letters; use Row")
	}
	if err := s.checkKey(r); err != nil {
		return row[:0], err
	}
	if s.kind == Raw {
		for _, h := range r.Headers {
			if !utf8.ValidString(h.Key) {
				return row[:0], &ConvertError{Column: "headers", Field: HeaderKeyField, Err: fmt.Errorf("header key %s: %w", quote([]byte(h.Key)), errNotUTF8)}
			}
		}
	}
	row = s.appendMeta(row[:0], r, 0)
	if r.Value == nil {
		row = append(row, parquet.NullValue().Level(0, 0, 5))
	} else {
		row = append(row, parquet.ByteArrayValue(r.Value).Level(0, 1, 5))
	}
	// headers: LIST of {key, value}; max definition level 1 for key (list entry present) and 2 for
	// value (entry present and value not null). No headers is one null at definition level 0 in
	// each leaf: headers is a required list, so readers see an empty list, not a null.
	if len(r.Headers) == 0 {
		row = append(row, parquet.NullValue().Level(0, 0, 6), parquet.NullValue().Level(0, 0, 7))
	} else {
		for i, h := range r.Headers {
			k := h.Key
			if !utf8.ValidString(k) {
				k = strings.ToValidUTF8(k, "\uFFFD")
			}
			row = append(row, parquet.ByteArrayValue(copyBytes(k)).Level(min(i, 1), 1, 6))
		}
		for i, h := range r.Headers {
			if h.Value == nil {
				row = append(row, parquet.NullValue().Level(min(i, 1), 1, 7))
			} else {
				row = append(row, parquet.ByteArrayValue(h.Value).Level(min(i, 1), 2, 7))
			}
		}
	}
	if s.kind == DeadLetter {
		if !utf8.ValidString(reason) {
			reason = strings.ToValidUTF8(reason, "\uFFFD")
		}
		row = append(row,
			parquet.ByteArrayValue([]byte(reason)).Level(0, 0, 8),
			parquet.ByteArrayValue([]byte(stage)).Level(0, 0, 9))
	}
	return row, nil
}

// copyBytes is []byte(s): a copy, not an unsafe view. Header keys arrive from the wire as bytes and
// are kept as strings; the copy back is what the writer would make anyway.
func copyBytes(s string) []byte { return []byte(s) }

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
