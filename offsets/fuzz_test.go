package offsets

import (
	"path"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{
		FileName(TP{"clicks", 0}, 0, 0),
		FileName(TP{"clicks", 7}, 100, 199),
		FileName(TP{"a.b_c-d", 2147483647}, 5, 9223372036854775807),
		"clicks+0++0000000000000000001+00000000000000000001.parquet",
		"clicks+0+-0000000000000000000+00000000000000000000.parquet",
		"clicks+07+00000000000000000000+00000000000000000000.parquet",
		"x+y+z+w.parquet",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tp, s, e, ok := ParseFileName(name)
		if !ok {
			return
		}
		if s < 0 || e < s || tp.Partition < 0 || tp.Topic == "" || strings.Contains(tp.Topic, "+") {
			t.Fatalf("ParseFileName(%q) accepted %v %d %d", name, tp, s, e)
		}
		if got := FileName(tp, s, e); got != name {
			t.Fatalf("FileName(ParseFileName(%q)) = %q", name, got)
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	tp := TP{"clicks", 3}
	for _, s := range []string{
		"",
		runStartMeta(0),
		runStartMeta(123456),
		metaPrefix + "m=abcdef",
		metaPrefix + "p=" + encodeStep(Step{TP: tp, Start: 1, End: 9, Files: []File{{ID: "a1", Dir: "clicks/dt=2026-11-22/hour=13", Size: 10}}}),
		metaPrefix + `p={"s":1,"e":2,"f":[["a","../x",1]]}`,
		metaPrefix + `p={"s":1,"e":2,"f":[["a","t",1],["b","u",2,3]]}`,
		metaPrefix + `p={"s":1,"e":2,"f":null}`,
		"k2h1 r=+5",
		"not ours",
	} {
		f.Add(s)
	}
	paths := Paths{Root: "/out", Group: "g"}
	f.Fuzz(func(t *testing.T, md string) {
		m, err := ParseMeta(tp, md)
		if err != nil {
			return
		}
		kinds := 0
		if m.RunStart >= 0 {
			kinds++
		}
		if m.Pending != nil {
			kinds++
		}
		if m.Manifest != "" {
			kinds++
			if strings.ContainsAny(m.Manifest, "/\\") {
				t.Fatalf("ParseMeta(%q) accepted manifest id %q", md, m.Manifest)
			}
			if mp := paths.manifestPath(tp, m.Manifest); path.Dir(mp) != paths.StagingDir(tp) {
				t.Fatalf("ParseMeta(%q): manifest %s is outside the staging directory", md, mp)
			}
		}
		if kinds > 1 || kinds == 0 && md != "" {
			t.Fatalf("ParseMeta(%q) = %+v: want exactly one kind", md, m)
		}
		s := m.Pending
		if s == nil {
			return
		}
		if s.TP != tp || s.Start < 0 || s.End < s.Start {
			t.Fatalf("ParseMeta(%q) accepted step %+v", md, *s)
		}
		for _, f := range s.Files {
			// Whatever committed metadata says, publishing it must stay under the root and
			// read from the partition's own staging directory.
			staging, final := paths.Staging(tp, f.ID), paths.Final(*s, f)
			if path.Dir(staging) != paths.StagingDir(tp) {
				t.Fatalf("ParseMeta(%q): staging file %s escapes %s", md, staging, paths.StagingDir(tp))
			}
			if !strings.HasPrefix(final, paths.Root+"/") {
				t.Fatalf("ParseMeta(%q): final file %s escapes %s", md, final, paths.Root)
			}
		}
		// A decoded step encodes and decodes to itself.
		again, err := decodeStep(tp, encodeStep(*s))
		if err != nil {
			t.Fatalf("decodeStep(encodeStep(%+v)): %v", *s, err)
		}
		if !reflect.DeepEqual(again, s) && !(len(again.Files) == 0 && len(s.Files) == 0 && again.Start == s.Start && again.End == s.End) {
			t.Fatalf("step %+v re-decodes as %+v", *s, *again)
		}
	})
}
