package codec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Protobuf is one .proto writer schema from the registry, compiled at run time (bufbuild/
// protocompile), with the columns of one of its messages. Which message a value holds is in the
// value (the wire format's message indexes); the columns are those of the first message of the
// file, the one the Confluent serializer registers for a topic's value in the usual case.
type Protobuf struct {
	file     protoreflect.FileDescriptor
	msg      protoreflect.MessageDescriptor
	cols     []schema.Column
	defaults map[string]bool
	groups   bool
	// nested holds the list, map and group columns by field path (protonested.go).
	nested map[string]*schema.Column
}

const mainProto = "registry-schema.proto"

// ParseProtobuf compiles a .proto schema; imports maps the import paths of its references (other
// registry subjects) to their source. google/protobuf well-known imports resolve by themselves.
func ParseProtobuf(text string, imports map[string]string) (*Protobuf, error) {
	return ParseProtobufWith(text, imports, Options{})
}

// ParseProtobufWith is ParseProtobuf with options.
func ParseProtobufWith(text string, imports map[string]string, o Options) (*Protobuf, error) {
	if fd, ok, err := descriptorFile(text, imports); ok {
		if err != nil {
			return nil, err
		}
		return protobufOf(fd, o)
	}
	srcs := map[string]string{mainProto: text}
	for k, v := range imports {
		srcs[k] = v
	}
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(srcs)})}
	files, err := c.Compile(context.Background(), mainProto)
	if err != nil {
		return nil, fmt.Errorf("protobuf schema: %w", err)
	}
	return protobufOf(files[0], o)
}

func protobufOf(fd protoreflect.FileDescriptor, o Options) (*Protobuf, error) {
	if fd.Messages().Len() == 0 {
		return nil, errors.New("protobuf schema: the file declares no message")
	}
	p := &Protobuf{file: fd, msg: fd.Messages().Get(0), defaults: map[string]bool{}, groups: o.Groups, nested: map[string]*schema.Column{}}
	seen := map[string]string{}
	if err := p.derive(p.msg, nil, false, map[protoreflect.FullName]bool{p.msg.FullName(): true}, seen); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Protobuf) derive(md protoreflect.MessageDescriptor, prefix field.Path, optional bool, open map[protoreflect.FullName]bool, seen map[string]string) error {
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		path := append(append(field.Path{}, prefix...), string(fd.Name()))
		opt := optional || fd.HasPresence()
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() &&
			fd.Message().FullName() != timestampName && !open[fd.Message().FullName()] && !p.groups {
			open[fd.Message().FullName()] = true
			if err := p.derive(fd.Message(), path, true, open, seen); err != nil {
				return err
			}
			delete(open, fd.Message().FullName())
			continue
		}
		name := strings.Join(path, "_")
		if other, dup := seen[name]; dup {
			return fmt.Errorf("protobuf schema: fields %s and %s both flatten to column %q", other, path, name)
		}
		seen[name] = path.String()
		if !opt {
			// proto3 fields without presence read as their zero value when absent: present in
			// every message, and what an old writer's messages read as after the field is added.
			p.defaults[name] = true
		}
		c := protoFieldColumn(fd, open)
		if !schema.IsNested(c.Type) {
			c = schema.Column{Type: protoType(fd)}
		}
		c.Name, c.Field, c.Required = name, path.String(), !opt
		if schema.IsNested(c.Type) {
			p.nested[c.Field] = &c
		}
		p.cols = append(p.cols, c)
	}
	return nil
}

const timestampName = "google.protobuf.Timestamp"

func protoType(fd protoreflect.FieldDescriptor) string {
	if fd.IsList() || fd.IsMap() {
		return schema.TypeString
	}
	return protoKindType(fd)
}

// protoKindType is the column type of one value of fd's kind.
func protoKindType(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return schema.TypeBoolean
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return schema.TypeInt32
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return schema.TypeInt64
	case protoreflect.FloatKind:
		return schema.TypeFloat
	case protoreflect.DoubleKind:
		return schema.TypeDouble
	case protoreflect.BytesKind:
		return schema.TypeBytes
	case protoreflect.MessageKind:
		if fd.Message().FullName() == timestampName {
			return schema.TypeTimestampMicros
		}
	}
	return schema.TypeString // string, enum (its name); recursive messages as JSON text
}

// Columns returns the derived columns of the file's first message.
func (p *Protobuf) Columns() []schema.Column { return p.cols }

// HasDefault reports whether a column's field reads as a default when absent (no presence).
func (p *Protobuf) HasDefault(column string) bool { return p.defaults[column] }

