package field

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// show renders a value for got/want messages.
func show(v Value) string {
	switch v.Kind {
	case Missing, Null:
		if v.Bytes != nil {
			return fmt.Sprintf("%s(%q)", v.Kind, v.Bytes)
		}
		return v.Kind.String()
	}
	return fmt.Sprintf("%s(%q)", v.Kind, v.Bytes)
}

func showAll(vs []Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = show(v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func str(s string) Value { return Value{Kind: String, Bytes: []byte(s)} }
func num(s string) Value { return Value{Kind: Number, Bytes: []byte(s)} }
func obj(s string) Value { return Value{Kind: Object, Bytes: []byte(s)} }
func arr(s string) Value { return Value{Kind: Array, Bytes: []byte(s)} }
func boo(s string) Value { return Value{Kind: Bool, Bytes: []byte(s)} }
func null() Value        { return Value{Kind: Null} }
func missing() Value     { return Value{} }

// manyPaths is n paths from format with 0 to n-1.
func manyPaths(n int, format string) []string {
	paths := make([]string, n)
	for i := range paths {
		paths[i] = fmt.Sprintf(format, i)
	}
	return paths
}
func same(a, b Value) bool {
	return a.Kind == b.Kind && string(a.Bytes) == string(b.Bytes) && (a.Bytes == nil) == (b.Bytes == nil)
}

// within reports whether b lies inside buf[:len(buf)].
func within(b, buf []byte) bool {
	if len(b) == 0 || len(buf) == 0 {
		return len(b) == 0
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(buf))
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		paths []string
		want  []Value
	}{
		{
			name:  "kinds",
			doc:   `{"s":"x y","n":-1.5e3,"t":true,"f":false,"z":null,"o":{"a":[1,{}]},"a":[1,"2",{"b":3}],"e":"","eo":{},"ea":[]}`,
			paths: []string{"s", "n", "t", "f", "z", "o", "a", "e", "eo", "ea", "nope"},
			want: []Value{str("x y"), num("-1.5e3"), boo("true"), boo("false"), null(),
				obj(`{"a":[1,{}]}`), arr(`[1,"2",{"b":3}]`), str(""), obj(`{}`), arr(`[]`), missing()},
		},
		{
			// The kid search starts after the previous match: keys in the paths' order, in
			// reverse, shuffled, with unknown keys of a kid's length between, and the hint
			// wrapping around past the last kid.
			name:  "keys in any order",
			doc:   `{"c":3,"xx":0,"b":2,"a":1,"o":{"q":5,"p":4,"r":6,"p2":7},"d":4,"o2":{"p":8,"q":9}}`,
			paths: []string{"a", "b", "c", "d", "o.p", "o.q", "o.r", "o2.p", "o2.q"},
			want:  []Value{num("1"), num("2"), num("3"), num("4"), num("4"), num("5"), num("6"), num("8"), num("9")},
		},
		{
			// The suggested kid is compared in place: a key it is a prefix of, one it equals but
			// for an escape, and one that goes on past it must all be looked up.
			name:  "keys near the suggested one",
			doc:   `{"ab":1,"a":2,"b\u0063":3,"bcd":4,"x":{"é":5,"\u00e9":6}}`,
			paths: []string{"a", "ab", "bc", "bcd", "x.é"},
			want:  []Value{num("2"), num("1"), num("3"), num("4"), num("6")},
		},
		{
			// A kid of up to 7 bytes is compared as one word, closing quote included: keys one
			// byte longer or shorter than it, of exactly 7 and 8 bytes, and a document that ends
			// too soon for a word after the key's opening quote.
			name:  "keys compared a word at a time",
			doc:   `{"abcdef":3,"abcdefg":1,"abcdefx":9,"abcdefgh":2,"abcdefgx":4,"s":{"k":5,"kk":6},"q":"0123456789abcde","r":"0123456789abcdef","t":"0123456\"89"}`,
			paths: []string{"abcdefg", "abcdef", "abcdefgh", "s.k", "s.kk", "q", "r", "t"},
			want:  []Value{num("1"), num("3"), num("2"), num("5"), num("6"), str("0123456789abcde"), str("0123456789abcdef"), str(`0123456"89`)},
		},
		{
			name:  "a short key at the end",
			doc:   `{"b":0,"a":1}`,
			paths: []string{"b", "a"},
			want:  []Value{num("0"), num("1")},
		},
		{
			// Whitespace where compact JSON has none: around ':' and ',', before '}', and
			// before a key after ','.
			name:  "whitespace at every gap",
			doc:   "{\"a\" :1 , \"b\":\t\"x\"\n,\n\"c\":{ \"d\" : 2 }\r}",
			paths: []string{"a", "b", "c.d"},
			want:  []Value{num("1"), str("x"), num("2")},
		},
		{
			name:  "numbers keep their literal",
			doc:   `{"a":0,"b":-0,"c":4.50,"d":1E+2,"e":1e-07,"f":123456789012345678901234567890,"g":0.0}`,
			paths: []string{"a", "b", "c", "d", "e", "f", "g"},
			want:  []Value{num("0"), num("-0"), num("4.50"), num("1E+2"), num("1e-07"), num("123456789012345678901234567890"), num("0.0")},
		},
		{
			name:  "nesting",
			doc:   `{"user":{"id":7,"geo":{"country":"FR","city":{"name":"Lyon"}}},"geo":{"country":"no"}}`,
			paths: []string{"user.geo.country", "user.geo.city.name", "user.id", "geo.country", "user.geo.zip", "user.id.x", "user.geo.country.x"},
			want:  []Value{str("FR"), str("Lyon"), num("7"), str("no"), missing(), missing(), missing()},
		},
		{
			name:  "paths do not go through arrays or scalars",
			doc:   `{"a":[{"b":1}],"s":"x","n":null,"o":{"b":[{"b":2}]}}`,
			paths: []string{"a.b", "s.b", "n.b", "o.b.b", "o.b"},
			want:  []Value{missing(), missing(), missing(), missing(), arr(`[{"b":2}]`)},
		},
		{
			name:  "prefixes and duplicate paths",
			doc:   `{"a":{"b":{"c":1},"d":true}}`,
			paths: []string{"a", "a.b", "a.b.c", "a.b.c", "a.d", "a"},
			want:  []Value{obj(`{"b":{"c":1},"d":true}`), obj(`{"c":1}`), num("1"), num("1"), boo("true"), obj(`{"b":{"c":1},"d":true}`)},
		},
		{
			name:  "raw text keeps whitespace",
			doc:   " \t\r\n{ \"a\" : { \"b\" : [ 1 , 2 ] } , \"c\" :\n\"d\" } \n",
			paths: []string{"a", "a.b", "c"},
			want:  []Value{obj(`{ "b" : [ 1 , 2 ] }`), arr(`[ 1 , 2 ]`), str("d")},
		},
		{
			name:  "escapes",
			doc:   `{"nl":"a\nb","q":"say \"hi\"","bs":"c:\\dir","sl":"a\/b","u":"caf\u00e9","U":"\u00C9","pair":"\ud83d\ude00","ctl":"\b\f\r\t\u0000\u001f","mixed":"é\u00e9\\"}`,
			paths: []string{"nl", "q", "bs", "sl", "u", "U", "pair", "ctl", "mixed"},
			want:  []Value{str("a\nb"), str(`say "hi"`), str(`c:\dir`), str("a/b"), str("café"), str("É"), str("😀"), str("\b\f\r\t\x00\x1f"), str(`éé\`)},
		},
		{
			name: "lone and broken surrogates become U+FFFD",
			doc: `{"hi":"\ud800","lo":"\udc00x","hihi":"\ud800\ud800","rev":"\ude00\ud83d","hiEsc":"\ud83d\n",` +
				`"hiLit":"\ud83da","pairThenLone":"\ud83d\ude00\ud800","hiThenBs":"\ud800\\ude00"}`,
			paths: []string{"hi", "lo", "hihi", "rev", "hiEsc", "hiLit", "pairThenLone", "hiThenBs"},
			want: []Value{str("\uFFFD"), str("\uFFFDx"), str("\uFFFD\uFFFD"), str("\uFFFD\uFFFD"), str("\uFFFD\n"),
				str("\uFFFDa"), str("😀\uFFFD"), str("\uFFFD\\ude00")},
		},
		{
			name:  "DEL and other bytes JSON allows raw",
			doc:   "{\"a\":\"\x7f'<>&\u2028\"}",
			paths: []string{"a"},
			want:  []Value{str("\x7f'<>&\u2028")},
		},
		{
			name:  "raw UTF-8 passes through",
			doc:   `{"k":"日本語 € 😀 \u00e9","é":"accent key","😀":1}`,
			paths: []string{"k", "é", "😀"},
			want:  []Value{str("日本語 € 😀 é"), str("accent key"), num("1")},
		},
		{
			name:  "escaped keys match",
			doc:   `{"\u0061":1,"b\/c":2,"d\u002ee":3,"\u00e9t\u00e9":4,"\ud83d\ude00":5,"x\ny":6,"\ud800":7}`,
			paths: []string{"a", "b/c", `d\.e`, "été", "😀", "x\ny", "\uFFFD"},
			want:  []Value{num("1"), num("2"), num("3"), num("4"), num("5"), num("6"), num("7")},
		},
		{
			name:  "escaped keys that almost match",
			doc:   `{"\u0061b":1,"a\u0062c":2,"\u00e9":3}`,
			paths: []string{"a", "ab", "abcd", "e"},
			want:  []Value{missing(), num("1"), missing(), missing()},
		},
		{
			name:  "duplicate keys: last wins",
			doc:   `{"a":1,"a":"two","b":"x\ny","b":"plain","c":"plain","c":"e\u00e9"}`,
			paths: []string{"a", "b", "c"},
			want:  []Value{str("two"), str("plain"), str("eé")},
		},
		{
			name:  "duplicate object keys replace the whole subtree",
			doc:   `{"a":{"b":1,"c":{"d":2}},"x":0,"a":{"c":3}}`,
			paths: []string{"a", "a.b", "a.c", "a.c.d"},
			want:  []Value{obj(`{"c":3}`), missing(), num("3"), missing()},
		},
		{
			name:  "duplicate key with a scalar drops the nested paths",
			doc:   `{"a":{"b":1},"a":null}`,
			paths: []string{"a", "a.b"},
			want:  []Value{null(), missing()},
		},
		{
			name:  "duplicate key inside a nested object",
			doc:   `{"a":{"b":1,"b":{"c":2}}}`,
			paths: []string{"a.b", "a.b.c"},
			want:  []Value{obj(`{"c":2}`), num("2")},
		},
		{
			// Nodes past the first 64 are reset at every match, not just a repeated one.
			name:  "duplicate keys past the 64th trie node",
			doc:   `{"k40":{"x":1},"k40":2,"k0":{"x":3},"k0":{"y":4},"k41":{"x":5}}`,
			paths: append(manyPaths(42, "k%d.x"), "k0.y"),
			want: func() []Value {
				w := make([]Value, 43)
				w[41], w[42] = num("5"), num("4") // k0.x and k40.x are gone with their objects
				return w
			}(),
		},
		{
			name:  "no paths only validates",
			doc:   `{"a":[1,2,{"b":null}]}`,
			paths: nil,
			want:  []Value{},
		},
		{
			name:  "keys at other levels do not match",
			doc:   `{"x":{"a":1},"y":[{"a":2}],"a":{"x":3}}`,
			paths: []string{"a", "x.x"},
			want:  []Value{obj(`{"x":3}`), missing()},
		},
		{
			name:  "dotted key via escaped path",
			doc:   `{"a.b":1,"a":{"b":2}}`,
			paths: []string{`a\.b`, "a.b"},
			want:  []Value{num("1"), num("2")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustExtractor(t, tt.paths...)
			out := make([]Value, len(tt.paths))
			for i := range out {
				out[i] = str("stale") // Extract must reset what it does not find
			}
			doc := []byte(tt.doc)
			scratch, err := e.Extract(doc, out, nil)
			if err != nil {
				t.Fatalf("Extract(%q) error %v, want %v", tt.doc, err, showAll(tt.want))
			}
			ok := true
			for i := range out {
				if !same(out[i], tt.want[i]) {
					ok = false
				}
				if out[i].Kind == String && !within(out[i].Bytes, doc) && !within(out[i].Bytes, scratch) {
					t.Errorf("path %s: bytes alias neither doc nor the returned scratch", tt.paths[i])
				}
			}
			if !ok {
				t.Errorf("Extract(%q) = %v, want %v", tt.doc, showAll(out), showAll(tt.want))
			}
		})
	}
}

func TestExtractAliasing(t *testing.T) {
	doc := []byte(`{"plain":"abc","esc":"a\tb","n":12,"o":{"x":1},"dup":"q\"q"}`)
	e := mustExtractor(t, "plain", "esc", "n", "o", "dup", "dup")
	out := make([]Value, 6)
	scratch, err := e.Extract(doc, out, []byte("keep"))
	if err != nil {
		t.Fatal(err)
	}
	if string(scratch[:4]) != "keep" {
		t.Errorf("Extract overwrote the scratch prefix: %q", scratch)
	}
	for i, inDoc := range []bool{true, false, true, true, false, false} {
		if within(out[i].Bytes, doc) != inDoc || within(out[i].Bytes, scratch) == inDoc {
			t.Errorf("Extract(%q): value %d %s: in doc %v, want %v", doc, i, show(out[i]), !inDoc, inDoc)
		}
		if cap(out[i].Bytes) != len(out[i].Bytes) {
			t.Errorf("Extract(%q): value %d has spare capacity %d", doc, i, cap(out[i].Bytes)-len(out[i].Bytes))
		}
	}
	if unsafe.SliceData(out[4].Bytes) != unsafe.SliceData(out[5].Bytes) {
		t.Errorf("Extract(%q): duplicate paths were unescaped twice", doc)
	}
	// A replaced duplicate key must not leave its unescaped text behind in scratch.
	scratch, err = e.Extract([]byte(`{"esc":"a\tb","esc":"c"}`), make([]Value, 6), nil)
	if err != nil || len(scratch) != 0 {
		t.Errorf("Extract with a replaced escaped value: scratch %q, err %v; want empty, nil", scratch, err)
	}
}

// TestExtractScratchGrowth makes scratch reallocate many times over one document: every value must
// come out right and point into the scratch that is returned.
func TestExtractScratchGrowth(t *testing.T) {
	const n = 300
	var doc strings.Builder
	doc.WriteString("{")
	var specs []string
	var want []Value
	for i := range n {
		if i > 0 {
			doc.WriteString(",")
		}
		k := "k" + strconv.Itoa(i)
		fmt.Fprintf(&doc, `%q:"%s\n\u00e9\"%s"`, k, strings.Repeat("x", i), k)
		specs = append(specs, k)
		want = append(want, str(strings.Repeat("x", i)+"\né\""+k))
	}
	doc.WriteString("}")
	e := mustExtractor(t, specs...)
	for _, scratch := range [][]byte{nil, make([]byte, 0, 1), make([]byte, 3, 10)} {
		out := make([]Value, n)
		got, err := e.Extract([]byte(doc.String()), out, scratch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if !same(out[i], want[i]) {
				t.Fatalf("Extract(%.60q...): path %s = %v, want %v", doc.String(), specs[i], show(out[i]), show(want[i]))
			}
			if !within(out[i].Bytes, got) {
				t.Fatalf("Extract(%.60q...): path %s does not point into the returned scratch", doc.String(), specs[i])
			}
		}
	}
}

func TestExtractErrors(t *testing.T) {
	deep := func(n int, open, inner, close string) string {
		return `{"a":` + strings.Repeat(open, n) + inner + strings.Repeat(close, n) + "}"
	}
	tests := []struct {
		doc    string
		offset int
		msg    string
	}{
		{"", 0, "unexpected end of JSON input"},
		{" \n\t", 3, "unexpected end of JSON input"},
		{`[]`, 0, "top-level value is not an object"},
		{` "a"`, 1, "top-level value is not an object"},
		{`1`, 0, "top-level value is not an object"},
		{`-1`, 0, "top-level value is not an object"},
		{`null`, 0, "top-level value is not an object"},
		{`true`, 0, "top-level value is not an object"},
		{`x`, 0, "invalid character 'x' looking for beginning of value"},
		{"\xef\xbb\xbf{}", 0, "invalid character 'ï' looking for beginning of value"},
		{`{`, 1, "unexpected end of JSON input"},
		{`{"a"`, 4, "unexpected end of JSON input"},
		{`{"a":`, 5, "unexpected end of JSON input"},
		{`{"a":1`, 6, "unexpected end of JSON input"},
		{`{"a":1,`, 7, "unexpected end of JSON input"},
		{`{"a":"b`, 7, "unexpected end of JSON input"},
		{`{"a":"b\`, 8, "unexpected end of JSON input"},
		{`{"a":"\u12`, 10, "unexpected end of JSON input"},
		{`{"a":tr`, 7, "unexpected end of JSON input"},
		{`{"a":[1,`, 8, "unexpected end of JSON input"},
		{`{"a":-`, 6, "unexpected end of JSON input"},
		{`{"a":1.`, 7, "unexpected end of JSON input"},
		{`{"a":1e`, 7, "unexpected end of JSON input"},
		{`{"a":1e+`, 8, "unexpected end of JSON input"},
		{`{}x`, 2, "invalid character 'x' after top-level value"},
		{`{} {}`, 3, "invalid character '{' after top-level value"},
		{`{}}`, 2, "invalid character '}' after top-level value"},
		{`{"a" 1}`, 5, "invalid character '1' after object key"},
		{`{"a":1 "b":2}`, 7, `invalid character '"' after object key:value pair`},
		{`{"a":1,}`, 7, "invalid character '}' looking for beginning of object key string"},
		{`{,}`, 1, "invalid character ',' looking for beginning of object key string"},
		{`{a:1}`, 1, "invalid character 'a' looking for beginning of object key string"},
		{`{'a':1}`, 1, `invalid character '\'' looking for beginning of object key string`},
		{`{1:1}`, 1, "invalid character '1' looking for beginning of object key string"},
		{`{"a":}`, 5, "invalid character '}' looking for beginning of value"},
		{`{"a":[1,]}`, 8, "invalid character ']' looking for beginning of value"},
		{`{"a":[1 2]}`, 8, "invalid character '2' after array element"},
		{`{"a":[1}`, 7, "invalid character '}' after array element"},
		{`{"a":{]}`, 6, "invalid character ']' looking for beginning of object key string"},
		{`{"a":01}`, 6, "invalid character '1' after object key:value pair"},
		{`{"a":-01}`, 7, "invalid character '1' after object key:value pair"},
		{`{"a":+1}`, 5, "invalid character '+' looking for beginning of value"},
		{`{"a":.5}`, 5, "invalid character '.' looking for beginning of value"},
		{`{"a":1.}`, 7, "invalid character '}' after decimal point in numeric literal"},
		{`{"a":1.e5}`, 7, "invalid character 'e' after decimal point in numeric literal"},
		{`{"a":1e}`, 7, "invalid character '}' in exponent of numeric literal"},
		{`{"a":1e+}`, 8, "invalid character '}' in exponent of numeric literal"},
		{`{"a":1E-x}`, 8, "invalid character 'x' in exponent of numeric literal"},
		{`{"a":-x}`, 6, "invalid character 'x' in numeric literal"},
		{`{"a":--1}`, 6, "invalid character '-' in numeric literal"},
		{`{"a":0x1}`, 6, "invalid character 'x' after object key:value pair"},
		{`{"a":1.5.2}`, 8, "invalid character '.' after object key:value pair"},
		{`{"a":NaN}`, 5, "invalid character 'N' looking for beginning of value"},
		{`{"a":Infinity}`, 5, "invalid character 'I' looking for beginning of value"},
		{`{"a":tru}`, 8, "invalid character '}' in literal true (expecting 'e')"},
		{`{"a":True}`, 5, "invalid character 'T' looking for beginning of value"},
		{`{"a":fals3}`, 9, "invalid character '3' in literal false (expecting 'e')"},
		{`{"a":nul}`, 8, "invalid character '}' in literal null (expecting 'l')"},
		{`{"a":nulll}`, 9, "invalid character 'l' after object key:value pair"},
		{`{"a":truex}`, 9, "invalid character 'x' after object key:value pair"},
		{"{\"a\":\"x\ty\"}", 7, `invalid character '\t' in string literal`},
		{"{\"a\":\"x\ny\"}", 7, `invalid character '\n' in string literal`},
		{"{\"a\x00\":1}", 3, `invalid character '\x00' in string literal`},
		{"{\"a\":\"0123456789\x1f\"}", 16, `invalid character '\x1f' in string literal`},
		{"{\"a\":\"012\x1f\"}", 9, `invalid character '\x1f' in string literal`},
		{`{"a":"\x"}`, 7, "invalid character 'x' in string escape code"},
		{`{"a":"\'"}`, 7, `invalid character '\'' in string escape code`},
		{`{"a":"\U00e9"}`, 7, "invalid character 'U' in string escape code"},
		{`{"a":"\u00g9"}`, 10, `invalid character 'g' in \u hexadecimal character escape`},
		{`{"a":"\u12"}`, 10, `invalid character '"' in \u hexadecimal character escape`},
		{"{\"a\":\"\xff\"}", 6, "invalid UTF-8 in string"},
		{"{\"a\":\"caf\xe9\"}", 9, "invalid UTF-8 in string"},
		{"{\"a\":\"\xc0\xaf\"}", 6, "invalid UTF-8 in string"},         // overlong '/'
		{"{\"a\":\"\xed\xa0\x80\"}", 6, "invalid UTF-8 in string"},     // raw surrogate
		{"{\"a\":\"\xf4\x90\x80\x80\"}", 6, "invalid UTF-8 in string"}, // above U+10FFFF
		{"{\"\xe2\x82\":1}", 2, "invalid UTF-8 in string"},             // truncated, in a key
		{"{\"a\":\"0123456789\xff\"}", 16, "invalid UTF-8 in string"},  // after a fast-path stretch
		{"{\"a\":1,\xff:2}", 7, "invalid character 'ÿ' looking for beginning of object key string"},
		{"{\"a\":1}\x00", 7, `invalid character '\x00' after top-level value`},
		{"{\"a\":\v1}", 5, `invalid character '\v' looking for beginning of value`},
		{"{\"a\":\u00a01}", 5, `invalid character 'Â' looking for beginning of value`},
		// The top-level object is depth 1, so 999 more levels are fine and the next one is not.
		{deep(999, "[", "", "]"), 0, ""},
		{deep(999, `{"b":`, "1", "}"), 0, ""},
		{deep(1000, "[", "", "]"), 5 + 999, "exceeded max depth"},
		{deep(1000, `{"b":`, "1", "}"), 5 + 999*5, "exceeded max depth"},
		{deep(5000, "[", "", "]"), 5 + 999, "exceeded max depth"},
	}
	for _, tt := range tests {
		e := mustExtractor(t, "a", "a.b")
		out := []Value{str("stale"), str("stale")}
		scratch := []byte("keep")
		got, err := e.Extract([]byte(tt.doc), out, scratch)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("Extract(%.40q...) = %v, want no error", tt.doc, err)
			}
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Extract(%q) = %v, want *SyntaxError at %d: %s", tt.doc, err, tt.offset, tt.msg)
			continue
		}
		if se.Offset != tt.offset || se.Msg != tt.msg {
			t.Errorf("Extract(%.60q) = %d: %s, want %d: %s", tt.doc, se.Offset, se.Msg, tt.offset, tt.msg)
		}
		if out[0].Kind != Missing || out[1].Kind != Missing {
			t.Errorf("Extract(%.60q) error left out = %v, want all missing", tt.doc, showAll(out))
		}
		if string(got) != "keep" {
			t.Errorf("Extract(%.60q) error returned scratch %q, want it as passed", tt.doc, got)
		}
		// The standard library must agree that the document is bad, except where we are stricter.
		if json.Valid([]byte(tt.doc)) && !strings.Contains(tt.msg, "UTF-8") && !strings.Contains(tt.msg, "not an object") &&
			tt.msg != "exceeded max depth" {
			t.Errorf("Extract(%.60q) rejected a document encoding/json accepts: %v", tt.doc, err)
		}
	}
}

func TestSyntaxErrorString(t *testing.T) {
	err := error(&SyntaxError{Offset: 12, Msg: "unexpected end of JSON input"})
	if got, want := err.Error(), "invalid JSON at byte 12: unexpected end of JSON input"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNewExtractorErrors(t *testing.T) {
	tests := []struct {
		paths []Path
		want  string
	}{
		{[]Path{{"a"}, {}}, "field path 1 is empty"},
		{[]Path{{"a", ""}}, `field path "a." has an empty segment`},
	}
	for _, tt := range tests {
		_, err := NewExtractor(tt.paths)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewExtractor(%q) = %v, want %s", tt.paths, err, tt.want)
		}
	}
}

func TestNewExtractorCopiesPaths(t *testing.T) {
	p := Path{"a", "b"}
	e, err := NewExtractor([]Path{p})
	if err != nil {
		t.Fatal(err)
	}
	p[1] = "c"
	out := make([]Value, 1)
	if _, err := e.Extract([]byte(`{"a":{"b":1,"c":2}}`), out, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.Paths()[0].String(); got != "a.b" || string(out[0].Bytes) != "1" {
		t.Errorf("after the caller changed its path: Paths()[0] = %s, value %s; want a.b, number(\"1\")", got, show(out[0]))
	}
}

func TestExtractOutLengthPanics(t *testing.T) {
	e := mustExtractor(t, "a", "b")
	defer func() {
		if recover() == nil {
			t.Error("Extract with a short out did not panic")
		}
	}()
	_, _ = e.Extract([]byte(`{}`), make([]Value, 1), nil)
}

func TestExtractZeroAllocs(t *testing.T) {
	doc := []byte(clickEvent)
	e := mustExtractor(t, clickPaths...)
	out := make([]Value, len(clickPaths))
	scratch, err := e.Extract(doc, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{str("page_view"), num("1715938887318"), str("u_1029384756"), str("DE"), str("iOS"),
		str(`Café crème "Barista" 200 g – Example Shop`), str("https://shop.example.com/p/café-crème-200g"),
		num("22.48"), arr(`["returning","mobile_first","eu"]`)}
	for i := range want {
		if !same(out[i], want[i]) {
			t.Errorf("Extract(clickEvent) path %s = %v, want %v", clickPaths[i], show(out[i]), show(want[i]))
		}
	}
	allocs := testing.AllocsPerRun(200, func() {
		scratch, err = e.Extract(doc, out, scratch[:0])
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Extract allocates %v times per call, want 0", allocs)
	}
}

func TestExtractConcurrent(t *testing.T) {
	e := mustExtractor(t, clickPaths...)
	done := make(chan bool)
	for g := range 4 {
		go func() {
			out := make([]Value, len(clickPaths))
			var scratch []byte
			ok := true
			for range 200 {
				var err error
				scratch, err = e.Extract([]byte(clickEvent), out, scratch[:0])
				ok = ok && err == nil && string(out[5].Bytes) == `Café crème "Barista" 200 g – Example Shop`
			}
			if !ok {
				t.Errorf("goroutine %d: wrong result", g)
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
}

// Every value the scanner reads is known to be valid UTF-8 (it checked), escaped strings after
// unescaping too; a value made elsewhere is not, so its reader checks it.
func TestKnownUTF8(t *testing.T) {
	doc := []byte(`{"s":"héllo","esc":"a\u00e9\ud800b","n":-1.5,"b":true,"o":{"x":["ü"]},"a":[1,"x"]}`)
	e := mustExtractor(t, "s", "esc", "n", "b", "o", "a")
	out := make([]Value, 6)
	if _, err := e.Extract(doc, out, nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if !v.KnownUTF8() {
			t.Errorf("value %d %s: KnownUTF8() = false for a value the scanner read", i, show(v))
		}
		if !utf8.Valid(v.Bytes) {
			t.Errorf("value %d %s: KnownUTF8() but not valid UTF-8", i, show(v))
		}
	}
	if StringValue("x").KnownUTF8() || (Value{Kind: String, Bytes: []byte{0xff}}).KnownUTF8() {
		t.Error("a value not read by the scanner reports KnownUTF8")
	}
	// A document with invalid UTF-8 in a string is an error, never a value said to be valid.
	if _, err := e.Extract([]byte("{\"s\":\"a\xffb\"}"), out, nil); err == nil {
		t.Error("invalid UTF-8 in a string was accepted")
	}
}

// Strings of every length up to past two 32-byte blocks, with an escape, a control character,
// non-ASCII or invalid UTF-8 at every position: plainRun skips plain bytes by words and blocks,
// and must stop at exactly the byte that needs a look. encoding/json is the oracle.
func TestExtractLongStrings(t *testing.T) {
	e := mustExtractor(t, "s")
	out := make([]Value, 1)
	specials := []string{`\"`, `\\`, `\n`, `\u00e9`, "é", "\x01", "\xff", "€"}
	for n := 0; n <= 100; n++ {
		for _, sp := range specials {
			for at := 0; at <= n; at += max(1, n/13) {
				body := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				doc := []byte(`{"s":"` + body + `","t":1}`)
				var want struct{ S string }
				wantErr := json.Unmarshal(doc, &want) != nil || !utf8.Valid(doc)
				_, err := e.Extract(doc, out, nil)
				if (err != nil) != wantErr {
					t.Fatalf("Extract(%q): err %v, want error %v", doc, err, wantErr)
				}
				if err == nil && (out[0].Kind != String || string(out[0].Bytes) != want.S) {
					t.Fatalf("Extract(%q) = %s, want %q", doc, show(out[0]), want.S)
				}
			}
		}
	}
}
