package config

import (
	"fmt"
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

// keyNode is a key or a value of the document and the config key it belongs to, such as
// topics[0].schema[1].type.
type keyNode struct {
	line, col int
	key       string
	isKey     bool
	value     string // a key's name, a scalar's value
	depth     int
}

func collectKeys(n *yaml.Node, key string, out *[]keyNode) {
	depth := strings.Count(key, ".") + strings.Count(key, "[")
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collectKeys(c, key, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if key != "" {
				p = key + "." + k.Value
			}
			*out = append(*out, keyNode{k.Line, k.Column, p, true, k.Value, depth + 1}, keyNode{v.Line, v.Column, p, false, v.Value, depth + 1})
			collectKeys(v, p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", key, i)
			*out = append(*out, keyNode{c.Line, c.Column, p, false, c.Value, depth + 1})
			collectKeys(c, p, out)
		}
	}
}

var (
	errLineRE    = regexp.MustCompile(`^line (\d+)(?: column (\d+))?: (.*)$`)
	unknownKeyRE = regexp.MustCompile(`^field (.*) not found in type \S+$`)
)

// describe rewrites a yaml.v3 message ("line 3: field x not found in type config.Kafka") to name
// the key ("kafka.x: unknown key; ... (line 3)"). A message it cannot place is returned as it is.
func describe(msg string, nodes []keyNode) string {
	m := errLineRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	text := m[3]
	var best *keyNode
	if u := unknownKeyRE.FindStringSubmatch(text); u != nil {
		for i := range nodes {
			if n := &nodes[i]; n.isKey && n.line == line && n.value == u[1] {
				best = n
				break
			}
		}
		text = "unknown key; check its spelling and place (the keys are listed in docs/configuration.md)"
	} else {
		// Our own messages give the value's column; yaml.v3's give the line and quote a
		// scalar as `value`. Failing both, the outermost value on the line is the one whose
		// type is wrong.
		var outer, quoted *keyNode
		for i := range nodes {
			n := &nodes[i]
			switch {
			case n.isKey || n.line != line:
			case col > 0:
				if n.col == col && (best == nil || n.depth > best.depth) {
					best = n
				}
			default:
				if outer == nil || n.depth < outer.depth {
					outer = n
				}
				if n.value != "" && strings.Contains(text, "`"+shortValue(n.value)+"`") && (quoted == nil || n.depth > quoted.depth) {
					quoted = n
				}
			}
		}
		if best == nil {
			best = quoted
		}
		if best == nil {
			best = outer
		}
	}
	if best == nil {
		return msg
	}
	if c := cannotRE.FindStringSubmatch(text); c != nil {
		got := map[string]string{"seq": "a list", "map": "a mapping"}[c[1]]
		if got == "" {
			got = strconv.Quote(best.value)
		}
		text = fmt.Sprintf("%s is not %s", got, typeText(c[2]))
	}
	return fmt.Sprintf("%s: %s (line %d)", best.key, text, line)
}

var cannotRE = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `.*`)? into (\\S+)$")

// typeText describes a Go type of the config as the YAML it takes.
func typeText(t string) string {
	t = strings.TrimPrefix(t, "*")
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

// shortValue is how yaml.v3 quotes a value in its messages.
func shortValue(v string) string {
	if len(v) > 10 {
		return v[:7] + "..."
	}
	return v
}