// ErrIndexes means a value's message indexes do not name a message of its schema.
var ErrIndexes = errors.New("protobuf message indexes do not name a message of the schema")

// messageFor reads the message indexes after the header and returns the message they name and the
// protobuf body after them.
func (p *Protobuf) messageFor(b []byte) (protoreflect.MessageDescriptor, []byte, error) {
	n, l := protowire.ConsumeVarint(b)
	if l < 0 {
		return nil, nil, fmt.Errorf("%w: bad count", ErrIndexes)
	}
	b = b[l:]
	count := protowire.DecodeZigZag(n)
	if count == 0 {
		return p.file.Messages().Get(0), b, nil
	}
	if count < 0 || count > 100 {
		return nil, nil, fmt.Errorf("%w: count %d", ErrIndexes, count)
	}
	msgs := p.file.Messages()
	var md protoreflect.MessageDescriptor
	for range count {
		v, l := protowire.ConsumeVarint(b)
		if l < 0 {
			return nil, nil, fmt.Errorf("%w: truncated", ErrIndexes)
		}
		b = b[l:]
		i := protowire.DecodeZigZag(v)
		if i < 0 || int(i) >= msgs.Len() {
			return nil, nil, fmt.Errorf("%w: index %d of %d", ErrIndexes, i, msgs.Len())
		}
		md = msgs.Get(int(i))
		msgs = md.Messages()
	}
	return md, b, nil
}

// Extractor reads paths (field names through nested messages) out of wire-format values.
func (p *Protobuf) Extractor(paths []field.Path) (record.Extractor, error) {
	e := &protoExtractor{p: p, paths: paths}
	for _, path := range paths {
		e.cols = append(e.cols, p.nested[path.String()])
	}
	return e, nil
}

type protoExtractor struct {
	p     *Protobuf
	paths []field.Path
	cols  []*schema.Column // the paths' list, map and group columns, nil for the others
}

// ErrProtoDecode means a value's body is not a protobuf message of its schema.
var ErrProtoDecode = errors.New("protobuf value does not decode with its writer schema")

func (e *protoExtractor) Extract(value []byte, out []field.Value, scratch []byte) ([]byte, error) {
	_, body, err := Split(value)
	if err != nil {
		return scratch, err
	}
	md, body, err := e.p.messageFor(body)
	if err != nil {
		return scratch, err
	}
	if md != e.p.msg {
		return scratch, fmt.Errorf("%w: the value is a %s, the topic's columns are those of %s", ErrIndexes, md.FullName(), e.p.msg.FullName())
	}
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(body, m); err != nil {
		return scratch, fmt.Errorf("%w: %v", ErrProtoDecode, err)
	}
	for i, path := range e.paths {
		out[i], scratch = protoValue(m, path, e.cols[i], scratch)
	}
	return scratch, nil
}

func protoValue(m protoreflect.Message, path field.Path, col *schema.Column, scratch []byte) (field.Value, []byte) {
	for i, seg := range path {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			return field.Value{}, scratch
		}
		if fd.HasPresence() && !m.Has(fd) {
			return field.Value{Kind: field.Null}, scratch
		}
		v := m.Get(fd)
		if i == len(path)-1 {
			if col != nil {
				return protoNestedValue(fd, v, col, scratch)
			}
			return protoLeaf(fd, v, scratch)
		}
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			return field.Value{}, scratch
		}
		m = v.Message()
	}
	return field.Value{}, scratch
}

func protoLeaf(fd protoreflect.FieldDescriptor, v protoreflect.Value, scratch []byte) (field.Value, []byte) {
	number := func(b []byte) (field.Value, []byte) {
		start := len(scratch)
		scratch = append(scratch, b...)
		return field.Value{Kind: field.Number, Bytes: scratch[start:len(scratch):len(scratch)]}, scratch
	}
	if fd.IsList() || fd.IsMap() {
		b, _ := json.Marshal(jsonOf(fd, v))
		kind := field.Array
		if fd.IsMap() {
			kind = field.Object
		}
		return field.Value{Kind: kind, Bytes: b}, scratch
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			return field.Value{Kind: field.Bool, Bytes: []byte("true")}, scratch
		}
		return field.Value{Kind: field.Bool, Bytes: []byte("false")}, scratch
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return number(strconv.AppendInt(nil, v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return number(strconv.AppendUint(nil, v.Uint(), 10))
	case protoreflect.FloatKind:
		return number(strconv.AppendFloat(nil, v.Float(), 'g', -1, 32))
	case protoreflect.DoubleKind:
		return number(strconv.AppendFloat(nil, v.Float(), 'g', -1, 64))
	case protoreflect.StringKind:
		s := v.String()
		return field.Value{Kind: field.String, Bytes: unsafe.Slice(unsafe.StringData(s), len(s))}, scratch
	case protoreflect.BytesKind:
		return field.Value{Kind: field.String, Bytes: v.Bytes()}, scratch
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return field.Value{Kind: field.String, Bytes: []byte(ev.Name())}, scratch
		}
		return field.Value{Kind: field.String, Bytes: strconv.AppendInt(nil, int64(v.Enum()), 10)}, scratch
	case protoreflect.MessageKind, protoreflect.GroupKind:
		msg := v.Message()
		if fd.Message().FullName() == timestampName {
			f := msg.Descriptor().Fields()
			micros := msg.Get(f.ByName("seconds")).Int()*1_000_000 + msg.Get(f.ByName("nanos")).Int()/1000
			return number(strconv.AppendInt(nil, micros, 10))
		}
		b, _ := protojson.Marshal(msg.Interface())
		return field.Value{Kind: field.Object, Bytes: b}, scratch
	}
	return field.Value{}, scratch
}

