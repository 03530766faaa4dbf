package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// A remembered time stands only for the same value read the same way, whatever happens to the
// bytes it was read from, and only for the record it was read from.
func TestRecallTime(t *testing.T) {
	rfc, err := field.ParseTimeFormat("rfc3339", nil)
	if err != nil {
		t.Fatal(err)
	}
	auto, _ := field.ParseTimeFormat("auto", nil)
	millis, _ := field.ParseTimeFormat("epoch_millis", nil)
	layout, _ := field.ParseTimeFormat("2006-01-02T15:04:05Z07:00", nil)
	buf := []byte("2026-11-22T10:00:00Z")
	v := field.Value{Kind: field.String, Bytes: buf}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	var r record.Record
	if _, ok := r.RecallTime(v, rfc); ok {
		t.Fatal("recalled a time never remembered")
	}
	r.RememberTime(v, rfc, at)
	for name, f := range map[string]field.TimeFormat{"rfc3339": rfc, "auto": auto, "zero": {}} {
		if got, ok := r.RecallTime(v, f); !ok || !got.Equal(at) {
			t.Errorf("%s: recalled %v, %v; want %v", name, got, ok, at)
		}
	}
	if _, ok := r.RecallTime(v, millis); ok {
		t.Error("recalled an RFC3339 reading for epoch_millis")
	}
	if _, ok := r.RecallTime(v, layout); ok {
		t.Error("recalled an RFC3339 reading for a layout")
	}
	if _, ok := r.RecallTime(field.Value{Kind: field.Number, Bytes: buf}, auto); ok {
		t.Error("recalled a string's reading for a number")
	}
	copy(buf, "2027") // the same bytes, changed in place
	if _, ok := r.RecallTime(v, rfc); ok {
		t.Error("recalled a time for changed bytes")
	}

	f, err := record.NewLayout(true).Filler()
	if err != nil {
		t.Fatal(err)
	}
	r.RememberTime(v, rfc, at)
	r.Value = []byte(`{}`)
	if err := f.Fill(&r, &record.Buffers{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.RecallTime(v, rfc); ok {
		t.Error("a time remembered for the previous record survived Fill")
	}
}

// Fill puts every source where the layout says, whether the JSON fields' slots are one run (filled
// in place) or have key and header slots between them (filled through a copy), and leaves the
// JSON slots Missing, the others filled, when the value is not JSON.
func TestFill(t *testing.T) {
	for _, names := range [][]string{
		{"a", "b.c", "@key", "@header.h"},
		{"a", "@key", "b.c", "@header.h"},
		{"@header.h", "a", "@key", "b.c"},
	} {
		l := record.NewLayout(true)
		slots := map[string]record.Slot{}
		for _, n := range names {
			s, err := l.Read(n)
			if err != nil {
				t.Fatal(err)
			}
			slots[n] = s
		}
		f, err := l.Filler()
		if err != nil {
			t.Fatal(err)
		}
		var b record.Buffers
		r := &record.Record{Key: []byte("k"), Headers: []record.Header{{Key: "h", Value: []byte("v")}}}
		for _, doc := range []string{`{"b":{"c":2},"a":"x"}`, `{"a":1}`, `not json`} {
			r.Value = []byte(doc)
			fillErr := f.Fill(r, &b)
			want := map[string]string{"a": "x", "b.c": "2", "@key": "k", "@header.h": "v"}
			switch doc {
			case `{"a":1}`:
				want["a"], want["b.c"] = "1", ""
			case `not json`:
				want["a"], want["b.c"] = "", ""
				if fillErr == nil {
					t.Errorf("%v: Fill(%s) accepted it", names, doc)
				}
			}
			for n, s := range slots {
				if got := string(r.Fields[s].Bytes); got != want[n] || r.Fields[s].IsAbsent() != (want[n] == "") {
					t.Errorf("%v: Fill(%s): %s = %q (absent %v), want %q", names, doc, n, got, r.Fields[s].IsAbsent(), want[n])
				}
			}
		}
	}
}

// halfExtractor writes its first out value, then fails: an extractor that errs after writing.
type halfExtractor struct{}

func (halfExtractor) Extract(_ []byte, out []field.Value, scratch []byte) ([]byte, error) {
	out[0] = field.Value{Kind: field.String, Bytes: []byte("partial")}
	return scratch, errors.New("broken value")
}

// A value that does not parse leaves every JSON field Missing, whatever the extractor wrote before
// it failed, in the in-place layout too.
func TestFillClearsOnError(t *testing.T) {
	l := record.NewLayout(true)
	sa, _ := l.Read("a")
	sb, _ := l.Read("b")
	f, err := l.FillerWith(func([]field.Path) (record.Extractor, error) { return halfExtractor{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	var b record.Buffers
	r := &record.Record{Value: []byte("x")}
	if err := f.Fill(r, &b); err == nil {
		t.Fatal("Fill accepted a value the extractor refused")
	}
	if !r.Fields[sa].IsAbsent() || !r.Fields[sb].IsAbsent() {
		t.Fatalf("fields after a failed Fill: %+v", r.Fields)
	}
}
