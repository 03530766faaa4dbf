package codec

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// JSONSchema is one JSON Schema writer schema: the value after the wire header is a JSON document,
// read by the loader's own JSON extractor; the columns come from the schema's properties.
type JSONSchema struct {
	cols     []schema.Column
	defaults map[string]bool
	groups   bool
}

type jsonNode struct {
	Type       any                  `json:"type"`
	Format     string               `json:"format"`
	Properties map[string]*jsonNode `json:"properties"`
	Required   []string             `json:"required"`
	Default    json.RawMessage      `json:"default"`
	// Items is kept raw: a list of schemas (tuple validation) is not an object.
	Items json.RawMessage `json:"items"`
}

// ParseJSONSchema derives columns from a JSON Schema whose top level is an object: one column per
// leaf property (nested objects flattened as a_b, in name order), integer → int64, number →
// double, boolean, string (format date-time → timestamp-millis, date → date), anything else
// (arrays, objects without properties, type lists other than [T, "null"]) → string holding the
// JSON text. A property is required when listed in its object's required and not nullable.
// $ref, allOf/anyOf/oneOf are not followed: such properties become JSON text columns.
//
// An array whose items are one schema is a LIST (jsonschemanested.go): of that schema's column
// type, objects with properties as groups; under Options.Groups an object property with properties
// is a group column instead of being flattened.
func ParseJSONSchema(text string) (*JSONSchema, error) { return ParseJSONSchemaWith(text, Options{}) }

// ParseJSONSchemaWith is ParseJSONSchema with options.
func ParseJSONSchemaWith(text string, o Options) (*JSONSchema, error) {
	var root jsonNode
	if err := json.Unmarshal([]byte(text), &root); err != nil {
		return nil, fmt.Errorf("json schema: %w", err)
	}
	if t, _ := jsonType(root.Type); t != "object" || len(root.Properties) == 0 {
		return nil, fmt.Errorf("json schema: the top level is not an object with properties; the loader needs one to make columns of")
	}
	j := &JSONSchema{defaults: map[string]bool{}, groups: o.Groups}
	j.derive(&root, nil, false)
	return j, nil
}

// jsonType returns a node's single type and whether null is allowed too.
func jsonType(t any) (string, bool) {
	switch x := t.(type) {
	case string:
		return x, x == "null"
	case []any:
		var types []string
		null := false
		for _, e := range x {
			if s, ok := e.(string); ok {
				if s == "null" {
					null = true
				} else {
					types = append(types, s)
				}
			}
		}
		if len(types) == 1 {
			return types[0], null
		}
		return "", null
	}
	return "", false
}

func (j *JSONSchema) derive(n *jsonNode, prefix field.Path, optional bool) {
	names := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		p := n.Properties[name]
		path := append(append(field.Path{}, prefix...), name)
		t, null := jsonType(p.Type)
		opt := optional || null || !slices.Contains(n.Required, name)
		if t == "object" && len(p.Properties) > 0 && !j.groups {
			j.derive(p, path, opt)
			continue
		}
		col := schema.Column{Name: strings.Join(path, "_"), Field: path.String(), Required: !opt}
		if jsonShape(&col, p); schema.IsNested(col.Type) {
			j.cols = append(j.cols, col)
			if len(p.Default) > 0 {
				j.defaults[col.Name] = true
			}
			continue
		}
		col.Type = jsonScalarType(t, p.Format)
		if len(p.Default) > 0 {
			j.defaults[col.Name] = true
		}
		j.cols = append(j.cols, col)
	}
}

// Columns returns the derived columns.
func (j *JSONSchema) Columns() []schema.Column { return j.cols }

// HasDefault reports whether a derived column's property has a default.
func (j *JSONSchema) HasDefault(column string) bool { return j.defaults[column] }

// Extractor reads paths out of the JSON document after the wire header.
func (j *JSONSchema) Extractor(paths []field.Path) (record.Extractor, error) {
	ext, err := field.NewExtractor(paths)
	if err != nil {
		return nil, err
	}
	return headerSkipper{ext}, nil
}

type headerSkipper struct{ ext *field.Extractor }

func (h headerSkipper) Extract(value []byte, out []field.Value, scratch []byte) ([]byte, error) {
	_, body, err := Split(value)
	if err != nil {
		return scratch, err
	}
	return h.ext.Extract(body, out, scratch)
}

// jsonScalarType is the column type of a JSON Schema scalar of type t ("" when the schema allows
// several) and format: anything it does not know is the value's JSON text in a STRING column.
func jsonScalarType(t, format string) string {
	switch t {
	case "integer":
		return schema.TypeInt64
	case "number":
		return schema.TypeDouble
	case "boolean":
		return schema.TypeBoolean
	case "string":
		switch format {
		case "date-time":
			return schema.TypeTimestampMillis
		case "date":
			return schema.TypeDate
		}
	}
	return schema.TypeString
}