// fillRepeated sets a repeated field from a []any or a map field from a map[string]any (keys as
// their text); messages as maps.
func fillRepeated(m *dynamicpb.Message, fd protoreflect.FieldDescriptor, v any) error {
	one := func(fd protoreflect.FieldDescriptor, x any) (protoreflect.Value, error) {
		if sub, ok := x.(map[string]any); ok && fd.Kind() == protoreflect.MessageKind {
			sm, err := fill(fd.Message(), sub)
			if err != nil {
				return protoreflect.Value{}, err
			}
			return protoreflect.ValueOfMessage(sm), nil
		}
		return protoreflect.ValueOf(x), nil
	}
	if fd.IsList() {
		xs, ok := v.([]any)
		if !ok {
			return fmt.Errorf("field %s is repeated: give a []any, not %T", fd.Name(), v)
		}
		l := m.Mutable(fd).List()
		for _, x := range xs {
			pv, err := one(fd, x)
			if err != nil {
				return err
			}
			l.Append(pv)
		}
		return nil
	}
	kvs, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("field %s is a map: give a map[string]any, not %T", fd.Name(), v)
	}
	mp := m.Mutable(fd).Map()
	for k, x := range kvs {
		if fd.MapKey().Kind() != protoreflect.StringKind {
			return fmt.Errorf("field %s: only string map keys are supported here", fd.Name())
		}
		pv, err := one(fd.MapValue(), x)
		if err != nil {
			return err
		}
		mp.Set(protoreflect.ValueOfString(k).MapKey(), pv)
	}
	return nil
}

// jsonOf is a list's or map's value as Go values for encoding/json: messages through protojson.
func jsonOf(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	elem := func(fd protoreflect.FieldDescriptor, x protoreflect.Value) any {
		switch fd.Kind() {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			b, _ := protojson.Marshal(x.Message().Interface())
			return json.RawMessage(b)
		case protoreflect.EnumKind:
			if ev := fd.Enum().Values().ByNumber(x.Enum()); ev != nil {
				return string(ev.Name())
			}
			return int64(x.Enum())
		case protoreflect.BytesKind:
			return x.Bytes()
		}
		return x.Interface()
	}
	if fd.IsMap() {
		out := map[string]any{}
		v.Map().Range(func(k protoreflect.MapKey, x protoreflect.Value) bool {
			out[k.String()] = elem(fd.MapValue(), x)
			return true
		})
		return out
	}
	l := v.List()
	out := make([]any, l.Len())
	for i := range out {
		out[i] = elem(fd, l.Get(i))
	}
	return out
}

// Marshal encodes a message of the schema's first message type whose fields are set from values
// (field name → Go value; nested messages as maps), for producers in tests and the demo.
func (p *Protobuf) Marshal(values map[string]any) ([]byte, error) {
	m, err := fill(p.msg, values)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

func fill(md protoreflect.MessageDescriptor, values map[string]any) (*dynamicpb.Message, error) {
	m := dynamicpb.NewMessage(md)
	for k, v := range values {
		fd := md.Fields().ByName(protoreflect.Name(k))
		if fd == nil {
			return nil, fmt.Errorf("message %s has no field %s", md.FullName(), k)
		}
		if fd.IsList() || fd.IsMap() {
			if err := fillRepeated(m, fd, v); err != nil {
				return nil, err
			}
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			sm, err := fill(fd.Message(), sub)
			if err != nil {
				return nil, err
			}
			m.Set(fd, protoreflect.ValueOfMessage(sm))
			continue
		}
		m.Set(fd, protoreflect.ValueOf(v))
	}
	return m, nil
}
