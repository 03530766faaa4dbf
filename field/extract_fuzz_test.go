package field

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzPaths are read from every fuzzed document, on top of the ones the input names and the keys
// the document itself holds.
var fuzzPaths = []Path{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"b"}, {"é"}, {"a.b"}, {"\uFFFD"}, {"a"}}

func FuzzExtract(f *testing.F) {
	seeds := []string{
		`{}`, ` {"a":1} `, `{"a":{"b":{"c":[1,2,{"d":null}]}}}`, `{"a":"x","a":{"b":2}}`,
		`{"a":{"b":1},"a":{"c":2}}`, `{"a":{"b":1},"a":true}`, `{"\u0061":{"\u0062":"\u00e9"}}`,
		`{"a":"\ud83d\ude00\ud800\udc00x\udc00\ud800"}`, `{"a":"\ud800\\u0041"}`, `{"a":"\/\b\f\n\r\t\"\\"}`,
		`{"a":-0.0e+00,"b":1E-9,"c":12345678901234567890}`, `{"a":[],"b":{},"c":""}`,
		`{"a.b":1,"a":{"b":2}}`, `{"é":"é","\u00e9":"\u00e9"}`, "{\"a\":\"\xe2\x82\xac\"}",
		`{"a":01}`, `{"a":1.}`, `{"a":.1}`, `{"a":+1}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`,
		`{"a":"\u12"}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}",
		`{"a":1,}`, `{"a":[1,]}`, `{"a" 1}`, `{"a":1}x`, `{"a":1}{}`, `[{"a":1}]`, `"a"`, `1`, `null`,
		``, ` `, `{`, `{"a":`, `{"a":"`, `{"a":[`, "{\"a\":1}\n", "\t{\r\n\"a\"\t:\t1\r\n}",
		`{"a":[[[[[[[[[[]]]]]]]]]]}`, `{"a":{"b":{"c":{"d":{"e":{}}}}}}`,
		`{"a":"<>&\u2028\u2029"}`, "{\"a\":\"\x1f\x7f\x80\"}", "{\"a\":\"0123456789\x1f\"}", `{"":1,"a":{"":2}}`, `{"a":"0123456789abcdef\"0123456789abcdef"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "a\na.b")
	}
	f.Add([]byte(clickEvent), "user.geo\npage.title\ncart.items")
	f.Fuzz(func(t *testing.T, doc []byte, pathSpec string) {
		paths := slices.Clone(fuzzPaths)
		for _, line := range strings.SplitN(pathSpec, "\n", 8) {
			if p, err := ParsePath(line); err == nil {
				paths = append(paths, p)
			}
		}
		tree, ok := decodeObject(doc)
		if ok {
			paths = appendKeyPaths(paths, nil, tree, 64)
		}
		e, err := NewExtractor(paths)
		if err != nil {
			t.Fatalf("NewExtractor(%q): %v", paths, err)
		}
		out := make([]Value, len(paths))
		scratch, err := e.Extract(doc, out, nil)
		if (err == nil) != ok {
			t.Fatalf("Extract(%q) error = %v, want accepted = %v", doc, err, ok)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(doc) || se.Msg == "" {
				t.Fatalf("Extract(%q) error = %#v, want a *SyntaxError within the document", doc, err)
			}
			return
		}
		for i, p := range paths {
			want, found := walk(tree, p)
			got := out[i]
			if got.Kind == String && !within(got.Bytes, doc) && !within(got.Bytes, scratch) {
				t.Errorf("Extract(%q) path %s: bytes alias neither doc nor the returned scratch", doc, p)
			}
			if got.KnownUTF8() && !utf8.Valid(got.Bytes) {
				t.Errorf("Extract(%q) path %s = %v: said to be valid UTF-8, and is not", doc, p, show(got))
			}
			if msg := compare(got, want, found); msg != "" {
				t.Errorf("Extract(%q) path %s = %v, want %s", doc, p, show(got), msg)
			}
		}
	})
}

// decodeObject is the oracle: whether Extract must accept doc, and what encoding/json makes of it.
func decodeObject(doc []byte) (map[string]any, bool) {
	if !json.Valid(doc) || !utf8.Valid(doc) || depth(doc) > maxDepth {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		panic("encoding/json: Valid but Decode failed: " + err.Error())
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// depth is the nesting depth of the valid JSON document doc.
func depth(doc []byte) int {
	d, maxd, inStr := 0, 0, false
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			d++
			maxd = max(maxd, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return maxd
}

// appendKeyPaths adds the path of every key under m, up to limit paths in all.
func appendKeyPaths(paths []Path, prefix Path, m map[string]any, limit int) []Path {
	for k, v := range m {
		if len(paths) >= limit {
			break
		}
		if k == "" {
			continue // NewExtractor rejects empty segments, as ParsePath does
		}
		p := append(slices.Clone(prefix), k)
		paths = append(paths, p)
		if sub, ok := v.(map[string]any); ok {
			paths = appendKeyPaths(paths, p, sub, limit)
		}
	}
	return paths
}

func walk(m map[string]any, p Path) (any, bool) {
	var v any = m
	for _, seg := range p {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = o[seg]; !ok {
			return nil, false
		}
	}
	return v, true
}

// compare returns "" when got is what encoding/json found, else a description of the latter.
func compare(got Value, want any, found bool) string {
	if !found {
		if got.Kind != Missing || got.Bytes != nil {
			return "missing"
		}
		return ""
	}
	switch w := want.(type) {
	case nil:
		if got.Kind != Null || got.Bytes != nil {
			return "null"
		}
	case string:
		if got.Kind != String || string(got.Bytes) != w {
			return show(str(w))
		}
	case json.Number:
		if got.Kind != Number || string(got.Bytes) != string(w) {
			return show(num(string(w)))
		}
	case bool:
		if got.Kind != Bool || string(got.Bytes) != map[bool]string{true: "true", false: "false"}[w] {
			return show(boo(map[bool]string{true: "true", false: "false"}[w]))
		}
	case map[string]any, []any:
		kind := Object
		if _, ok := w.([]any); ok {
			kind = Array
		}
		wantJSON, err := json.Marshal(w)
		if err != nil {
			return "marshal: " + err.Error()
		}
		d := json.NewDecoder(bytes.NewReader(got.Bytes))
		d.UseNumber()
		var v any
		if got.Kind != kind || d.Decode(&v) != nil || d.InputOffset() != int64(len(got.Bytes)) {
			return kind.String() + " " + string(wantJSON)
		}
		gotJSON, err := json.Marshal(v)
		if err != nil || !bytes.Equal(gotJSON, wantJSON) {
			return kind.String() + " " + string(wantJSON)
		}
	default:
		return "unexpected oracle type"
	}
	return ""
}
