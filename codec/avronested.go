package codec

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Nested columns of an Avro writer schema (issue 17): arrays are Parquet LISTs, maps MAPs (Avro
// map keys are strings), records inside them groups (and top-level records too under
// `nested: group`), and a union other than [null, T] a group of optional members named member0,
// member1, ... in the order of the union's non-null branches (parquet-avro's and spark-avro's
// naming; a branch's own name can hold dots and may repeat across versions, an index cannot).
// At most one member of a union's group is set; a union with null is an optional group (null when
// the value is null), one without is required. A union of one non-null branch (with or without
// null) is that branch. The only JSON text left is a record inside itself (a tree's children):
// from the second time a record is met on a path, it is a STRING holding its value as JSON.

// shapeColumn gives c (whose Name, Field and Required are set) the type and shape of Avro schema t
// (nullable unions already stepped through).
func shapeColumn(c *schema.Column, t avro.Schema, onStack map[string]bool) {
	switch x := t.(type) {
	case *avro.ArraySchema:
		e := elemColumn(x.Items(), onStack)
		c.Type, c.Elem = schema.TypeList, &e
	case *avro.MapSchema:
		e := elemColumn(x.Values(), onStack)
		c.Type, c.Elem = schema.TypeMap, &e
	case *avro.RecordSchema:
		if onStack[x.FullName()] || len(x.Fields()) == 0 {
			c.Type = schema.TypeString
			return
		}
		onStack[x.FullName()] = true
		defer delete(onStack, x.FullName())
		c.Type = schema.TypeGroup
		for _, f := range x.Fields() {
			m := elemColumn(f.Type(), onStack)
			m.Name = f.Name()
			c.Fields = append(c.Fields, m)
		}
	case *avro.UnionSchema:
		if one := single(x); one != nil {
			shapeColumn(c, one, onStack)
			return
		}
		c.Type = schema.TypeGroup
		for _, b := range x.Types() {
			if b.Type() == avro.Null {
				continue
			}
			m := elemColumn(b, onStack)
			m.Name, m.Required = "member"+strconv.Itoa(len(c.Fields)), false
			c.Fields = append(c.Fields, m)
		}
		if len(c.Fields) == 0 {
			c.Type, c.Fields = schema.TypeString, nil // a union of null alone
		}
	default:
		c.Type = columnType(t)
	}
}

// elemColumn is the column of a list element, map value, record or union member of schema s.
func elemColumn(s avro.Schema, onStack map[string]bool) schema.Column {
	t, null := nullable(deref(s))
	var c schema.Column
	c.Required = !null && !hasNull(t)
	shapeColumn(&c, t, onStack)
	return c
}

// hasNull reports whether s is a union with a null branch.
func hasNull(s avro.Schema) bool {
	u, ok := s.(*avro.UnionSchema)
	if !ok {
		return false
	}
	for _, b := range u.Types() {
		if b.Type() == avro.Null {
			return true
		}
	}
	return false
}

// single is the only non-null branch of a union, or nil if it has several (or none).
func single(u *avro.UnionSchema) avro.Schema {
	var one avro.Schema
	for _, b := range u.Types() {
		if b.Type() == avro.Null {
			continue
		}
		if one != nil {
			return nil
		}
		one = deref(b)
	}
	return one
}

// nestedValue is the field value of a nested column: JSON text in the form schema's nested
// columns read (schema/nested.go).
func nestedValue(v any, s avro.Schema, c *schema.Column, scratch []byte) (field.Value, []byte) {
	start := len(scratch)
	scratch = appendAvroJSON(scratch, s, c, v)
	return nestedText(c, scratch[start:len(scratch):len(scratch)]), scratch
}

// nestedText is the field value of column c's JSON text b: an array for a LIST, else an object.
// Every codec hands its nested columns over this way.
func nestedText(c *schema.Column, b []byte) field.Value {
	if c.Type == schema.TypeList {
		return field.Value{Kind: field.Array, Bytes: b}
	}
	return field.Value{Kind: field.Object, Bytes: b}
}

// appendAvroJSON appends v, a value of Avro schema s as the generic decoder gives it (union branches
// wrapped as {"type name": value}), as the JSON of column c.
func appendAvroJSON(dst []byte, s avro.Schema, c *schema.Column, v any) []byte {
	s = deref(s)
	if u, ok := s.(*avro.UnionSchema); ok {
		if v == nil {
			return append(dst, "null"...)
		}
		i, b, bv := unionBranch(u, v)
		if b == nil {
			return appendMarshal(dst, v)
		}
		if single(u) == nil && c.Type == schema.TypeGroup {
			k := 0 // the member's index: the branch's among the non-null branches
			for _, t := range u.Types()[:i] {
				if t.Type() != avro.Null {
					k++
				}
			}
			dst = append(dst, `{"member`...)
			dst = strconv.AppendInt(dst, int64(k), 10)
			dst = append(dst, `":`...)
			dst = appendAvroJSON(dst, b, &c.Fields[k], bv)
			return append(dst, '}')
		}
		s, v = deref(b), bv
	}
	if v == nil {
		return append(dst, "null"...)
	}
	switch c.Type {
	case schema.TypeList:
		a, ok := v.([]any)
		at, ok2 := s.(*avro.ArraySchema)
		if !ok || !ok2 {
			return appendMarshal(dst, v)
		}
		dst = append(dst, '[')
		for i, e := range a {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendAvroJSON(dst, at.Items(), c.Elem, e)
		}
		return append(dst, ']')
	case schema.TypeMap:
		m, ok := v.(map[string]any)
		ms, ok2 := s.(*avro.MapSchema)
		if !ok || !ok2 {
			return appendMarshal(dst, v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendAvroJSON(dst, ms.Values(), c.Elem, m[k])
		}
		return append(dst, '}')
	case schema.TypeGroup:
		m, ok := v.(map[string]any)
		rs, ok2 := s.(*avro.RecordSchema)
		if !ok || !ok2 || len(rs.Fields()) != len(c.Fields) {
			return appendMarshal(dst, v)
		}
		dst = append(dst, '{')
		for i, f := range rs.Fields() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Name())
			dst = append(dst, ':')
			dst = appendAvroJSON(dst, f.Type(), &c.Fields[i], m[f.Name()])
		}
		return append(dst, '}')
	}
	return appendAvroLeaf(dst, s, v)
}

