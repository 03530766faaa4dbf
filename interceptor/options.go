package interceptor

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// option is one YAML key of Config. Config carries the options of every kind, so strict YAML
// decoding alone cannot catch `salt:` under a filter; rejectUnused can.
type option struct {
	key   string
	isSet func(c *Config) bool
}

// options is in Config's field order, so that messages list keys in the order users read them.
// Slices count as set when non-nil: `values: []` under a mask is still a mistake worth naming.
var options = []option{
	{"field", func(c *Config) bool { return c.Field != "" }},
	{"fields", func(c *Config) bool { return c.Fields != nil }},
	{"from", func(c *Config) bool { return c.From != "" }},
	{"to", func(c *Config) bool { return c.To != "" }},
	{"values", func(c *Config) bool { return c.Values != nil }},
	{"regex", func(c *Config) bool { return c.Regex != "" }},
	{"action", func(c *Config) bool { return c.Action != "" }},
	{"method", func(c *Config) bool { return c.Method != "" }},
	{"salt", func(c *Config) bool { return c.Salt != "" }},
	{"key", func(c *Config) bool { return c.Key != "" }},
	{"replacement", func(c *Config) bool { return c.Replacement != "" }},
	{"value", func(c *Config) bool { return c.Value != nil }},
	{"source", func(c *Config) bool { return c.Source != "" }},
	{"format", func(c *Config) bool { return c.Format != "" }},
	{"if_missing", func(c *Config) bool { return c.IfMissing != "" }},
}

// rejectUnused names every option that is set but not among used. what is the kind, and its mode
// when the mode decides which options apply ("mask method redact"), so that a salt left behind after
// switching methods is reported instead of silently ignored.
func rejectUnused(c *Config, what string, used ...string) error {
	var extra []string
	for _, o := range options {
		if o.isSet(c) && !slices.Contains(used, o.key) {
			extra = append(extra, o.key)
		}
	}
	switch len(extra) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s: %s does not use option `%s`; remove it", extra[0], what, extra[0])
	}
	return fmt.Errorf("%s: %s does not use options `%s`; remove them",
		strings.Join(extra, ", "), what, strings.Join(extra, "`, `"))
}

// readField resolves the field an interceptor reads, with the error prefixed by the option's key.
func readField(l *record.Layout, key, name, kind string) (record.Slot, error) {
	if name == "" {
		return 0, fmt.Errorf("%s: %s needs the name of the field it reads; set %s", key, kind, key)
	}
	s, err := l.Read(name)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return s, nil
}

// compileRegex compiles an RE2 expression for option `regex`. Go's message ends with the whole
// offending fragment; it is kept only when it points into the expression rather than repeating it.
func compileRegex(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err == nil {
		return re, nil
	}
	if se, ok := err.(*syntax.Error); ok {
		at := ""
		if se.Expr != "" && se.Expr != expr {
			at = fmt.Sprintf(" (at %q)", se.Expr)
		}
		return nil, fmt.Errorf("regex: %q: error parsing regexp: %s: use Go RE2 syntax%s", expr, se.Code, at)
	}
	return nil, fmt.Errorf("regex: %q: %v: use Go RE2 syntax", expr, err)
}

// keepAll is the per-record side of interceptors whose whole effect is on the layout.
var keepAll = Func(func(*record.Record) (bool, error) { return true, nil })

// maxShown bounds how much of a bad value an error message quotes: enough to recognise it in a
// dead-letter row, not so much that one huge field bloats every error column.
const maxShown = 64

// show renders a value for an error message: its kind and a quoted, truncated view of its text.
func show(v field.Value) string {
	if v.IsAbsent() {
		return v.Kind.String()
	}
	return v.Kind.String() + " " + quoteTrunc(v.Bytes, maxShown)
}

// quoteTrunc quotes at most max bytes of b, cut at a rune boundary, and says how long b really was.
func quoteTrunc(b []byte, max int) string {
	if len(b) <= max {
		return fmt.Sprintf("%q", b)
	}
	n := max
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return fmt.Sprintf("%q… (%d bytes)", b[:n], len(b))
}

// shared returns b with its capacity clipped, for bytes that every record's Value points to: an
// append by a later stage then copies instead of writing into the bytes other records see.
func shared(b []byte) []byte { return b[:len(b):len(b)] }
