package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// Nested column types: a column of one of these types has a shape (Column.Elem, Column.Fields)
// and holds a value's whole structure instead of one scalar. They are derived from a registry
// writer schema (docs/schema-registry.md); a topic's explicit `schema:` list cannot declare them,
// because YAML has no place for the shape.
const (
	// TypeList is a Parquet LIST (three levels: optional group f (LIST) { repeated group list {
	// element } }) of Column.Elem.
	TypeList = "list"
	// TypeMap is a Parquet MAP with STRING keys (required) and values of Column.Elem.
	TypeMap = "map"
	// TypeGroup is a Parquet group of Column.Fields, in their order.
	TypeGroup = "group"
)

// IsNested reports whether t is a LIST, MAP or group column type.
func IsNested(t string) bool { return t == TypeList || t == TypeMap || t == TypeGroup }

// A nested column's field value is JSON text (field.Array or field.Object; a codec writes it in
// this form, see codec/avronested.go) whose leaves are in the form a top-level column of the leaf's
// type reads from a JSON document: numbers for ints, floats ("NaN", "Infinity" as strings),
// timestamps in the column's unit and dates in days; decimals as exact numbers; strings; bytes as
// base64 strings. A group's members are the object's keys, in any order (a missing key is a null
// member, a key the group lacks is skipped, a repeated one an error); a map's entries are the
// object's, in the text's order (the codecs write them sorted by key). The JSON detour costs a pass
// over the text per value (nestedjson.go) but keeps field.Value (the hot path's currency) a kind and
// bytes.

// Shape renders a column's type with its shape, for messages and the compatibility check:
// list<int32>, map<optional string>, group<a: int32, b: optional list<string>>. An element, value
// or member that may be null is marked optional.
func Shape(c Column) string {
	var b strings.Builder
	writeShape(&b, c)
	return b.String()
}

func writeShape(b *strings.Builder, c Column) {
	inner := func(e Column) {
		if !e.Required {
			b.WriteString("optional ")
		}
		writeShape(b, e)
	}
	switch c.Type {
	case TypeList, TypeMap:
		b.WriteString(c.Type + "<")
		if c.Elem != nil {
			inner(*c.Elem)
		}
		b.WriteString(">")
	case TypeGroup:
		b.WriteString("group<")
		for i, f := range c.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name + ": ")
			inner(f)
		}
		b.WriteString(">")
	default:
		b.WriteString(c.Type)
	}
}

// Evolves says whether files with column now can sit beside files with column was in a table
// whose readers merge the schemas, for nested columns (consumer's compatibility check does the
// leaves): the same kind; list elements and map values evolve; a group keeps its members' shapes
// (or widens a leaf), may drop members, and may add members that can be null. As for top-level
// columns, a leaf widens int32 → int64 or float → double, and required may become optional, not
// the reverse.
func Evolves(was, now Column) error {
	if was.Type != now.Type {
		if IsNested(was.Type) || IsNested(now.Type) {
			return fmt.Errorf("changes type from %s to %s", Shape(was), Shape(now))
		}
		if (was.Type == TypeInt32 && now.Type == TypeInt64) || (was.Type == TypeFloat && now.Type == TypeDouble) {
			return nil
		}
		return fmt.Errorf("changes type from %s to %s", was.Type, now.Type)
	}
	switch now.Type {
	case TypeList, TypeMap:
		if was.Elem == nil || now.Elem == nil {
			return errors.New("has no element type")
		}
		if !was.Elem.Required && now.Elem.Required {
			return fmt.Errorf("changes its elements from %s to %s", Shape(was), Shape(now))
		}
		if err := Evolves(*was.Elem, *now.Elem); err != nil {
			return fmt.Errorf("element %w", err)
		}
	case TypeGroup:
		old := map[string]Column{}
		for _, f := range was.Fields {
			old[f.Name] = f
		}
		var errs []error
		for _, f := range now.Fields {
			o, ok := old[f.Name]
			switch {
			case !ok:
				if f.Required {
					errs = append(errs, fmt.Errorf("new member %s is required", f.Name))
				}
			case !o.Required && f.Required:
				errs = append(errs, fmt.Errorf("member %s changes from %s to %s", f.Name, req(o), req(f)))
			default:
				if err := Evolves(o, f); err != nil {
					errs = append(errs, fmt.Errorf("member %s %w", f.Name, err))
				}
			}
		}
		return errors.Join(errs...)
	}
	return nil
}

func req(c Column) string {
	if c.Required {
		return "required"
	}
	return "optional"
}

type shapeKind uint8

const (
	shapeLeaf shapeKind = iota
	shapeList
	shapeMap
	shapeGroup
)

// shape is a nested column compiled: the tree its values are shredded along into the column's
// leaves (Dremel's repetition and definition levels).
type shape struct {
	kind     shapeKind
	name     string // a group member's name
	path     string // for messages: tags[], attrs{}, user.name
	optional bool   // the node may be null: it adds a definition level
	leaf     *column
	elem     *shape         // list element; map value
	fields   []*shape       // group members
	index    map[string]int // group members by name
	first    int            // the index of the node's first leaf among the column's leaves
	leaves   int
	rep      int // list, map: the repetition level of the repeated group
}

// compileNested compiles a LIST, MAP or group column (col has its slot) and its Parquet node.
func compileNested(c Column, col column) (column, parquet.Node, error) {
	if c.Default != nil {
		return col, nil, errors.New("default: a list, map or group column takes no default")
	}
	if c.Format != "" {
		return col, nil, errors.New("format: a list, map or group column takes no format")
	}
	n := 0
	sh, node, err := buildShape(c, c.Name, 0, &n)
	if err != nil {
		return col, nil, err
	}
	col.nested = sh
	return col, node, nil
}

