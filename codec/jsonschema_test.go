package codec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

func TestJSONSchema(t *testing.T) {
	j, err := ParseJSONSchema(`{"type":"object","required":["id","user"],"properties":{
	  "id":{"type":"integer"},"price":{"type":["number","null"]},"ok":{"type":"boolean","default":true},
	  "at":{"type":"string","format":"date-time"},"tags":{"type":"array","items":{"type":"string"}},
	  "user":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"age":{"type":"integer"}}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		typ, field string
		req        bool
	}{
		"id": {"int64", "id", true}, "price": {"double", "price", false}, "ok": {"boolean", "ok", false},
		"at": {"timestamp-millis", "at", false}, "tags": {"list<string>", "tags", false},
		"user_name": {"string", "user.name", true}, "user_age": {"int64", "user.age", false},
	}
	if len(j.Columns()) != len(want) {
		t.Fatalf("columns %+v", j.Columns())
	}
	for _, c := range j.Columns() {
		w, ok := want[c.Name]
		if !ok || schema.Shape(c) != w.typ || c.Field != w.field || c.Required != w.req {
			t.Errorf("column %+v, want %+v", c, w)
		}
	}
	if !j.HasDefault("ok") || j.HasDefault("id") {
		t.Error("defaults wrong")
	}
	p, _ := field.ParsePath("user.name")
	ext, _ := j.Extractor([]field.Path{p})
	out := make([]field.Value, 1)
	if _, err := ext.Extract(append(AppendHeader(nil, 3), `{"user":{"name":"Ada"}}`...), out, nil); err != nil || out[0].Text() != "Ada" {
		t.Fatalf("extract: %v %v", out, err)
	}
	if _, err := ext.Extract([]byte(`{"user":{"name":"Ada"}}`), out, nil); err == nil {
		t.Fatal("a value without the wire header was read")
	}
	if _, err := ParseJSONSchema(`{"type":"string"}`); err == nil {
		t.Fatal("a non-object schema was accepted")
	}
}

func TestJSONSchemaNested(t *testing.T) {
	const text = `{"type":"object","required":["id","lines"],"properties":{
	  "id":{"type":"integer"},
	  "lines":{"type":"array","items":{"type":"object","required":["sku"],"properties":{
	    "sku":{"type":"string"},"at":{"type":"string","format":"date-time"},"qty":{"type":["integer","null"]}}}},
	  "grid":{"type":"array","items":{"type":"array","items":{"type":"number"}}},
	  "tuple":{"type":"array","items":[{"type":"string"},{"type":"integer"}]},
	  "any":{"type":"array","items":{}},
	  "user":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"day":{"type":"string","format":"date"}}}}}`
	for _, groups := range []bool{false, true} {
		j, err := ParseJSONSchemaWith(text, Options{Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range j.Columns() {
			s := c.Name + " " + schema.Shape(c)
			if !c.Required {
				s += "?"
			}
			got = append(got, s)
		}
		want := "any list<optional string>?, grid list<list<double>>?, id int64, lines list<group<at: optional timestamp-millis, qty: optional int64, sku: string>>, tuple string?, "
		if groups {
			want += "user group<day: optional date, name: string>?"
		} else {
			want += "user_day date?, user_name string?"
		}
		if g := strings.Join(got, ", "); g != want {
			t.Fatalf("groups %v: columns %s, want %s", groups, g, want)
		}
		doc := `{"id":1,"lines":[{"sku":"a","at":"2023-11-14T22:13:20.5Z","qty":null,"extra":1},{"sku":"b","qty":2}],` +
			`"grid":[[1.5],[]],"tuple":["x",1],"any":[1,"s",{"a":[true]},null],"user":{"name":"Ada","day":"2023-11-14"}}`
		tbl := roundTripWith(t, j.Columns(), j.Extractor, [][]byte{
			append(AppendHeader(nil, 3), doc...),
			append(AppendHeader(nil, 3), `{"id":2,"lines":[],"grid":null}`...),
		})
		rows := []map[string]any{{
			"id": int64(1),
			"lines": []any{
				map[string]any{"sku": "a", "at": verify.Millis(1700000000500), "qty": nil},
				map[string]any{"sku": "b", "at": nil, "qty": int64(2)},
			},
			"grid": []any{[]any{1.5}, []any{}}, "tuple": `["x",1]`, "any": []any{"1", "s", `{"a":[true]}`, nil},
		}, {"id": int64(2), "lines": []any{}, "grid": nil, "tuple": nil, "any": nil}}
		if groups {
			rows[0]["user"] = map[string]any{"name": "Ada", "day": time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC)}
			rows[1]["user"] = nil
		}
		for i, w := range rows {
			for name, v := range w {
				if got := tbl.Rows[i][tbl.Col(name)]; !reflect.DeepEqual(got, v) {
					t.Errorf("groups %v, row %d, %s: %#v, want %#v", groups, i, name, got, v)
				}
			}
		}
	}
}
