// Package field holds the values the loader reads out of a record: the JSON paths a topic's schema,
// interceptors and partitioner refer to, extracted from the Kafka value in one pass, and the rules
// for reading such a value as a time.
//
// It sits at the bottom of the data flow: record, interceptor, partitioner and schema all speak in
// field.Value, so a value is parsed once and interpreted where its meaning is known.
package field

import (
	"fmt"
	"strings"
)

// Kind says what a Value holds.
type Kind uint8

const (
	// Missing means the path does not exist in the document (or the field was dropped).
	Missing Kind = iota
	// Null is an explicit JSON null.
	Null
	// String holds the unescaped UTF-8 bytes of a JSON string.
	String
	// Number holds the literal text of a JSON number, exactly as written ("4.50", "1e3").
	Number
	// Bool holds "true" or "false".
	Bool
	// Object holds the raw JSON text of an object, exactly as written.
	Object
	// Array holds the raw JSON text of an array, exactly as written.
	Array
)

var kindNames = [...]string{"missing", "null", "string", "number", "bool", "object", "array"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Value is one field of a record. Bytes may alias the record's Kafka value or a per-record scratch
// buffer: it is valid until the next record is read, so whoever keeps it longer must copy it.
type Value struct {
	Kind Kind
	// utf8 is set on what the JSON scanner reads (see KnownUTF8).
	utf8  bool
	Bytes []byte
}

// KnownUTF8 reports whether Bytes are known to be valid UTF-8 without looking at them: the JSON
// scanner checks every byte of the values it reads (strings byte by byte, the rest against the
// grammar), and checking them again cost 2% of the loader's CPU. A value made anywhere else (a
// key, a header, an interceptor's, another format's) reports false, and whoever needs valid text
// checks it.
func (v Value) KnownUTF8() bool { return v.utf8 }

// IsAbsent reports whether the value is missing or null: both become a Parquet null.
func (v Value) IsAbsent() bool { return v.Kind == Missing || v.Kind == Null }

// Text is the value as text: the string itself, a number's literal, "true"/"false", raw JSON for
// objects and arrays, "" for missing and null. Filters, masks and path segments compare on it.
func (v Value) Text() string { return string(v.Bytes) }

// StringValue returns a String value holding s.
func StringValue(s string) Value { return Value{Kind: String, Bytes: []byte(s)} }

// Path is a JSON path into nested objects: "user.geo.country" is Path{"user", "geo", "country"}.
type Path []string

// ParsePath splits a dotted path. A backslash escapes a dot (or a backslash) that belongs to a key:
// `a\.b` is the single key "a.b".
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var (
		p   Path
		cur strings.Builder
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '.' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case c == '.':
			if cur.Len() == 0 {
				return nil, fmt.Errorf("field path %q has an empty segment", s)
			}
			p = append(p, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() == 0 {
		return nil, fmt.Errorf("field path %q has an empty segment", s)
	}
	return append(p, cur.String()), nil
}

func (p Path) String() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = strings.NewReplacer(`\`, `\\`, `.`, `\.`).Replace(s)
	}
	return strings.Join(parts, ".")
}
