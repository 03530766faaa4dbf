package codec

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

const nestedProto = `syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Order {
  int64 id = 1;
  repeated int32 nums = 2;
  repeated Line lines = 3;
  map<string, int64> counts = 4;
  map<int32, Line> by_no = 5;
  repeated google.protobuf.Timestamp times = 6;
  repeated Status states = 7;
  repeated bytes blobs = 8;
  Customer customer = 9;
  message Line { string sku = 1; optional int32 qty = 2; repeated string tags = 3; }
  message Customer { string name = 1; repeated string phones = 2; }
  enum Status { NEW = 0; PAID = 1; }
}
`

func TestProtobufNested(t *testing.T) {
	for _, groups := range []bool{false, true} {
		p, err := ParseProtobufWith(nestedProto, nil, Options{Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range p.Columns() {
			s := c.Name + " " + schema.Shape(c)
			if !c.Required {
				s += "?"
			}
			got = append(got, s)
		}
		want := []string{"id int64", "nums list<int32>",
			"lines list<group<sku: string, qty: optional int32, tags: list<string>>>",
			"counts map<int64>", "by_no map<group<sku: string, qty: optional int32, tags: list<string>>>",
			"times list<timestamp-micros>", "states list<string>", "blobs list<bytes>"}
		if groups {
			want = append(want, "customer group<name: string, phones: list<string>>?")
		} else {
			want = append(want, "customer_name string?", "customer_phones list<string>?")
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("groups %v: columns\n%s\nwant\n%s", groups, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		md := p.msg
		f := md.Fields()
		line := func(sku string, qty int32, tags ...string) protoreflect.Value {
			l := dynamicpb.NewMessage(f.ByName("lines").Message())
			lf := l.Descriptor().Fields()
			l.Set(lf.ByName("sku"), protoreflect.ValueOfString(sku))
			if qty >= 0 {
				l.Set(lf.ByName("qty"), protoreflect.ValueOfInt32(qty))
			}
			tl := l.Mutable(lf.ByName("tags")).List()
			for _, tg := range tags {
				tl.Append(protoreflect.ValueOfString(tg))
			}
			return protoreflect.ValueOfMessage(l)
		}
		m := dynamicpb.NewMessage(md)
		m.Set(f.ByName("id"), protoreflect.ValueOfInt64(1))
		nums := m.Mutable(f.ByName("nums")).List()
		nums.Append(protoreflect.ValueOfInt32(-1))
		nums.Append(protoreflect.ValueOfInt32(2))
		lines := m.Mutable(f.ByName("lines")).List()
		lines.Append(line("a", 3, "x", "y"))
		lines.Append(line("b", -1))
		counts := m.Mutable(f.ByName("counts")).Map()
		counts.Set(protoreflect.ValueOfString("z").MapKey(), protoreflect.ValueOfInt64(26))
		counts.Set(protoreflect.ValueOfString("a").MapKey(), protoreflect.ValueOfInt64(1))
		byNo := m.Mutable(f.ByName("by_no")).Map()
		byNo.Set(protoreflect.ValueOfInt32(7).MapKey(), line("s", 0))
		ts := dynamicpb.NewMessage(f.ByName("times").Message())
		ts.Set(ts.Descriptor().Fields().ByName("seconds"), protoreflect.ValueOfInt64(1700000000))
		ts.Set(ts.Descriptor().Fields().ByName("nanos"), protoreflect.ValueOfInt32(5000))
		m.Mutable(f.ByName("times")).List().Append(protoreflect.ValueOfMessage(ts))
		m.Mutable(f.ByName("states")).List().Append(protoreflect.ValueOfEnum(1))
		m.Mutable(f.ByName("blobs")).List().Append(protoreflect.ValueOfBytes([]byte{0, 255}))
		cu := dynamicpb.NewMessage(f.ByName("customer").Message())
		cu.Set(cu.Descriptor().Fields().ByName("name"), protoreflect.ValueOfString("Ada"))
		m.Set(f.ByName("customer"), protoreflect.ValueOfMessage(cu))
		full, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		empty := dynamicpb.NewMessage(md)
		empty.Set(f.ByName("id"), protoreflect.ValueOfInt64(2))
		none, err := proto.Marshal(empty)
		if err != nil {
			t.Fatal(err)
		}
		frame := func(b []byte) []byte { return append(append(AppendHeader(nil, 5), 0), b...) }
		tbl := roundTripWith(t, p.Columns(), p.Extractor, [][]byte{frame(full), frame(none)})
		rows := []map[string]any{{
			"id": int64(1), "nums": []any{int32(-1), int32(2)},
			"lines": []any{
				map[string]any{"sku": "a", "qty": int32(3), "tags": []any{"x", "y"}},
				map[string]any{"sku": "b", "qty": nil, "tags": []any{}},
			},
			"counts": kv("a", int64(1), "z", int64(26)),
			"by_no":  kv("7", map[string]any{"sku": "s", "qty": int32(0), "tags": []any{}}),
			"times":  []any{verify.Micros(1700000000000005)}, "states": []any{"PAID"}, "blobs": []any{[]byte{0, 255}},
		}, {
			"id": int64(2), "nums": []any{}, "lines": []any{}, "counts": kv(), "by_no": kv(),
			"times": []any{}, "states": []any{}, "blobs": []any{},
		}}
		if groups {
			rows[0]["customer"] = map[string]any{"name": "Ada", "phones": []any{}}
			rows[1]["customer"] = nil
		} else {
			rows[0]["customer_name"], rows[0]["customer_phones"] = "Ada", []any{}
			rows[1]["customer_name"], rows[1]["customer_phones"] = nil, nil
		}
		for i, w := range rows {
			for name, v := range w {
				j := tbl.Col(name)
				if j < 0 {
					t.Fatalf("no column %s", name)
				}
				if got := tbl.Rows[i][j]; !reflect.DeepEqual(got, v) {
					t.Errorf("groups %v, row %d, %s: %#v, want %#v", groups, i, name, got, v)
				}
			}
		}
	}
}
