package field

import (
	"slices"
	"testing"
)

func TestKind(t *testing.T) {
	tests := []struct {
		k      Kind
		name   string
		absent bool
	}{
		{Missing, "missing", true},
		{Null, "null", true},
		{String, "string", false},
		{Number, "number", false},
		{Bool, "bool", false},
		{Object, "object", false},
		{Array, "array", false},
		{Kind(42), "kind(42)", false},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.name {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.name)
		}
		if got := (Value{Kind: tt.k}).IsAbsent(); got != tt.absent {
			t.Errorf("Value{Kind: %s}.IsAbsent() = %v, want %v", tt.k, got, tt.absent)
		}
	}
}

func TestValueText(t *testing.T) {
	if got := StringValue("héllo").Text(); got != "héllo" {
		t.Errorf("StringValue(%q).Text() = %q, want %q", "héllo", got, "héllo")
	}
	if v := StringValue("x"); v.Kind != String {
		t.Errorf("StringValue(%q).Kind = %s, want string", "x", v.Kind)
	}
	for _, v := range []Value{missing(), null()} {
		if got := v.Text(); got != "" {
			t.Errorf("%s.Text() = %q, want empty", show(v), got)
		}
	}
	if got := obj(`{"a":1}`).Text(); got != `{"a":1}` {
		t.Errorf("object.Text() = %q, want the raw JSON", got)
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want Path
	}{
		{"a", Path{"a"}},
		{"user.geo.country", Path{"user", "geo", "country"}},
		{`a\.b`, Path{"a.b"}},
		{`a\.b.c`, Path{"a.b", "c"}},
		{`a\\.b`, Path{`a\`, "b"}},
		{`a\\\.b`, Path{`a\.b`}},
		{`a\b`, Path{`a\b`}}, // a backslash before anything else is itself
		{`a\`, Path{`a\`}},
		{`\\`, Path{`\`}},
		{"é.😀", Path{"é", "😀"}},
		{" a . b ", Path{" a ", " b "}},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParsePath(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", ".", "a.", ".a", "a..b"} {
		if got, err := ParsePath(in); err == nil {
			t.Errorf("ParsePath(%q) = %q, want an error", in, got)
		}
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    Path
		want string
	}{
		{Path{"a"}, "a"},
		{Path{"user", "geo", "country"}, "user.geo.country"},
		{Path{"a.b", "c"}, `a\.b.c`},
		{Path{`a\`, "b"}, `a\\.b`},
		{Path{`a\.b`}, `a\\\.b`},
		{Path{`.`, `\`}, `\..\\`},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%q.String() = %q, want %q", []string(tt.p), got, tt.want)
		}
		back, err := ParsePath(tt.want)
		if err != nil || !slices.Equal(back, tt.p) {
			t.Errorf("ParsePath(%q) = %q, %v, want %q", tt.want, back, err, tt.p)
		}
	}
}

// FuzzPathRoundTrip checks ParsePath(p.String()) == p for any path of non-empty segments.
func FuzzPathRoundTrip(f *testing.F) {
	for _, s := range []string{"a", "a.b", `a\`, `\.`, `.\\.`, "é\x00"} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var p Path
		for _, s := range []string{a, b} {
			if s != "" {
				p = append(p, s)
			}
		}
		if len(p) == 0 {
			return
		}
		s := p.String()
		back, err := ParsePath(s)
		if err != nil || !slices.Equal(back, p) {
			t.Fatalf("ParsePath(%q) = %q, %v, want %q", s, back, err, p)
		}
	})
}
