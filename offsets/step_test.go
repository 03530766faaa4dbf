package offsets

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestFileNameRoundTrip(t *testing.T) {
	for _, c := range []struct {
		tp         TP
		start, end int64
		want       string
	}{
		{TP{"clicks", 0}, 0, 0, "clicks+0+00000000000000000000+00000000000000000000.parquet"},
		{TP{"clicks", 7}, 100, 199, "clicks+7+00000000000000000100+00000000000000000199.parquet"},
		{TP{"a.b_c-d", math.MaxInt32}, 5, math.MaxInt64, "a.b_c-d+2147483647+00000000000000000005+09223372036854775807.parquet"},
		{TP{"x", 12}, math.MaxInt64, math.MaxInt64, "x+12+09223372036854775807+09223372036854775807.parquet"},
	} {
		got := FileName(c.tp, c.start, c.end)
		if got != c.want {
			t.Errorf("FileName(%v, %d, %d) = %q, want %q", c.tp, c.start, c.end, got, c.want)
		}
		tp, s, e, ok := ParseFileName(got)
		if !ok || tp != c.tp || s != c.start || e != c.end {
			t.Errorf("ParseFileName(%q) = %v %d %d %v, want %v %d %d true", got, tp, s, e, ok, c.tp, c.start, c.end)
		}
	}
}

func TestFileNamesSortByOffset(t *testing.T) {
	tp := TP{"t", 3}
	a, b := FileName(tp, 9, 99), FileName(tp, 100, 100)
	if !(a < b) {
		t.Errorf("%q does not sort before %q", a, b)
	}
}

func TestParseFileNameRejects(t *testing.T) {
	const z = "00000000000000000000" // 20 digits
	for _, name := range []string{
		"",
		".parquet",
		"clicks+0+" + z + "+" + z, // no extension
		"clicks+0+" + z + "+" + z + ".parquet.tmp",                        // not .parquet
		"clicks+0+" + z + "+" + z + ".json",                               // not .parquet
		"clicks+0+" + z + "+" + z + ".PARQUET",                            // case matters
		"+0+" + z + "+" + z + ".parquet",                                  // empty topic
		"clicks+0+0000000000000000000+" + z + ".parquet",                  // 19-digit start
		"clicks+0+" + z + "+000000000000000000001.parquet",                // 21-digit end
		"clicks+0+1+2.parquet",                                            // no padding
		"clicks+0+-0000000000000000001+" + z + ".parquet",                 // negative start
		"clicks+0+" + z + "+-0000000000000000001.parquet",                 // negative end
		"clicks+0+-0000000000000000000+" + z + ".parquet",                 // "negative zero"
		"clicks+0++0000000000000000001+" + z + ".parquet",                 // explicit sign
		"clicks+0+" + z + "++0000000000000000001.parquet",                 // explicit sign
		"clicks+0+00000000000000000002+00000000000000000001.parquet",      // end < start
		"cl+icks+0+" + z + "+" + z + ".parquet",                           // extra '+'
		"clicks+0+" + z + "+" + z + "+" + z + ".parquet",                  // extra '+'
		"clicks+0+" + z + "+" + z + "+.parquet",                           // trailing '+'
		"clicks+00+" + z + "+" + z + ".parquet",                           // leading zero in partition
		"clicks+07+" + z + "+" + z + ".parquet",                           // leading zero in partition
		"clicks++7+" + z + "+" + z + ".parquet",                           // signed partition
		"clicks+-1+" + z + "+" + z + ".parquet",                           // negative partition
		"clicks+-0+" + z + "+" + z + ".parquet",                           // negative zero partition
		"clicks++" + z + "+" + z + ".parquet",                             // empty partition
		"clicks+2147483648+" + z + "+" + z + ".parquet",                   // partition over int32
		"clicks+0+99999999999999999999+99999999999999999999.parquet",      // offsets over int64
		"clicks+0+0000000000000000000a+" + z + ".parquet",                 // not a number
		"clicks+0+ 0000000000000000001+" + z + ".parquet",                 // space
		"clicks+0x1+" + z + "+" + z + ".parquet",                          // hex partition
		"clicks+0+0_000000000000000001+" + z + ".parquet",                 // underscore
		"clicks+0+" + z + "+" + z + ".parquet" + "+" + z + ".parquet",     // two names glued
		"clicks+0+00000000000000000001+00000000000000000000.parquet",      // end < start
		"clicks+1+00000000000000000000+0000000000000000000\u0661.parquet", // non-ASCII digit
	} {
		if tp, s, e, ok := ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) = %v %d %d ok, want rejected", name, tp, s, e)
		}
	}
}

