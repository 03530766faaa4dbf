package record_test

import (
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
