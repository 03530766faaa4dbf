package codec

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

const ordersV1 = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"qty","type":"int"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"uid","type":{"type":"string","logicalType":"uuid"}},
 {"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","PAID"]}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[
   {"name":"name","type":"string"},
   {"name":"geo","type":["null",{"type":"record","name":"Geo","fields":[{"name":"country","type":"string"}]}],"default":null}]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"either","type":["int","string"]},
 {"name":"ratio","type":"double"},
 {"name":"ok","type":"boolean"},
 {"name":"raw","type":"bytes"}
]}`

func wire(id int, body []byte) []byte {
	return append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, body...)
}

func TestAvroColumns(t *testing.T) {
	a, err := ParseAvro(ordersV1)
	if err != nil {
		t.Fatal(err)
	}
	want := []schema.Column{
		{Name: "id", Type: "int64", Field: "id", Required: true},
		{Name: "qty", Type: "int32", Field: "qty", Required: true},
		{Name: "note", Type: "string", Field: "note"},
		{Name: "at", Type: "timestamp-millis", Field: "at", Required: true},
		{Name: "day", Type: "date", Field: "day", Required: true},
		{Name: "price", Type: "decimal(10,2)", Field: "price", Required: true},
		{Name: "uid", Type: "string", Field: "uid", Required: true},
		{Name: "state", Type: "string", Field: "state", Required: true},
		{Name: "customer_name", Type: "string", Field: "customer.name", Required: true},
		{Name: "customer_geo_country", Type: "string", Field: "customer.geo.country"},
		{Name: "tags", Type: "list<string>", Field: "tags", Required: true},
		{Name: "attrs", Type: "map<int64>", Field: "attrs", Required: true},
		{Name: "either", Type: "group<member0: optional int32, member1: optional string>", Field: "either", Required: true},
		{Name: "ratio", Type: "double", Field: "ratio", Required: true},
		{Name: "ok", Type: "boolean", Field: "ok", Required: true},
		{Name: "raw", Type: "bytes", Field: "raw", Required: true},
	}
	got := a.Columns()
	if len(got) != len(want) {
		t.Fatalf("%d columns, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || schema.Shape(got[i]) != want[i].Type || got[i].Field != want[i].Field || got[i].Required != want[i].Required {
			t.Errorf("column %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAvroExtract(t *testing.T) {
	a, err := ParseAvro(ordersV1)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 14, 30, 0, 123e6, time.UTC)
	rec := map[string]any{
		"id": int64(42), "qty": 3, "note": map[string]any{"string": "gift"},
		"at": at, "day": time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
		"price": big.NewRat(1999, 100), "uid": "8f14e45f-ceea-467f-a0e6-1c5c7e4d8c4e", "state": "PAID",
		"customer": map[string]any{"name": "Ada", "geo": map[string]any{"shop.Geo": map[string]any{"country": "FR"}}},
		"tags":     []any{"a", "b"}, "attrs": map[string]any{"k": int64(1)},
		"either": map[string]any{"string": "x"}, "ratio": 0.5, "ok": true, "raw": []byte{0, 1},
	}
	body, err := avro.Marshal(a.Schema(), rec)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"id", "qty", "note", "at", "day", "price", "uid", "state", "customer.name",
		"customer.geo.country", "tags", "attrs", "attrs.k", "either", "ratio", "ok", "raw", "nope", "customer"}
	var fp []field.Path
	for _, p := range paths {
		pp, _ := field.ParsePath(p)
		fp = append(fp, pp)
	}
	ext, _ := a.Extractor(fp)
	out := make([]field.Value, len(fp))
	if _, err := ext.Extract(wire(1, body), out, nil); err != nil {
		t.Fatal(err)
	}
	want := []field.Value{
		{Kind: field.Number, Bytes: []byte("42")},
		{Kind: field.Number, Bytes: []byte("3")},
		{Kind: field.String, Bytes: []byte("gift")},
		{Kind: field.Number, Bytes: []byte("1796481000123")},
		{Kind: field.Number, Bytes: []byte("20792")},
		{Kind: field.Number, Bytes: []byte("19.99")},
		{Kind: field.String, Bytes: []byte("8f14e45f-ceea-467f-a0e6-1c5c7e4d8c4e")},
		{Kind: field.String, Bytes: []byte("PAID")},
		{Kind: field.String, Bytes: []byte("Ada")},
		{Kind: field.String, Bytes: []byte("FR")},
		{Kind: field.Array, Bytes: []byte(`["a","b"]`)},
		{Kind: field.Object, Bytes: []byte(`{"k":1}`)},
		{Kind: field.Number, Bytes: []byte("1")},
		{Kind: field.Object, Bytes: []byte(`{"member1":"x"}`)}, // the union's group, not hamba's wrapping
		{Kind: field.Number, Bytes: []byte("0.5")},
		{Kind: field.Bool, Bytes: []byte("true")},
		{Kind: field.String, Bytes: []byte{0, 1}},
		{},
		{Kind: field.Object, Bytes: []byte(`{"geo":{"shop.Geo":{"country":"FR"}},"name":"Ada"}`)},
	}
	for i := range want {
		if out[i].Kind != want[i].Kind || string(out[i].Bytes) != string(want[i].Bytes) {
			t.Errorf("%s: %s %q, want %s %q", paths[i], out[i].Kind, out[i].Bytes, want[i].Kind, want[i].Bytes)
		}
	}
	if at.UnixMilli() != 1796481000123 || at.Unix()/86400 != 20792 {
		t.Fatalf("the test's own arithmetic is off: %d %d", at.UnixMilli(), at.Unix()/86400)
	}

	// A null nested record: its leaves are null, not missing.
	rec["customer"] = map[string]any{"name": "Bo", "geo": nil}
	rec["note"] = nil
	body, err = avro.Marshal(a.Schema(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ext.Extract(wire(1, body), out, nil); err != nil {
		t.Fatal(err)
	}
	if out[2].Kind != field.Null || out[9].Kind != field.Null {
		t.Errorf("note %s, customer.geo.country %s; want null, null", out[2].Kind, out[9].Kind)
	}

	// Trailing bytes, a truncated body, no header.
	for _, bad := range [][]byte{wire(1, append(body, 0)), wire(1, body[:len(body)-3]), body} {
		if _, err := ext.Extract(bad, out, nil); !errors.Is(err, ErrDecode) && !errors.Is(err, ErrWire) {
			t.Errorf("a bad value decoded: %v", err)
		}
	}
}