func TestPathsStayInTheirDirectories(t *testing.T) {
	p := Paths{Root: "/out", Group: "g1"}
	tp := TP{"clicks", 4}
	s := Step{TP: tp, Start: 10, End: 20}
	f := File{ID: "abc", Dir: "clicks/dt=2026-11-22/hour=13"}
	if got, want := p.StagingDir(tp), "/out/_staging/g1/clicks/4"; got != want {
		t.Errorf("StagingDir = %q, want %q", got, want)
	}
	if got, want := p.Staging(tp, "abc"), "/out/_staging/g1/clicks/4/abc.parquet"; got != want {
		t.Errorf("Staging = %q, want %q", got, want)
	}
	if got, want := p.Final(s, f), "/out/clicks/dt=2026-11-22/hour=13/clicks+4+00000000000000000010+00000000000000000020.parquet"; got != want {
		t.Errorf("Final = %q, want %q", got, want)
	}
	if got, want := p.manifestPath(tp, "m1"), "/out/_staging/g1/clicks/4/m1.step.json"; got != want {
		t.Errorf("manifestPath = %q, want %q", got, want)
	}
}

func TestParseMetaRoundTrip(t *testing.T) {
	tp := TP{"clicks", 2}
	step := Step{TP: tp, Start: 100, End: 250, Files: []File{
		{ID: NewID(), Dir: "clicks/dt=2026-11-22/hour=13", Size: 1234},
		{ID: NewID(), Dir: "clicks/dt=2026-11-22/hour=14", Size: 0},
		{ID: NewID(), Dir: "_errors/clicks/dt=2026-11-22/hour=14", Size: 99},
		// Characters JSON escapes must come back as they were.
		{ID: "id<&>\"q\"", Dir: "clicks/dt=2026-11-22/country=%3Cb%3E \u00e9\t", Size: 1 << 40},
	}}
	// "a..b" is a valid Kafka topic name; its directories are not parent references.
	dotted := Step{TP: tp, Start: 0, End: 1, Files: []File{
		{ID: "x", Dir: "my..topic/dt=2026-11-22/hour=13", Size: 5},
		{ID: "y", Dir: "_errors/my..topic/dt=2026-11-22/hour=13", Size: 6},
		{ID: "z", Dir: "...", Size: 7},
	}}
	for _, c := range []struct {
		name string
		md   string
		want Meta
	}{
		{"empty", "", Meta{RunStart: -1}},
		{"run start", runStartMeta(42), Meta{RunStart: 42}},
		{"run start zero", runStartMeta(0), Meta{RunStart: 0}},
		{"run start max", runStartMeta(math.MaxInt64), Meta{RunStart: math.MaxInt64}},
		{"pending", metaPrefix + "p=" + encodeStep(step), Meta{RunStart: -1, Pending: &step}},
		{"pending without files", metaPrefix + "p=" + encodeStep(Step{TP: tp, Start: 5, End: 5}), Meta{RunStart: -1, Pending: &Step{TP: tp, Start: 5, End: 5}}},
		{"dots in a topic name", metaPrefix + "p=" + encodeStep(dotted), Meta{RunStart: -1, Pending: &dotted}},
		{"manifest", metaPrefix + "m=0123abcd", Meta{RunStart: -1, Manifest: "0123abcd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseMeta(tp, c.md)
			if err != nil {
				t.Fatalf("ParseMeta(%q): %v", c.md, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("ParseMeta(%q) = %+v, want %+v", c.md, got, c.want)
			}
		})
	}
}

func TestEncodeDecodeStep(t *testing.T) {
	tp := TP{"t", 0}
	s := Step{TP: tp, Start: 0, End: math.MaxInt64 - 1, Files: []File{{ID: "a", Dir: "t/x", Size: math.MaxInt64, Rows: 7}}}
	got, err := decodeStep(tp, encodeStep(s))
	if err != nil {
		t.Fatal(err)
	}
	s.Files[0].Rows = 0 // informational, not committed
	if !reflect.DeepEqual(*got, s) {
		t.Errorf("decodeStep(encodeStep(s)) = %+v, want %+v", *got, s)
	}
	// The encoding is what a 4 KiB metadata budget is spent on: keep it compact.
	if enc := encodeStep(s); strings.Contains(enc, " ") || strings.Contains(enc, "Rows") {
		t.Errorf("encoding %q is not compact", enc)
	}
}

func TestParseMetaRejects(t *testing.T) {
	tp := TP{"clicks", 2}
	p := func(json string) string { return metaPrefix + "p=" + json }
	for _, c := range []struct {
		name, md, want string
	}{
		{"foreign text", "committed by my-app", "another application"},
		{"foreign json", `{"owner":"spark"}`, "another application"},
		{"prefix without space", "k2h1r=5", "another application"},
		{"other version", "k2h2 r=5", "another application"},
		{"prefix only", "k2h1 ", "another application"},
		{"kind without =", "k2h1 r5", "another application"},
		{"unknown kind", "k2h1 x=1", "unknown kind"},
		{"run start empty", "k2h1 r=", "bad run start"},
		{"run start negative", "k2h1 r=-1", "bad run start"},
		{"run start text", "k2h1 r=ten", "bad run start"},
		{"run start overflow", "k2h1 r=9223372036854775808", "bad run start"},
		{"manifest empty", "k2h1 m=", "bad manifest id"},
		{"manifest with slash", "k2h1 m=../../x", "bad manifest id"},
		{"manifest with backslash", `k2h1 m=..\x`, "bad manifest id"},
		{"step not json", p("{"), "pending step"},
		{"step trailing data", p(`{"s":1,"e":2,"f":[]}x`), "pending step"},
		{"step no start", p(`{"e":2,"f":[]}`), "bad range"},
		{"step no end", p(`{"s":1,"f":[]}`), "bad range"},
		{"step negative start", p(`{"s":-1,"e":2,"f":[]}`), "bad range"},
		{"step end before start", p(`{"s":3,"e":2,"f":[]}`), "bad range"},
		{"step file short", p(`{"s":1,"e":2,"f":[["a","t/x"]]}`), "bad file entry"},
		{"step file long", p(`{"s":1,"e":2,"f":[["a","t/x",1,2]]}`), "bad file entry"},
		{"step file types", p(`{"s":1,"e":2,"f":[[1,"t/x",1]]}`), "bad file entry"},
		{"step file size fraction", p(`{"s":1,"e":2,"f":[["a","t/x",1.5]]}`), "bad file entry"},
		{"step file not array", p(`{"s":1,"e":2,"f":[{"id":"a"}]}`), "pending step"},
		{"unsafe dir parent", p(`{"s":1,"e":2,"f":[["a","../etc",1]]}`), "unsafe file entry"},
		{"unsafe dir inner parent", p(`{"s":1,"e":2,"f":[["a","t/../../etc",1]]}`), "unsafe file entry"},
		{"unsafe dir absolute", p(`{"s":1,"e":2,"f":[["a","/etc",1]]}`), "unsafe file entry"},
		{"unsafe dir empty", p(`{"s":1,"e":2,"f":[["a","",1]]}`), "unsafe file entry"},
		{"unsafe dir only parent", p(`{"s":1,"e":2,"f":[["a","..",1]]}`), "unsafe file entry"},
		{"unsafe dir trailing parent", p(`{"s":1,"e":2,"f":[["a","t/..",1]]}`), "unsafe file entry"},
		{"unsafe id slash", p(`{"s":1,"e":2,"f":[["../../x","t/x",1]]}`), "unsafe file entry"},
		{"unsafe id inner slash", p(`{"s":1,"e":2,"f":[["a/b","t/x",1]]}`), "unsafe file entry"},
		{"unsafe id backslash", p(`{"s":1,"e":2,"f":[["a\\b","t/x",1]]}`), "unsafe file entry"},
		{"unsafe id empty", p(`{"s":1,"e":2,"f":[["","t/x",1]]}`), "unsafe file entry"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseMeta(tp, c.md)
			if err == nil {
				t.Fatalf("ParseMeta(%q) = %+v, want an error", c.md, m)
			}
			if !errors.Is(err, ErrBadMetadata) {
				t.Errorf("ParseMeta(%q) error %q does not wrap ErrBadMetadata", c.md, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseMeta(%q) error %q does not contain %q", c.md, err, c.want)
			}
			if !strings.Contains(err.Error(), tp.String()) {
				t.Errorf("ParseMeta(%q) error %q does not name the partition %s", c.md, err, tp)
			}
		})
	}
}

func TestParseMetaForeignMessageIsShort(t *testing.T) {
	md := strings.Repeat("x", 5000)
	_, err := ParseMeta(TP{"t", 1}, md)
	if err == nil || !strings.Contains(err.Error(), "another application using this group") {
		t.Fatalf("error %v does not say another application may be using the group", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error quotes %d bytes of foreign metadata; it should be cut short", len(err.Error()))
	}
}
