package e2e

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// nestedWantJava is record i of produce.py's variant nested as parquet-mr's JSON shows it, under
// nested: group (the array's records are groups either way).
func nestedWantJava(i int) map[string]any {
	tags := []any{}
	for k := range i % 3 {
		tags = append(tags, fmt.Sprintf("t%d-%d", i, k))
	}
	attrs := map[string]any{}
	if i%4 != 0 {
		attrs = map[string]any{"j": float64(-1), "k": float64(i)}
	}
	var qty any
	if i%5 != 0 {
		qty = float64(i)
	}
	var maybe any
	if i%2 == 1 {
		maybe = []any{float64(i), float64(i + 1)}
	}
	return map[string]any{"tags": tags, "attrs": attrs, "maybe": maybe,
		"lines": []any{map[string]any{"sku": fmt.Sprintf("s%d", i), "qty": qty}}}
}

// Arrays, maps and records inside arrays written by Confluent's AvroSerializer land as Parquet
// LIST and MAP columns that parquet-mr reads value for value (empty lists and maps, null lists,
// null members), besides the usual proof (every offset once, arrow-go and parquet-mr agree).
func TestRealRegistryNestedColumns(t *testing.T) {
	_, url := registryEnv(t)
	t.Parallel()
	markStart(t)
	h := newRealHarness(t, "sr-nested", 3)
	group := h.g("g-sr-nested")
	y := h.srConfig(group, url, "avro", "stop")
	y = strings.Replace(y, "    incompatible: stop\n", "    incompatible: stop\n    nested: group\n", 1)
	requireRegistryLoader(t, y)
	cfgPath := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 600
	b := h.srProduce(t, "avro", "nested", 0, n)
	p := spawn(t, "batch", "batch", cfgPath, "")
	if err := p.wait(3 * time.Minute); err != nil {
		t.Fatalf("batch run: %v; output:\n%s", err, p.tail(8000))
	}
	h.proveReal(t, group, "Registry Avro arrays/maps/records as LIST/MAP/groups (Confluent serializer, batch binary)", "none")
	files := h.srIDs(t, n, map[int]string{b.SchemaID: "avro"})
	want := map[string]javaColumn{
		"tags.list.element":      {Type: "BINARY", Logical: "STRING", Repetition: "REQUIRED"},
		"attrs.key_value.key":    {Type: "BINARY", Logical: "STRING", Repetition: "REQUIRED"},
		"attrs.key_value.value":  {Type: "INT64", Logical: "INTEGER(64,true)", Repetition: "REQUIRED"},
		"lines.list.element.sku": {Type: "BINARY", Logical: "STRING", Repetition: "REQUIRED"},
		"lines.list.element.qty": {Type: "INT32", Logical: "INTEGER(32,true)", Repetition: "OPTIONAL"},
		"maybe.list.element":     {Type: "INT32", Logical: "INTEGER(32,true)", Repetition: "REQUIRED"},
	}
	rows := 0
	for _, f := range files[b.SchemaID] {
		cols := columns(f)
		for path, w := range want {
			if c, ok := cols[path]; !ok || c.Type != w.Type || c.Logical != w.Logical || c.Repetition != w.Repetition {
				t.Errorf("%s: column %s is %+v, want %+v (columns %v)", f.Path, path, c, w, f.Schema)
			}
		}
		for _, row := range f.Values {
			id := int(row["id"].(float64))
			for name, w := range nestedWantJava(id) {
				if got := row[name]; !reflect.DeepEqual(got, w) {
					t.Errorf("id %d, %s: parquet-mr reads %#v, want %#v", id, name, got, w)
				}
			}
			rows++
		}
	}
	if rows != n {
		t.Errorf("parquet-mr read %d rows, want %d", rows, n)
	}
}