// unionBranch finds the branch of u that v, a non-null union value, holds: ReadNext wraps it as
// {"type name": value}; a bare value is matched by its Go type.
func unionBranch(u *avro.UnionSchema, v any) (int, avro.Schema, any) {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k, x := range m {
			for i, t := range u.Types() {
				if typeName(t) == k {
					return i, t, x
				}
			}
		}
	}
	for i, t := range u.Types() {
		if t.Type() != avro.Null && goTypeFits(deref(t), v) {
			return i, t, v
		}
	}
	return 0, nil, nil
}

// typeName is the name ReadNext wraps a union branch's value with (hamba's schemaTypeName).
func typeName(s avro.Schema) string {
	s = deref(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return n.FullName()
	}
	name := string(s.Type())
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		name += "." + string(l.Logical().Type())
	}
	return name
}

func goTypeFits(s avro.Schema, v any) bool {
	switch v.(type) {
	case string:
		return s.Type() == avro.String || s.Type() == avro.Enum
	case bool:
		return s.Type() == avro.Boolean
	case int, int32:
		return s.Type() == avro.Int
	case int64:
		return s.Type() == avro.Long
	case float32:
		return s.Type() == avro.Float
	case float64:
		return s.Type() == avro.Double
	case []byte:
		return s.Type() == avro.Bytes
	case []any:
		return s.Type() == avro.Array
	case map[string]any:
		return s.Type() == avro.Map || s.Type() == avro.Record
	}
	return false
}

// appendAvroLeaf appends a leaf value in the form its column type reads from JSON.
func appendAvroLeaf(dst []byte, s avro.Schema, v any) []byte {
	var logical avro.LogicalType
	scale := 0
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		logical = l.Logical().Type()
		if d, ok := l.Logical().(*avro.DecimalLogicalSchema); ok {
			scale = d.Scale()
		}
	}
	switch x := v.(type) {
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case float64:
		return appendFloat(dst, x, 64)
	case string:
		return appendJSONString(dst, x)
	case []byte:
		return appendBase64(dst, x)
	case *big.Rat:
		return append(dst, x.FloatString(scale)...)
	case time.Time:
		switch logical {
		case avro.Date:
			return strconv.AppendInt(dst, floorDiv(x.Unix(), 86400), 10)
		case avro.TimestampMicros, avro.LocalTimestampMicros:
			return strconv.AppendInt(dst, x.UnixMicro(), 10)
		}
		return strconv.AppendInt(dst, x.UnixMilli(), 10)
	case time.Duration:
		if logical == avro.TimeMicros {
			return strconv.AppendInt(dst, x.Microseconds(), 10)
		}
		return strconv.AppendInt(dst, x.Milliseconds(), 10)
	case map[string]any, []any:
		// A record inside itself: a STRING column holding its JSON text.
		b, _ := json.Marshal(x)
		return appendJSONString(dst, string(b))
	}
	// A fixed is decoded as a [N]byte array.
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return appendBase64(dst, b)
	}
	return appendMarshal(dst, v)
}

// appendFloat writes NaN and the infinities as strings, which JSON numbers cannot be and float
// columns read.
func appendFloat(dst []byte, x float64, bits int) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, x, 'g', -1, bits)
		return append(dst, '"')
	}
	return strconv.AppendFloat(dst, x, 'g', -1, bits)
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

// appendMarshal writes a value the shape did not expect (it cannot happen with a value decoded with
// the schema the shape was derived from) as JSON, for the schema to reject or keep as text.
func appendMarshal(dst []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return append(dst, "null"...)
	}
	return append(dst, b...)
}

// appendJSONString quotes s as a JSON string, keeping bytes that are not UTF-8 as they are: the
// schema then rejects the value as not UTF-8, as it rejects such a top-level string, where
// encoding/json would have replaced them silently.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
