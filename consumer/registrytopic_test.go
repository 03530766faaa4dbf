package consumer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/interceptor"
	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
)

func avroRecord(fields string) string {
	return `{"type":"record","name":"R","fields":[` + fields + `]}`
}

func TestCompatible(t *testing.T) {
	base := `{"name":"a","type":"int"},{"name":"f","type":"float"},{"name":"s","type":["null","string"],"default":null}`
	// Nested columns evolve member by member.
	items := func(fields string) string {
		return `{"name":"items","type":{"type":"array","items":{"type":"record","name":"I","fields":[` + fields + `]}}}`
	}
	nbase := items(`{"name":"sku","type":"string"},{"name":"n","type":"int"}`)
	for _, tc := range []struct {
		name, base, next string
		want             string // "" compatible, else a substring of the error
	}{
		{"same", base, base, ""},
		{"added optional", base, base + `,{"name":"n","type":["null","long"],"default":null}`, ""},
		{"added with default", base, base + `,{"name":"n","type":"string","default":"x"}`, ""},
		{"int to long, float to double", base, `{"name":"a","type":"long"},{"name":"f","type":"double"},{"name":"s","type":["null","string"]}`, ""},
		{"removed", base, `{"name":"a","type":"int"}`, ""},
		{"required to optional", base, `{"name":"a","type":["null","int"]},{"name":"f","type":"float"}`, ""},
		{"added required", base, base + `,{"name":"n","type":"string"}`, "new column n is required"},
		{"string to int", base, `{"name":"a","type":"int"},{"name":"f","type":"float"},{"name":"s","type":["null","int"]}`, "column s changes type from string to int32"},
		{"element member added optional", nbase, items(`{"name":"sku","type":"string"},{"name":"n","type":"int"},{"name":"x","type":["null","long"],"default":null}`), ""},
		{"element member widened", nbase, items(`{"name":"sku","type":"string"},{"name":"n","type":"long"}`), ""},
		{"element member added required", nbase, items(`{"name":"sku","type":"string"},{"name":"n","type":"int"},{"name":"x","type":"long"}`), "new member x is required"},
		{"element member changes type", nbase, items(`{"name":"sku","type":"int"},{"name":"n","type":"int"}`), "column items element member sku changes type from string to int32"},
		{"list becomes a string", nbase, `{"name":"items","type":"string"}`, "column items changes type from list<group<sku: string, n: int32>> to string"},
	} {
		old, err := codec.ParseAvro(avroRecord(tc.base))
		if err != nil {
			t.Fatal(err)
		}
		next, err := codec.ParseAvro(avroRecord(tc.next))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = compatible(old.Columns(), next)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want compatible", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Narrowing is incompatible too (long → int).
	wide, _ := codec.ParseAvro(avroRecord(`{"name":"a","type":"long"}`))
	narrow, _ := codec.ParseAvro(avroRecord(`{"name":"a","type":"int"}`))
	if err := compatible(wide.Columns(), narrow); err == nil {
		t.Error("long → int passed")
	}
}

// The verdict comes from the subject's earlier versions in the registry, so a restarted process
// (which has accepted nothing yet) still refuses an incompatible version.
func TestRegistryPlanChecksSubjectHistory(t *testing.T) {
	reg := fakeregistry.Start()
	defer reg.Close()
	v1 := reg.Register("orders-value", "", avroRecord(`{"name":"a","type":"int"}`))
	v2 := reg.Register("orders-value", "", avroRecord(`{"name":"a","type":"string"}`))
	cl, err := registry.New(registry.Config{URL: reg.URL()})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := CompileTopic(TopicSpec{Name: "orders", Format: FormatAvro}, CompileOptions{Registry: cl})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var se *schemaError
	if _, err := topic.reg.plan(ctx, topic, codec.AppendHeader(nil, v2)); !errors.As(err, &se) || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("version 2 first: %v, want incompatible with version 1", err)
	}
	p1, err := topic.reg.plan(ctx, topic, codec.AppendHeader(nil, v1))
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := topic.reg.plan(ctx, topic, codec.AppendHeader(nil, v1)); again != p1 {
		t.Error("the plan of an id is not cached")
	}
	if _, err := topic.reg.plan(ctx, topic, codec.AppendHeader(nil, 99)); !errors.As(err, &se) || !errors.Is(err, registry.ErrUnknownID) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := topic.reg.plan(ctx, topic, []byte{1, 2}); err == nil || errors.As(err, &se) {
		t.Errorf("a value without the header: %v, want a parse error", err)
	}
}

func TestNestedConfig(t *testing.T) {
	for _, tc := range []struct {
		format, nested, err string
	}{
		{FormatAvro, "group", ""},
		{FormatAvro, "flatten", ""},
		{FormatAvro, "", ""},
		{FormatProtobuf, "group", ""},
		{FormatJSONSchema, "group", ""},
		{FormatAvro, "tree", `nested: "tree" is not flatten or group`},
	} {
		_, err := CompileTopic(TopicSpec{Name: "t", Format: tc.format, Nested: tc.nested}, CompileOptions{})
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s nested %q: %v, want %q", tc.format, tc.nested, err, tc.err)
		}
	}
}

func TestNestedInterceptors(t *testing.T) {
	a, err := codec.ParseAvroWith(avroRecord(`{"name":"id","type":"long"},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"email","type":"string"}]}}`), codec.Options{Groups: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ic  interceptor.Config
		err string
	}{
		{interceptor.Config{Type: "mask", Field: "customer.email"}, "interceptors[0] (mask) changes customer.email, inside the group column customer"},
		{interceptor.Config{Type: "drop_fields", Fields: []string{"id", "customer.email"}}, "(drop_fields) changes customer.email"},
		{interceptor.Config{Type: "mask", Field: "customer"}, "(mask) would replace the group column customer with a scalar: it holds a group<email: string>"},
		{interceptor.Config{Type: "drop_fields", Fields: []string{"customer"}}, ""},
		{interceptor.Config{Type: "filter", Field: "customer.email"}, ""},
		{interceptor.Config{Type: "mask", Field: "customerx.email"}, ""},
	} {
		err := checkNestedInterceptors([]interceptor.Config{tc.ic}, a.Columns())
		if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%+v: %v, want %q", tc.ic, err, tc.err)
		}
	}
}
