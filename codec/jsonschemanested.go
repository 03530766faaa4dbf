package codec

import (
	"encoding/json"
	"slices"
	"sort"

	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// jsonShape gives c the LIST or group shape of node n when it has one (an array whose items are one
// schema, an object with properties); c.Type stays "" otherwise. The value is the document's own
// JSON text, which schema's nested columns read directly: integers, numbers and booleans as they
// are, date-time strings as RFC3339 (timestamp-millis), date strings as 2006-01-02.
func jsonShape(c *schema.Column, n *jsonNode) {
	t, _ := jsonType(n.Type)
	switch t {
	case "array":
		var items jsonNode
		if len(n.Items) == 0 || n.Items[0] != '{' || json.Unmarshal(n.Items, &items) != nil {
			return
		}
		e := jsonElemColumn(&items)
		c.Type, c.Elem = schema.TypeList, &e
	case "object":
		if len(n.Properties) == 0 {
			return
		}
		names := make([]string, 0, len(n.Properties))
		for k := range n.Properties {
			names = append(names, k)
		}
		sort.Strings(names)
		c.Type = schema.TypeGroup
		for _, name := range names {
			m := jsonElemColumn(n.Properties[name])
			m.Name = name
			m.Required = m.Required && slices.Contains(n.Required, name)
			c.Fields = append(c.Fields, m)
		}
	}
}

// jsonElemColumn is the column of a list element or an object member of schema n.
func jsonElemColumn(n *jsonNode) schema.Column {
	t, null := jsonType(n.Type)
	c := schema.Column{Required: !null && t != ""} // no single type: null is allowed too
	if jsonShape(&c, n); c.Type != "" {
		return c
	}
	c.Type = jsonScalarType(t, n.Format)
	return c
}
