package codec

import (
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
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
		"at": {"timestamp-millis", "at", false}, "tags": {"string", "tags", false},
		"user_name": {"string", "user.name", true}, "user_age": {"int64", "user.age", false},
	}
	if len(j.Columns()) != len(want) {
		t.Fatalf("columns %+v", j.Columns())
	}
	for _, c := range j.Columns() {
		w, ok := want[c.Name]
		if !ok || c.Type != w.typ || c.Field != w.field || c.Required != w.req {
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
