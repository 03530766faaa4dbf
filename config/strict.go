package config

import (
	"fmt"
	"reflect"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// yaml.v3 is lenient where a config must not be: it truncates 1.5 into an integer field (1), takes
// yes, no, on and off for booleans (YAML 1.1), and an explicit 0 decodes like an absent key, which
// WithDefaults then replaces by the default without a word. checkStrict reports all three, naming
// the key, after a decode that otherwise succeeded.

// zeroDefaults are the keys where 0 reads as "unset" and becomes the default, with the default
// for the message. A 0 there is an error: it cannot mean what it says.
var zeroDefaults = map[string]string{
	"kafka.session_timeout":     "30s",
	"kafka.rebalance_timeout":   "60s",
	"kafka.topic_refresh":       "1m",
	"output.row_group_size":     "8MiB",
	"output.hdfs.dial_timeout":  "10s",
	"rotation.max_records":      "1000000",
	"rotation.max_bytes":        "256MiB",
	"rotation.max_age":          "10m",
	"rotation.allowed_lateness": "10m",
	"rotation.min_file_bytes":   "1MiB",
	"memory.max_buffered_bytes": "256MiB",
	"memory.max_open_files":     "256",
	"memory.limit":              "max_buffered_bytes + 192MiB",
	"memory.max_spill_bytes":    "4GiB",
	"errors.retry_for":          "2m",
	"completeness.interval":     "1m",
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

// checkStrict walks the document n, which decoded into t, and returns a problem per offending value.
func checkStrict(n *yaml.Node, key string, t reflect.Type, errs *parseErrors) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return
	}
	bad := func(n *yaml.Node, format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s (line %d)", key, fmt.Sprintf(format, args...), n.Line))
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			checkStrict(c, key, t, errs)
		}
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if key != "" {
				p = key + "." + k.Value
			}
			checkStrict(v, p, fieldType(t, k.Value), errs)
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, c := range n.Content {
				checkStrict(c, fmt.Sprintf("%s[%d]", key, i), t.Elem(), errs)
			}
		}
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return
		}
		// yaml.v3 reads time.Duration from "10s" itself; types with their own UnmarshalYAML
		// (Duration, ByteSize) check their values.
		if t != durationType && !reflect.PointerTo(t).Implements(unmarshalerType) {
			switch t.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				if n.ShortTag() != "!!int" {
					bad(n, "%s is not a whole number", n.Value)
					return
				}
			case reflect.Bool:
				if n.ShortTag() != "!!bool" {
					bad(n, "%s is not true or false", strconv.Quote(n.Value))
					return
				}
			}
		}
		if def, ok := zeroDefaults[key]; ok {
			v := reflect.New(t)
			if n.Decode(v.Interface()) == nil && v.Elem().IsZero() {
				bad(n, "%s would mean the default (%s); omit the key for the default, or give a positive value", n.Value, def)
			}
		}
	}
}
