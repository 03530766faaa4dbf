package codec

import (
	"encoding/base64"
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

const orderProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  optional string note = 2;
  google.protobuf.Timestamp at = 3;
  Customer customer = 4;
  repeated string tags = 5;
  Status status = 6;
  message Customer { string name = 1; }
  enum Status { NEW = 0; PAID = 1; }
}
message Other { int32 x = 1; }
`

func TestProtobuf(t *testing.T) {
	p, err := ParseProtobuf(orderProto, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, typ, field string
		req              bool
	}{
		{"id", "int64", "id", true}, {"note", "string", "note", false}, {"at", "timestamp-micros", "at", false},
		{"customer_name", "string", "customer.name", false}, {"tags", "list<string>", "tags", true}, {"status", "string", "status", true},
	}
	cols := p.Columns()
	if len(cols) != len(want) {
		t.Fatalf("columns %+v", cols)
	}
	for i, w := range want {
		if c := cols[i]; c.Name != w.name || schema.Shape(c) != w.typ || c.Field != w.field || c.Required != w.req {
			t.Errorf("column %d: %+v, want %+v", i, c, w)
		}
	}

	md := p.msg
	m := dynamicpb.NewMessage(md)
	f := md.Fields()
	m.Set(f.ByName("id"), protoreflect.ValueOfInt64(42))
	ts := dynamicpb.NewMessage(f.ByName("at").Message())
	ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(1796481000))
	ts.Set(ts.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(123456000))
	m.Set(f.ByName("at"), protoreflect.ValueOfMessage(ts))
	cu := dynamicpb.NewMessage(f.ByName("customer").Message())
	cu.Set(cu.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString("Ada"))
	m.Set(f.ByName("customer"), protoreflect.ValueOfMessage(cu))
	tags := m.Mutable(f.ByName("tags")).List()
	tags.Append(protoreflect.ValueOfString("a"))
	tags.Append(protoreflect.ValueOfString("b"))
	m.Set(f.ByName("status"), protoreflect.ValueOfEnum(1))
	body, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var paths []field.Path
	for _, c := range cols {
		pp, _ := field.ParsePath(c.Field)
		paths = append(paths, pp)
	}
	ext, _ := p.Extractor(paths)
	out := make([]field.Value, len(paths))
	for _, idx := range [][]byte{{0}, protowire.AppendVarint(protowire.AppendVarint(nil, protowire.EncodeZigZag(1)), 0)} {
		v := append(append(AppendHeader(nil, 5), idx...), body...)
		if _, err := ext.Extract(v, out, nil); err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, o := range out {
			got = append(got, o.Kind.String()+":"+o.Text())
		}
		wantVals := []string{"number:42", "null:", "number:1796481000123456", "string:Ada", `array:["a","b"]`, "string:PAID"}
		for i := range wantVals {
			if got[i] != wantVals[i] {
				t.Errorf("indexes %v, %s: %s, want %s", idx, cols[i].Name, got[i], wantVals[i])
			}
		}
	}
	// Indexes naming the second message, or none of the file's.
	other := append(append(AppendHeader(nil, 5), protowire.AppendVarint(protowire.AppendVarint(nil, protowire.EncodeZigZag(1)), protowire.EncodeZigZag(1))...), body...)
	if _, err := ext.Extract(other, out, nil); !errors.Is(err, ErrIndexes) {
		t.Errorf("a value of message Other: %v", err)
	}
	bad := append(append(AppendHeader(nil, 5), protowire.AppendVarint(protowire.AppendVarint(nil, protowire.EncodeZigZag(1)), protowire.EncodeZigZag(7))...), body...)
	if _, err := ext.Extract(bad, out, nil); !errors.Is(err, ErrIndexes) {
		t.Errorf("index 7: %v", err)
	}
	if _, err := ParseProtobuf(`syntax = "proto3"; message X { nope y = 1; }`, nil); err == nil {
		t.Error("a bad .proto compiled")
	}
}

// FuzzProtobufIndexes: the message-index parser never panics, and what it accepts names a message.
func FuzzProtobufIndexes(f *testing.F) {
	p, err := ParseProtobuf(orderProto, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{0})
	f.Add([]byte{2, 0})
	f.Add([]byte{4, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		md, rest, err := p.messageFor(b)
		if err == nil && (md == nil || len(rest) > len(b)) {
			t.Fatalf("accepted %v: %v, %d bytes left", b, md, len(rest))
		}
	})
}

// Confluent's serializers register a schema as a base64 FileDescriptorProto, not .proto text; both
// forms of one schema give the same columns.
func TestProtobufRegisteredAsDescriptor(t *testing.T) {
	text, err := ParseProtobuf(orderProto, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(protodesc.ToFileDescriptorProto(text.file))
	if err != nil {
		t.Fatal(err)
	}
	desc, err := ParseProtobuf(base64.StdEncoding.EncodeToString(b), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(desc.Columns(), text.Columns()) {
		t.Fatalf("from the descriptor: %+v\nfrom the text: %+v", desc.Columns(), text.Columns())
	}
	if _, err := ParseProtobuf(base64.StdEncoding.EncodeToString([]byte("not a descriptor")), nil); err == nil {
		t.Fatal("base64 of no descriptor parsed")
	}
}
