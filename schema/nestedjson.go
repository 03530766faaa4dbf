package schema

import (
	"encoding/json"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

// The shredder reads a nested column's JSON text in one pass, straight into the leaves' values:
// decoding it into map[string]any first (encoding/json) made a record with a few lists three times
// as costly as the same lists stored as text (BenchmarkNestedRow). The text was checked as UTF-8
// already, and comes from a codec (codec/avronested.go, protonested.go) or from a document the
// JSON extractor has parsed; malformed text is an error, never a panic.

// jsonText is a cursor over the JSON text of one nested value.
type jsonText struct {
	b []byte
	i int
}

func (t *jsonText) ws() {
	for t.i < len(t.b) {
		switch t.b[t.i] {
		case ' ', '\t', '\n', '\r':
			t.i++
		default:
			return
		}
	}
}

// peek is the next byte after white space, 0 at the end.
func (t *jsonText) peek() byte {
	t.ws()
	if t.i < len(t.b) {
		return t.b[t.i]
	}
	return 0
}

func (t *jsonText) errorf(format string, a ...any) error {
	return fmt.Errorf("malformed JSON at byte %d: "+format, append([]any{t.i}, a...)...)
}

func (t *jsonText) expect(c byte) error {
	if t.peek() != c {
		return t.errorf("want %q", c)
	}
	t.i++
	return nil
}

// word consumes a literal (null, true, false).
func (t *jsonText) word(w string) error {
	if len(t.b)-t.i < len(w) || string(t.b[t.i:t.i+len(w)]) != w {
		return t.errorf("want %s", w)
	}
	t.i += len(w)
	return nil
}

// str consumes a string and returns its unescaped bytes (the text itself when it has no escape).
func (t *jsonText) str() ([]byte, error) {
	if err := t.expect('"'); err != nil {
		return nil, err
	}
	start, esc := t.i, false
	for t.i < len(t.b) {
		switch c := t.b[t.i]; {
		case c == '"':
			raw := t.b[start:t.i]
			t.i++
			if !esc {
				return raw, nil
			}
			var s string
			if err := json.Unmarshal(t.b[start-1:t.i], &s); err != nil {
				return nil, t.errorf("bad string escape")
			}
			return []byte(s), nil
		case c == '\\':
			esc = true
			t.i += 2
		case c < 0x20:
			return nil, t.errorf("control character in a string")
		default:
			t.i++
		}
	}
	return nil, t.errorf("unterminated string")
}

// number consumes a number's literal.
func (t *jsonText) number() ([]byte, error) {
	start := t.i
	for t.i < len(t.b) {
		c := t.b[t.i]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		t.i++
	}
	if t.i == start {
		return nil, t.errorf("want a value")
	}
	return t.b[start:t.i], nil
}

// skip consumes one value of any kind and returns its text.
func (t *jsonText) skip(depth int) ([]byte, error) {
	if depth > 1000 {
		return nil, t.errorf("nested too deep")
	}
	c := t.peek()
	start := t.i
	var err error
	switch {
	case c == '"':
		_, err = t.str()
	case c == 'n':
		err = t.word("null")
	case c == 't':
		err = t.word("true")
	case c == 'f':
		err = t.word("false")
	case c == '[' || c == '{':
		close := byte(']')
		if c == '{' {
			close = '}'
		}
		t.i++
		if t.peek() == close {
			t.i++
			break
		}
		for {
			if c == '{' {
				if _, err = t.str(); err != nil {
					return nil, err
				}
				if err = t.expect(':'); err != nil {
					return nil, err
				}
			}
			if _, err = t.skip(depth + 1); err != nil {
				return nil, err
			}
			if t.peek() == ',' {
				t.i++
				continue
			}
			err = t.expect(close)
			break
		}
	default:
		_, err = t.number()
	}
	if err != nil {
		return nil, err
	}
	return t.b[start:t.i], nil
}

// leaf consumes a scalar (or, for a string leaf, a structure kept as its text) as a field.Value.
func (t *jsonText) leaf() (field.Value, error) {
	switch c := t.peek(); {
	case c == '"':
		b, err := t.str()
		return field.Value{Kind: field.String, Bytes: b}, err
	case c == 't':
		return field.Value{Kind: field.Bool, Bytes: trueText}, t.word("true")
	case c == 'f':
		return field.Value{Kind: field.Bool, Bytes: falseText}, t.word("false")
	case c == '{' || c == '[':
		b, err := t.skip(0)
		k := field.Object
		if c == '[' {
			k = field.Array
		}
		return field.Value{Kind: k, Bytes: b}, err
	}
	b, err := t.number()
	return field.Value{Kind: field.Number, Bytes: b}, err
}

var trueText, falseText = []byte("true"), []byte("false")

// shred writes the value at the cursor, of node sh, whose ancestors define def levels; rep is the
// repetition level of its first value.
func (sw *shredder) shred(t *jsonText, sh *shape, rep, def int, depth int) error {
	if depth > 1000 {
		return t.errorf("nested too deep")
	}
	c := t.peek()
	if c == 'n' {
		if err := t.word("null"); err != nil {
			return err
		}
		if !sh.optional {
			return fmt.Errorf("%s: required, but null", sh.path)
		}
		sw.nulls(sh, rep, def)
		return nil
	}
	if sh.optional {
		def++
	}
	switch sh.kind {
	case shapeLeaf:
		fv, err := t.leaf()
		if err != nil {
			return err
		}
		pv, err := sh.leaf.convert(fv, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", sh.path, err)
		}
		sw.cols[sh.first] = append(sw.cols[sh.first], pv.Level(rep, def, sw.base+sh.first))
		return nil
	case shapeList:
		if c != '[' {
			return fmt.Errorf("%s: want a list (JSON array), got %s", sh.path, jsonKindOf(c))
		}
		t.i++
		if t.peek() == ']' {
			t.i++
			sw.nulls(sh, rep, def) // defined, but no element
			return nil
		}
		for r := rep; ; r = sh.rep {
			if err := sw.shred(t, sh.elem, r, def+1, depth+1); err != nil {
				return err
			}
			if t.peek() == ',' {
				t.i++
				continue
			}
			return t.expect(']')
		}
	}
	if c != '{' {
		return fmt.Errorf("%s: want a %s, got %s", sh.path, kindOf(sh), jsonKindOf(c))
	}
	t.i++
	if sh.kind == shapeMap {
		if t.peek() == '}' {
			t.i++
			sw.nulls(sh, rep, def)
			return nil
		}
		for r := rep; ; r = sh.rep {
			k, err := t.str()
			if err != nil {
				return err
			}
			if err := t.expect(':'); err != nil {
				return err
			}
			sw.cols[sh.first] = append(sw.cols[sh.first], parquet.ByteArrayValue(k).Level(r, def+1, sw.base+sh.first))
			if err := sw.shred(t, sh.elem, r, def+1, depth+1); err != nil {
				return err
			}
			if t.peek() == ',' {
				t.i++
				continue
			}
			return t.expect('}')
		}
	}
	// A group: members in any order, each once; those not in the text are null.
	var (
		seenSmall [64]bool
		seen      []bool
	)
	if len(sh.fields) <= len(seenSmall) {
		seen = seenSmall[:len(sh.fields)]
	} else {
		seen = make([]bool, len(sh.fields))
	}
	if t.peek() != '}' {
		for {
			k, err := t.str()
			if err != nil {
				return err
			}
			if err := t.expect(':'); err != nil {
				return err
			}
			j, ok := sh.index[string(k)]
			switch {
			case !ok:
				if _, err := t.skip(depth + 1); err != nil { // a member the schema does not list
					return err
				}
			case seen[j]:
				return fmt.Errorf("%s: member %q appears twice", sh.path, k)
			default:
				seen[j] = true
				if err := sw.shred(t, sh.fields[j], rep, def, depth+1); err != nil {
					return err
				}
			}
			if t.peek() == ',' {
				t.i++
				continue
			}
			break
		}
	}
	if err := t.expect('}'); err != nil {
		return err
	}
	for j, f := range sh.fields {
		if !seen[j] {
			if !f.optional {
				return fmt.Errorf("%s: required, but null", f.path)
			}
			sw.nulls(f, rep, def)
		}
	}
	return nil
}

func jsonKindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 0:
		return "nothing"
	}
	return "number"
}