// buildShape compiles c at repetition level rep; n counts the leaves before it.
func buildShape(c Column, path string, rep int, n *int) (*shape, parquet.Node, error) {
	sh := &shape{name: c.Name, path: path, optional: !c.Required, first: *n, rep: rep}
	var node parquet.Node
	switch c.Type {
	case TypeList, TypeMap:
		if c.Elem == nil {
			return nil, nil, fmt.Errorf("type: %s column %s has no element type; list and map columns come from a registry writer schema", c.Type, path)
		}
		sh.rep = rep + 1
		if c.Type == TypeList {
			sh.kind = shapeList
			elem, en, err := buildShape(*c.Elem, path+"[]", rep+1, n)
			if err != nil {
				return nil, nil, err
			}
			sh.elem, node = elem, parquet.List(en)
			break
		}
		sh.kind = shapeMap
		*n++ // the key
		val, vn, err := buildShape(*c.Elem, path+"{}", rep+1, n)
		if err != nil {
			return nil, nil, err
		}
		sh.elem, node = val, parquet.Map(stringNode(), vn)
	case TypeGroup:
		sh.kind = shapeGroup
		if len(c.Fields) == 0 {
			return nil, nil, fmt.Errorf("type: group column %s has no members", path)
		}
		var g orderedGroup
		seen := map[string]bool{}
		sh.index = map[string]int{}
		for _, f := range c.Fields {
			if f.Name == "" || seen[f.Name] {
				return nil, nil, fmt.Errorf("type: group column %s: member name %q is empty or repeated", path, f.Name)
			}
			seen[f.Name] = true
			sh.index[f.Name] = len(sh.fields)
			m, mn, err := buildShape(f, path+"."+f.Name, rep, n)
			if err != nil {
				return nil, nil, err
			}
			sh.fields = append(sh.fields, m)
			g = append(g, namedNode{f.Name, mn})
		}
		node = g
	default:
		sh.kind = shapeLeaf
		lc := Column{Name: c.Name, Type: c.Type, Field: "value", Required: c.Required}
		if c.Type == TypeBytes {
			lc.Format = "base64" // JSON carries bytes as base64 text
		}
		leaf, ln, err := compileColumn(lc, record.NewLayout(true))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		*n++
		sh.leaf = &leaf
		return sh, ln, nil // compileColumn made it optional or required
	}
	sh.leaves = *n - sh.first
	if c.Required {
		return sh, parquet.Required(node), nil
	}
	return sh, parquet.Optional(node), nil
}

func (sh *shape) count() int {
	if sh.kind == shapeLeaf {
		return 1
	}
	return sh.leaves
}

// leafCount is the number of Parquet leaf columns of a declared column.
func (c *column) leafCount() int {
	if c.nested == nil {
		return 1
	}
	return c.nested.count()
}

// appendNested shreds fv, the JSON text of a nested column's value, into row: all of the first
// leaf's values, then the next leaf's, as parquet-go wants a row's values ordered by column.
func (c *column) appendNested(row parquet.Row, fv field.Value) (parquet.Row, error) {
	sh := c.nested
	switch fv.Kind {
	case field.Missing, field.Null:
		if !sh.optional {
			if fv.Kind == field.Missing {
				return row, errors.New("required, but the field is missing")
			}
			return row, errors.New("required, but the field is null")
		}
		for j := 0; j < sh.count(); j++ {
			row = append(row, parquet.NullValue().Level(0, 0, c.leaf+j))
		}
		return row, nil
	case field.Array, field.Object:
	default:
		return row, fmt.Errorf("want a %s, got %s %s", kindOf(sh), fv.Kind, quote(fv.Bytes))
	}
	if !validText(fv) {
		return row, errNotUTF8
	}
	sw := shredder{base: c.leaf, cols: make([][]parquet.Value, sh.count())}
	t := jsonText{b: fv.Bytes}
	if err := sw.shred(&t, sh, 0, 0, 0); err != nil {
		return row, err
	}
	if t.peek() != 0 {
		return row, t.errorf("text after the value")
	}
	for _, vs := range sw.cols {
		row = append(row, vs...)
	}
	return row, nil
}

func kindOf(sh *shape) string {
	switch sh.kind {
	case shapeList:
		return "list (JSON array)"
	case shapeMap:
		return "map (JSON object)"
	}
	return "group (JSON object)"
}

type shredder struct {
	base int // the column index of the column's first leaf
	cols [][]parquet.Value
}

// nulls writes one null at (rep, def) into every leaf below sh.
func (sw *shredder) nulls(sh *shape, rep, def int) {
	for j := sh.first; j < sh.first+sh.count(); j++ {
		sw.cols[j] = append(sw.cols[j], parquet.NullValue().Level(rep, def, sw.base+j))
	}
}

// HasValue reports whether declared column i is not null in row (a row Row built): a nested
// column's values do not sit at index i.
func (s *Schema) HasValue(row parquet.Row, i int) bool {
	if !s.nested {
		return i < len(row) && !row[i].IsNull()
	}
	c := &s.cols[i]
	if c.nested == nil {
		for _, v := range row {
			if v.Column() == c.leaf {
				return !v.IsNull()
			}
		}
		return false
	}
	if c.required {
		return true
	}
	for _, v := range row {
		if v.Column() == c.leaf {
			return v.DefinitionLevel() > 0
		}
	}
	return false
}
