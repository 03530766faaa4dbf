package codec

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// nestedSchema has every nested shape: arrays and maps of leaves (logical types, nullable),
// of records, of arrays; records (flattened or groups); unions of several branches; a tree.
const nestedSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"maybe_tags","type":["null",{"type":"array","items":["null","string"]}],"default":null},
 {"name":"counts","type":{"type":"map","values":"long"}},
 {"name":"when","type":{"type":"map","values":["null",{"type":"long","logicalType":"timestamp-micros"}]}},
 {"name":"days","type":{"type":"array","items":{"type":"int","logicalType":"date"}}},
 {"name":"prices","type":{"type":"array","items":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}},
 {"name":"blobs","type":{"type":"array","items":{"type":"fixed","name":"Two","size":2}}},
 {"name":"floats","type":{"type":"array","items":"float"}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[
   {"name":"name","type":"string"},
   {"name":"state","type":{"type":"enum","name":"State","symbols":["NEW","OLD"]}}]}},
 {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
   {"name":"sku","type":"string"},
   {"name":"qty","type":["null","int"],"default":null},
   {"name":"attrs","type":{"type":"map","values":"string"}}]}}},
 {"name":"grid","type":{"type":"array","items":{"type":"array","items":"int"}}},
 {"name":"either","type":["null","string","long","Customer"],"default":null},
 {"name":"one","type":["string","boolean"]},
 {"name":"tree","type":["null",{"type":"record","name":"Node","fields":[
   {"name":"v","type":"int"},{"name":"kids","type":{"type":"array","items":"Node"}}]}],"default":null}
]}`

func nestedRecord() map[string]any {
	return map[string]any{
		"id": int64(1), "tags": []any{"a", "b\"é"},
		"maybe_tags": map[string]any{"array": []any{map[string]any{"string": "x"}, nil}},
		"counts":     map[string]any{"b": int64(2), "a": int64(-1)},
		"when":       map[string]any{"t": map[string]any{"long.timestamp-micros": time.UnixMicro(1700000000123456).UTC()}, "n": nil},
		"days":       []any{time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		"prices":     []any{big.NewRat(1999, 100), big.NewRat(-5, 100)},
		"blobs":      []any{[2]byte{0, 255}},
		"floats":     []any{float32(1.5), float32(math.Inf(1)), float32(math.NaN())},
		"customer":   map[string]any{"name": "Ada", "state": "OLD"},
		"lines": []any{
			map[string]any{"sku": "s1", "qty": map[string]any{"int": 3}, "attrs": map[string]any{"c": "red"}},
			map[string]any{"sku": "s2", "qty": nil, "attrs": map[string]any{}},
		},
		"grid":   []any{[]any{1, 2}, []any{}, []any{3}},
		"either": map[string]any{"shop.Customer": map[string]any{"name": "Bo", "state": "NEW"}},
		"one":    map[string]any{"boolean": true},
		"tree": map[string]any{"shop.Node": map[string]any{"v": 1, "kids": []any{
			map[string]any{"v": 2, "kids": []any{}}}}},
	}
}

// emptyRecord has empty arrays and maps, nulls where the schema allows them.
func emptyRecord() map[string]any {
	return map[string]any{
		"id": int64(2), "tags": []any{}, "maybe_tags": nil, "counts": map[string]any{}, "when": map[string]any{},
		"days": []any{}, "prices": []any{}, "blobs": []any{}, "floats": []any{},
		"customer": map[string]any{"name": "", "state": "NEW"}, "lines": []any{}, "grid": []any{},
		"either": nil, "one": map[string]any{"string": "s"}, "tree": nil,
	}
}

func kv(kvs ...any) []verify.MapEntry {
	out := []verify.MapEntry{}
	for i := 0; i < len(kvs); i += 2 {
		out = append(out, verify.MapEntry{Key: kvs[i], Value: kvs[i+1]})
	}
	return out
}

func TestAvroNestedRoundTrip(t *testing.T) {
	common := [2]map[string]any{{
		"id": int64(1), "tags": []any{"a", "b\"é"}, "maybe_tags": []any{"x", nil},
		"counts": kv("a", int64(-1), "b", int64(2)),
		"when":   kv("n", nil, "t", verify.Micros(1700000000123456)),
		"days":   []any{time.Date(2023, 11, 14, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		"prices": []any{verify.Decimal("19.99"), verify.Decimal("-0.05")},
		"blobs":  []any{[]byte{0, 255}},
		"floats": []any{float32(1.5), float32(math.Inf(1)), float32(math.NaN())},
		"lines": []any{
			map[string]any{"sku": "s1", "qty": int32(3), "attrs": kv("c", "red")},
			map[string]any{"sku": "s2", "qty": nil, "attrs": kv()},
		},
		"grid":   []any{[]any{int32(1), int32(2)}, []any{}, []any{int32(3)}},
		"either": map[string]any{"member0": nil, "member1": nil, "member2": map[string]any{"name": "Bo", "state": "NEW"}},
		"one":    map[string]any{"member0": nil, "member1": true},
		"tree_v": int32(1), "tree_kids": []any{`{"kids":[],"v":2}`},
	}, {
		"id": int64(2), "tags": []any{}, "maybe_tags": nil, "counts": kv(), "when": kv(),
		"days": []any{}, "prices": []any{}, "blobs": []any{}, "floats": []any{}, "lines": []any{}, "grid": []any{},
		"either": nil, "one": map[string]any{"member0": "s", "member1": nil}, "tree_v": nil, "tree_kids": nil,
	}}
	for _, groups := range []bool{false, true} {
		a, err := ParseAvroWith(nestedSchema, Options{Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{{}, {}}
		for i := range want {
			for k, v := range common[i] {
				want[i][k] = v
			}
		}
		if groups {
			// The tree is one group whose kids are a list of the recursive record as JSON text.
			want[0]["tree"] = map[string]any{"v": int32(1), "kids": []any{`{"kids":[],"v":2}`}}
			want[1]["tree"] = nil
			want[0]["customer"] = map[string]any{"name": "Ada", "state": "OLD"}
			want[1]["customer"] = map[string]any{"name": "", "state": "NEW"}
			for i := range want {
				delete(want[i], "tree_v")
				delete(want[i], "tree_kids")
			}
		} else {
			want[0]["customer_name"], want[0]["customer_state"] = "Ada", "OLD"
			want[1]["customer_name"], want[1]["customer_state"] = "", "NEW"
		}
		tbl := roundTripSpill(t, a, groups, nestedRecord(), emptyRecord()) // spilled once too
		var names []string
		for _, c := range tbl.Columns {
			names = append(names, c.Name)
		}
		for i, row := range tbl.Rows {
			for name, w := range want[i] {
				j := tbl.Col(name)
				if j < 0 {
					t.Fatalf("groups %v: no column %s in %v", groups, name, names)
				}
				if !deepEqualNaN(row[j], w) {
					t.Errorf("groups %v, row %d, %s: got %#v, want %#v", groups, i, name, row[j], w)
				}
			}
		}
	}
}

func deepEqualNaN(a, b any) bool {
	if x, ok := a.([]any); ok {
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqualNaN(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if x, ok := a.(float32); ok {
		if y, ok := b.(float32); ok && x != x && y != y {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

// roundTrip loads values of a's schema through the loader's own path (extractor, record filler,
// schema.Row, writer.Partition) and reads the file back with the independent arrow-go reader.
func roundTrip(t *testing.T, a *Avro, values ...map[string]any) *verify.Table {
	return roundTripSpill(t, a, false, values...)
}

// roundTripSpill is roundTrip; with spill, rows are buffered and spilled to disk after each
// value (the writer's memory relief, which must keep every value's levels).
func roundTripSpill(t *testing.T, a *Avro, spill bool, values ...map[string]any) *verify.Table {
	t.Helper()
	var wired [][]byte
	for i, v := range values {
		body, err := avro.Marshal(a.Schema(), v)
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		wired = append(wired, wire(1, body))
	}
	return roundTripWith(t, a.Columns(), a.Extractor, wired, spill)
}

// roundTripWith loads wire-format values whose columns are cols and whose extractor newExt makes.
func roundTripWith(t *testing.T, cols []schema.Column, newExt func([]field.Path) (record.Extractor, error), values [][]byte, spill ...bool) *verify.Table {
	t.Helper()
	layout := record.NewLayout(true)
	s, err := schema.NewJSON(cols, layout, schema.Options{})
	if err != nil {
		t.Fatalf("NewJSON: %v", err)
	}
	filler, err := layout.FillerWith(newExt)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: &writer.Budget{}, RowGroupBytes: 300}
	spilling := len(spill) > 0 && spill[0]
	if spilling {
		cfg.Budget.SpillDir, cfg.RowGroupBytes = t.TempDir(), 64<<10
	}
	p := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	t.Cleanup(p.Close)
	var (
		r   record.Record
		buf record.Buffers
		row parquet.Row
	)
	for i, v := range values {
		r = record.Record{Topic: "t", Offset: int64(i), Timestamp: time.UnixMilli(0), Value: v, Fields: r.Fields}
		if err := filler.Fill(&r, &buf); err != nil {
			t.Fatalf("value %d: Fill: %v", i, err)
		}
		if row, err = s.Row(&r, row); err != nil {
			t.Fatalf("value %d: Row: %v", i, err)
		}
		if err := p.Write(context.Background(), "t/d", s, row); err != nil {
			t.Fatal(err)
		}
		if spilling {
			if freed, err := p.Spill(); err != nil || freed <= 0 {
				t.Fatalf("Spill: freed %d, %v", freed, err)
			}
		}
	}
	files, err := p.Stage(context.Background())
	if err != nil || len(files) != 1 {
		t.Fatalf("Stage: %v, %d files", err, len(files))
	}
	tbl, err := verify.ReadPath(p.StagingPath(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestAvroNestedColumns(t *testing.T) {
	for _, groups := range []bool{false, true} {
		a, err := ParseAvroWith(nestedSchema, Options{Groups: groups})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range a.Columns() {
			s := c.Name + " " + schema.Shape(c)
			if !c.Required {
				s += "?"
			}
			got = append(got, s)
		}
		want := []string{
			"id int64", "tags list<string>", "maybe_tags list<optional string>?", "counts map<int64>",
			"when map<optional timestamp-micros>", "days list<date>", "prices list<decimal(9,2)>",
			"blobs list<bytes>", "floats list<float>",
		}
		if groups {
			want = append(want, "customer group<name: string, state: string>")
		} else {
			want = append(want, "customer_name string", "customer_state string")
		}
		want = append(want, "lines list<group<sku: string, qty: optional int32, attrs: map<string>>>",
			"grid list<list<int32>>",
			"either group<member0: optional string, member1: optional int64, member2: optional group<name: string, state: string>>?",
			"one group<member0: optional string, member1: optional boolean>")
		if groups {
			want = append(want, "tree group<v: int32, kids: list<string>>?")
		} else {
			want = append(want, "tree_v int32?", "tree_kids list<string>?")
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("groups %v: columns\n%s\nwant\n%s", groups, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// A string inside a list that is not UTF-8 makes the record a dead letter, as a top-level one does.
func TestAvroNestedNotUTF8(t *testing.T) {
	a, err := ParseAvro(`{"type":"record","name":"R","fields":[{"name":"l","type":{"type":"array","items":"string"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	layout := record.NewLayout(true)
	s, err := schema.NewJSON(a.Columns(), layout, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	filler, _ := layout.FillerWith(a.Extractor)
	body, _ := avro.Marshal(a.Schema(), map[string]any{"l": []any{"ok", "\xff"}})
	r := record.Record{Value: wire(1, body)}
	var buf record.Buffers
	if err := filler.Fill(&r, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Row(&r, nil); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("Row: %v, want not valid UTF-8", err)
	}
}

// Without unions below a nested field the typed extractor reads the values; the columns come out
// the same.
func TestAvroNestedTyped(t *testing.T) {
	a, err := ParseAvroWith(`{"type":"record","name":"R","fields":[
 {"name":"id","type":"long"},
 {"name":"l","type":["null",{"type":"array","items":{"type":"long","logicalType":"timestamp-millis"}}],"default":null},
 {"name":"m","type":{"type":"map","values":{"type":"record","name":"V","fields":[{"name":"x","type":"double"}]}}},
 {"name":"g","type":{"type":"record","name":"G","fields":[{"name":"b","type":"bytes"},{"name":"d","type":{"type":"int","logicalType":"date"}}]}}
]}`, Options{Groups: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []field.Path
	for _, c := range a.Columns() {
		p, _ := field.ParsePath(c.Field)
		paths = append(paths, p)
	}
	if ext, _ := a.Extractor(paths); reflect.TypeOf(ext) != reflect.TypeOf(&typedExtractor{}) {
		t.Fatalf("extractor %T, want typed", ext)
	}
	tbl := roundTrip(t, a,
		map[string]any{"id": int64(1), "l": map[string]any{"array": []any{time.UnixMilli(1500).UTC()}},
			"m": map[string]any{"k": map[string]any{"x": 0.25}}, "g": map[string]any{"b": []byte{1}, "d": time.Unix(86400, 0).UTC()}},
		map[string]any{"id": int64(2), "l": nil, "m": map[string]any{}, "g": map[string]any{"b": []byte{}, "d": time.Unix(0, 0).UTC()}})
	want := [][]any{
		{int64(1), []any{verify.Millis(1500)}, kv("k", map[string]any{"x": 0.25}), map[string]any{"b": []byte{1}, "d": verify.Date(1)}},
		{int64(2), nil, kv(), map[string]any{"b": []byte{}, "d": verify.Date(0)}},
	}
	for i, w := range want {
		if got := tbl.Rows[i][:4]; !reflect.DeepEqual(got, w) {
			t.Errorf("row %d: %#v, want %#v", i, got, w)
		}
	}
}

// BenchmarkNestedRow: record → row for an event with a list of 8 strings, a map of 4 longs and a
// list of 3 records, as LIST/MAP columns (nested) and, for comparison, as STRING columns holding
// the same JSON text (the fallback before issue 17's columns, minus its json.Marshal).
func BenchmarkNestedRow(b *testing.B) {
	const text = `{"type":"record","name":"E","fields":[{"name":"id","type":"long"},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"lines","type":{"type":"array","items":{"type":"record","name":"L","fields":[{"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}}]}`
	a, err := ParseAvro(text)
	if err != nil {
		b.Fatal(err)
	}
	body, err := avro.Marshal(a.Schema(), map[string]any{"id": int64(1),
		"tags":  []any{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"},
		"attrs": map[string]any{"a": int64(1), "b": int64(22), "c": int64(333), "d": int64(4444)},
		"lines": []any{map[string]any{"sku": "s-1", "qty": 1}, map[string]any{"sku": "s-2", "qty": 2}, map[string]any{"sku": "s-3", "qty": 3}}})
	if err != nil {
		b.Fatal(err)
	}
	value := wire(1, body)
	flat := append([]schema.Column{}, a.Columns()...)
	for i := range flat {
		if schema.IsNested(flat[i].Type) {
			flat[i] = schema.Column{Name: flat[i].Name, Field: flat[i].Field, Type: schema.TypeString, Required: true}
		}
	}
	for _, c := range []struct {
		name string
		cols []schema.Column
	}{{"nested", a.Columns()}, {"string", flat}} {
		b.Run(c.name, func(b *testing.B) {
			layout := record.NewLayout(true)
			s, err := schema.NewJSON(c.cols, layout, schema.Options{})
			if err != nil {
				b.Fatal(err)
			}
			filler, err := layout.FillerWith(a.Extractor)
			if err != nil {
				b.Fatal(err)
			}
			var (
				r   record.Record
				buf record.Buffers
				row parquet.Row
			)
			b.ReportAllocs()
			for b.Loop() {
				r.Value = value
				if err := filler.Fill(&r, &buf); err != nil {
					b.Fatal(err)
				}
				if row, err = s.Row(&r, row); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
