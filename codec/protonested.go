package codec

import (
	"slices"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Nested columns of a Protobuf writer schema: a repeated field is a required LIST (protobuf has no
// null list: absent reads as empty) of required elements, a map<K, V> a required MAP whose STRING
// keys are K's text (ints and bools as in protobuf's JSON mapping), and a message inside them a
// group of its fields (a field with presence, or a message, optional; a proto3 scalar without
// presence required; google.protobuf.Timestamp a timestamp-micros leaf). Under nested: group a
// top-level message field is such a group too. A message inside itself stays a STRING of its
// protojson text, as before.

// protoFieldColumn is the column of field fd inside a group (its Name still to be set).
func protoFieldColumn(fd protoreflect.FieldDescriptor, open map[protoreflect.FullName]bool) schema.Column {
	switch {
	case fd.IsMap():
		e := protoElemColumn(fd.MapValue(), open)
		return schema.Column{Type: schema.TypeMap, Required: true, Elem: &e}
	case fd.IsList():
		e := protoElemColumn(fd, open)
		return schema.Column{Type: schema.TypeList, Required: true, Elem: &e}
	}
	c := protoElemColumn(fd, open)
	c.Required = !fd.HasPresence()
	return c
}

// protoElemColumn is the column of one value of fd's kind (a list's element, a map's value).
func protoElemColumn(fd protoreflect.FieldDescriptor, open map[protoreflect.FullName]bool) schema.Column {
	c := schema.Column{Required: true}
	if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
		c.Type = protoKindType(fd)
		return c
	}
	md := fd.Message()
	switch {
	case md.FullName() == timestampName:
		c.Type = schema.TypeTimestampMicros
	case open[md.FullName()] || md.Fields().Len() == 0:
		c.Type = schema.TypeString // a message inside itself, or one without fields: protojson text
	default:
		open[md.FullName()] = true
		defer delete(open, md.FullName())
		c.Type = schema.TypeGroup
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			m := protoFieldColumn(f, open)
			m.Name = string(f.Name())
			c.Fields = append(c.Fields, m)
		}
	}
	return c
}

// protoNestedValue is the JSON form (schema/nested.go) of field fd's value v for column c.
func protoNestedValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, c *schema.Column, scratch []byte) (field.Value, []byte) {
	start := len(scratch)
	scratch = appendProtoJSON(scratch, fd, v, c)
	return nestedText(c, scratch[start:len(scratch):len(scratch)]), scratch
}

// appendProtoJSON appends the value of field fd (a whole list or map, or a singular value).
func appendProtoJSON(dst []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value, c *schema.Column) []byte {
	switch {
	case fd.IsList() && c.Type == schema.TypeList:
		l := v.List()
		dst = append(dst, '[')
		for i := 0; i < l.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendProtoSingle(dst, fd, l.Get(i), c.Elem)
		}
		return append(dst, ']')
	case fd.IsMap() && c.Type == schema.TypeMap:
		m := v.Map()
		keys := make([]protoreflect.MapKey, 0, m.Len())
		m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k)
			return true
		})
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int {
			switch x, y := a.String(), b.String(); {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k.String())
			dst = append(dst, ':')
			dst = appendProtoSingle(dst, fd.MapValue(), m.Get(k), c.Elem)
		}
		return append(dst, '}')
	}
	return appendProtoSingle(dst, fd, v, c)
}

// appendProtoSingle appends one value of fd's kind.
func appendProtoSingle(dst []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value, c *schema.Column) []byte {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(dst, v.Bool())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(dst, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		// A uint64 past 2^63-1 does not fit the int64 column: the record is a dead letter.
		return strconv.AppendUint(dst, v.Uint(), 10)
	case protoreflect.FloatKind:
		return appendFloat(dst, v.Float(), 32)
	case protoreflect.DoubleKind:
		return appendFloat(dst, v.Float(), 64)
	case protoreflect.StringKind:
		return appendJSONString(dst, v.String())
	case protoreflect.BytesKind:
		return appendBase64(dst, v.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return appendJSONString(dst, string(ev.Name()))
		}
		return appendJSONString(dst, strconv.FormatInt(int64(v.Enum()), 10))
	}
	msg := v.Message()
	md := msg.Descriptor()
	switch {
	case md.FullName() == timestampName:
		f := md.Fields()
		micros := msg.Get(f.ByName("seconds")).Int()*1_000_000 + msg.Get(f.ByName("nanos")).Int()/1000
		return strconv.AppendInt(dst, micros, 10)
	case c.Type == schema.TypeGroup && len(c.Fields) == md.Fields().Len():
		dst = append(dst, '{')
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, string(f.Name()))
			dst = append(dst, ':')
			if f.HasPresence() && !msg.Has(f) {
				dst = append(dst, "null"...)
				continue
			}
			dst = appendProtoJSON(dst, f, msg.Get(f), &c.Fields[i])
		}
		return append(dst, '}')
	}
	b, _ := protojson.Marshal(msg.Interface())
	return appendJSONString(dst, string(b))
}
