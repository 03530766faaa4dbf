package interceptor

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

func str(s string) field.Value { return field.StringValue(s) }
func num(s string) field.Value { return field.Value{Kind: field.Number, Bytes: []byte(s)} }
func boolean(s string) field.Value {
	return field.Value{Kind: field.Bool, Bytes: []byte(s)}
}

var (
	null    = field.Value{Kind: field.Null}
	missing = field.Value{}
)

// fmtValue prints a value readably in test messages: kind and quoted text.
func fmtValue(v field.Value) string {
	if v.IsAbsent() {
		return v.Kind.String()
	}
	return fmt.Sprintf("%s %q", v.Kind, v.Bytes)
}

func sameValue(a, b field.Value) bool { return a.Kind == b.Kind && bytes.Equal(a.Bytes, b.Bytes) }

// rig is a topic's layout with a built chain, for records filled by hand while field.Extractor is
// not there: sources are bound before the chain, as the filler sees them, outputs after it, as the
// partitioner and schema see them.
type rig struct {
	layout *record.Layout
	chain  Chain
	in     []record.Slot
	out    []record.Slot
	slots  int
}

func newRig(t testing.TB, inputs, outputs []string, cs ...Config) *rig {
	t.Helper()
	g := &rig{layout: record.NewLayout(true)}
	for _, name := range inputs {
		s, err := g.layout.Read(name)
		if err != nil {
			t.Fatalf("Read(%q): %v", name, err)
		}
		g.in = append(g.in, s)
	}
	var err error
	if g.chain, err = BuildChain(cs, Env{Layout: g.layout, Hostname: "loader-1"}); err != nil {
		t.Fatalf("BuildChain: %v", err)
	}
	for _, name := range outputs {
		s, err := g.layout.Read(name)
		if err != nil {
			t.Fatalf("Read(%q) after the chain: %v", name, err)
		}
		g.out = append(g.out, s)
	}
	g.slots = numSlots(t, g.layout)
	return g
}

// numSlots is the length Layout.Filler would give Record.Fields. Layout does not export it, but
// reading a header nobody reads appends exactly one slot, the last.
func numSlots(t testing.TB, l *record.Layout) int {
	t.Helper()
	s, err := l.Read("@header.zz-test-slot-count")
	if err != nil {
		t.Fatal(err)
	}
	return int(s) + 1
}

// record returns a record whose inputs hold vals, in the order of newRig's inputs.
func (g *rig) record(vals ...field.Value) *record.Record {
	r := &record.Record{Fields: make([]field.Value, g.slots)}
	g.fill(r, vals...)
	return r
}

// fill resets r as Filler.Fill does and sets the inputs.
func (g *rig) fill(r *record.Record, vals ...field.Value) {
	clear(r.Fields)
	for i, v := range vals {
		r.Fields[g.in[i]] = v
	}
}

// get returns output i of r.
func (g *rig) get(r *record.Record, i int) field.Value { return r.Fields[g.out[i]] }
