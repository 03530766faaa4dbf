package schema

import (
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

func TestFieldsJSON(t *testing.T) {
	layout := record.NewLayout(true)
	s, err := NewJSON([]Column{{Name: "s", Type: "string"}, {Name: "n", Type: "int64"}, {Name: "o", Type: "string"},
		{Name: "null", Type: "string"}, {Name: "missing", Type: "string"}, {Name: "bad", Type: "string"}}, layout, Options{})
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string]record.Slot{}
	for _, c := range s.cols {
		slots[c.name] = c.slot
	}
	r := &record.Record{Fields: make([]field.Value, 8)}
	r.Fields[slots["s"]] = field.StringValue("quote \" and \xff")
	r.Fields[slots["n"]] = field.Value{Kind: field.Number, Bytes: []byte("4.50")}
	r.Fields[slots["o"]] = field.Value{Kind: field.Object, Bytes: []byte(`{"a":[1,2]}`)}
	r.Fields[slots["null"]] = field.Value{Kind: field.Null}
	r.Fields[slots["bad"]] = field.Value{Kind: field.Number, Bytes: []byte("not json")}
	got, err := s.FieldsJSON(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"quote \" and ` + "\ufffd" + `","n":4.50,"o":{"a":[1,2]},"null":null,"bad":"not json"}`
	if string(got) != want {
		t.Errorf("FieldsJSON = %s\nwant         %s", got, want)
	}
	raw, _ := NewRaw(Options{})
	if _, err := raw.FieldsJSON(r, nil); err == nil {
		t.Error("FieldsJSON on a raw schema: no error")
	}
}
