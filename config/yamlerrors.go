package config

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decoding errors name the key they are about. yaml.v3 reports a line ("line 3: field x not found
// in type config.Kafka"); Parse maps it back to the key through the document's nodes.

// nodeError is a decoding problem with a value. It is a *yaml.TypeError, so that decoding goes on
// and every problem is reported, and it says where the value is, so that Parse can name its key.
func nodeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d column %d: %s", n.Line, n.Column, fmt.Sprintf(format, args...))}}
}

func valueText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "this value"
}

// parseErrors are the problems decoding found, one per line.
type parseErrors []error

func (e parseErrors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	if len(lines) == 1 {
		return "config: " + lines[0]
	}
	return "config:\n  " + strings.Join(lines, "\n  ")
}

func (e parseErrors) Unwrap() []error { return e }

// keyNode is a key or a value of the document, the config key it belongs to (such as
// topics[0].schema[1].type) and the Go type it decodes into ("" where unknown).
type keyNode struct {
	line, col int
	key       string
	isKey     bool
	value     string // a key's name, a scalar's value
	typ       string
	kind      yaml.Kind
	depth     int
	used      bool // a message was placed here already
}

// collectKeys lists the nodes under n, which decodes into t (nil: unknown).
func collectKeys(n *yaml.Node, key string, t reflect.Type, depth int, out *[]keyNode) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			*out = append(*out, keyNode{line: c.Line, col: c.Column, key: key, value: c.Value, typ: typeName(t), kind: c.Kind, depth: depth})
			collectKeys(c, key, t, depth, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if key != "" {
				p = key + "." + k.Value
			}
			ft := fieldType(t, k.Value)
			*out = append(*out,
				keyNode{line: k.Line, col: k.Column, key: p, isKey: true, value: k.Value, typ: typeName(t), kind: k.Kind, depth: depth + 1},
				keyNode{line: v.Line, col: v.Column, key: p, value: v.Value, typ: typeName(ft), kind: v.Kind, depth: depth + 1})
			collectKeys(v, p, ft, depth+1, out)
		}
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", key, i)
			*out = append(*out, keyNode{line: c.Line, col: c.Column, key: p, value: c.Value, typ: typeName(et), kind: c.Kind, depth: depth + 1})
			collectKeys(c, p, et, depth+1, out)
		}
	}
}

// fieldType is the type of the field of struct t that YAML key name decodes into.
func fieldType(t reflect.Type, name string) reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == name || tag == "" && strings.EqualFold(f.Name, name) {
			return f.Type
		}
	}
	return nil
}

// typeName is a type as yaml.v3 names it in messages: without pointers.
func typeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	return t.String()
}

var (
	errLineRE    = regexp.MustCompile(`^line (\d+)(?: column (\d+))?: (.*)$`)
	unknownKeyRE = regexp.MustCompile(`^field (.*) not found in type (\S+)$`)
	cannotRE     = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `.*`)? into (\\S+)$")
)

// describe rewrites a yaml.v3 message ("line 3: field x not found in type config.Kafka") to name
// the key ("kafka.x: unknown key; ... (line 3)"). yaml.v3 gives only a line, so the node is the
// first one on that line, not named by an earlier message, whose Go type is the one the message
// names. A message it cannot place is returned as it is.
func describe(msg string, nodes []keyNode) string {
	m := errLineRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2]) // our own messages give the column
	text := m[3]
	u := unknownKeyRE.FindStringSubmatch(text)
	c := cannotRE.FindStringSubmatch(text)
	var best, outer *keyNode
	for i := range nodes {
		n := &nodes[i]
		if n.line != line || n.used || n.isKey != (u != nil) {
			continue
		}
		var match bool
		switch {
		case u != nil:
			match = best == nil && n.value == u[1] && (n.typ == u[2] || n.typ == "")
		case col > 0:
			match = n.col == col && (best == nil || n.depth > best.depth)
		case c != nil:
			match = best == nil && n.typ == c[2] && n.kind == kindOf(c[1])
		}
		if match {
			best = n
		}
		if outer == nil || n.depth < outer.depth {
			outer = n
		}
	}
	if best == nil && u == nil && col == 0 {
		best = outer
	}
	if best == nil {
		return msg
	}
	best.used = true
	switch {
	case u != nil:
		text = "unknown key; check its spelling and place (the keys are listed in docs/configuration.md)"
	case c != nil:
		got := map[string]string{"seq": "a list", "map": "a mapping"}[c[1]]
		if got == "" {
			got = strconv.Quote(best.value)
		}
		text = fmt.Sprintf("%s is not %s", got, typeText(c[2]))
	}
	key := best.key
	if key == "" {
		key = "the config file"
	}
	return fmt.Sprintf("%s: %s (line %d)", key, text, line)
}

// kindOf is the node kind of a yaml.v3 short tag.
func kindOf(tag string) yaml.Kind {
	switch tag {
	case "seq":
		return yaml.SequenceNode
	case "map":
		return yaml.MappingNode
	}
	return yaml.ScalarNode
}

// typeText describes a Go type of the config as the YAML it takes.
func typeText(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case t == "string":
		return "text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a mapping of keys" // a struct
}
