package interceptor

import (
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func TestExtract(t *testing.T) {
	const access = `^(?P<method>[A-Z]+) (?P<path>\S+)(?: (?P<status>\d{3}))?(?P<rest>.*)$`
	tests := []struct {
		name  string
		regex string
		in    field.Value
		want  []field.Value // method, path, status, rest
	}{
		{"match", access, str("GET /a 200"), []field.Value{str("GET"), str("/a"), str("200"), str("")}},
		{"optional group absent", access, str("GET /a"), []field.Value{str("GET"), str("/a"), missing, str("")}},
		{"no match", access, str("garbage"), []field.Value{missing, missing, missing, missing}},
		{"missing source", access, missing, []field.Value{missing, missing, missing, missing}},
		{"null source", access, null, []field.Value{missing, missing, missing, missing}},
		{"unanchored", `(?P<method>GET|PUT) (?P<path>/\w+)`, str(`log: "PUT /x HTTP/1.1"`), []field.Value{str("PUT"), str("/x"), missing, missing}},
		{"number text", `^(?P<status>\d)`, num("404"), []field.Value{missing, missing, str("4"), missing}},
		{"shared name first that took part", `m=(?P<method>\w+)|(?P<method>[A-Z]+) (?P<path>\S+)`, str("POST /p"), []field.Value{str("POST"), str("/p"), missing, missing}},
		{"shared name first alternative", `m=(?P<method>\w+)|(?P<method>[A-Z]+) (?P<path>\S+)`, str("m=get"), []field.Value{str("get"), missing, missing, missing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, []string{"msg"}, []string{"method", "path", "status", "rest"},
				Config{Type: "extract", Field: "msg", Regex: tt.regex})
			r := g.record(tt.in)
			keep, err := g.chain.Intercept(r)
			if !keep || err != nil {
				t.Fatalf("Intercept(%v) = %v, %v, want true, nil", fmtValue(tt.in), keep, err)
			}
			for i, want := range tt.want {
				if got := g.get(r, i); !sameValue(got, want) {
					t.Errorf("Intercept(%v): field %d = %v, want %v", fmtValue(tt.in), i, fmtValue(got), fmtValue(want))
				}
			}
		})
	}
}

func TestExtractReusesSourceName(t *testing.T) {
	g := newRig(t, []string{"msg"}, []string{"msg", "level"},
		Config{Type: "extract", Field: "msg", Regex: `^(?P<level>[A-Z]+): (?P<msg>.*)$`})
	r := g.record(str("WARN: disk full"))
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	if got := g.get(r, 0); !sameValue(got, str("disk full")) {
		t.Errorf("msg = %v, want string \"disk full\"", fmtValue(got))
	}
	if got := g.get(r, 1); !sameValue(got, str("WARN")) {
		t.Errorf("level = %v, want string \"WARN\"", fmtValue(got))
	}
}

// TestExtractClearsPrevious reuses one record, as a partition pipeline does, with a filler that does
// not clear defined slots: a record that does not match must not carry the previous one's values.
func TestExtractClearsPrevious(t *testing.T) {
	g := newRig(t, []string{"msg"}, []string{"status"}, Config{Type: "extract", Field: "msg", Regex: `status=(?P<status>\d+)`})
	r := g.record(str("status=200"))
	for i, tt := range []struct {
		in   field.Value
		want field.Value
	}{
		{str("status=200"), str("200")},
		{str("no status"), missing},
		{str("status=503"), str("503")},
		{missing, missing},
	} {
		r.Fields[g.in[0]] = tt.in
		if _, err := g.chain.Intercept(r); err != nil {
			t.Fatal(err)
		}
		if got := g.get(r, 0); !sameValue(got, tt.want) {
			t.Errorf("record %d: Intercept(%v) = %v, want %v", i, fmtValue(tt.in), fmtValue(got), fmtValue(tt.want))
		}
	}
}
