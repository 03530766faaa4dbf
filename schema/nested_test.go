package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

func elem(typ string, required bool) *schema.Column {
	return &schema.Column{Type: typ, Required: required}
}

// nestedCols has a column of every nested shape the registry codecs derive.
var nestedCols = []schema.Column{
	{Name: "id", Type: schema.TypeInt64, Required: true},
	{Name: "tags", Type: schema.TypeList, Elem: elem(schema.TypeString, true)},
	{Name: "scores", Type: schema.TypeList, Required: true, Elem: elem(schema.TypeInt32, false)},
	{Name: "attrs", Type: schema.TypeMap, Elem: elem(schema.TypeString, false)},
	{Name: "user", Type: schema.TypeGroup, Fields: []schema.Column{
		{Name: "name", Type: schema.TypeString, Required: true},
		{Name: "born", Type: schema.TypeDate},
		{Name: "phones", Type: schema.TypeList, Elem: elem(schema.TypeString, true)},
	}},
	{Name: "items", Type: schema.TypeList, Elem: &schema.Column{Type: schema.TypeGroup, Required: true, Fields: []schema.Column{
		{Name: "sku", Type: schema.TypeString, Required: true},
		{Name: "price", Type: "decimal(9,2)"},
		{Name: "at", Type: schema.TypeTimestampMicros},
		{Name: "blob", Type: schema.TypeBytes},
	}}},
	{Name: "matrix", Type: schema.TypeList, Elem: &schema.Column{Type: schema.TypeList, Required: true, Elem: elem(schema.TypeDouble, true)}},
	{Name: "by_day", Type: schema.TypeMap, Elem: &schema.Column{Type: schema.TypeMap, Elem: elem(schema.TypeInt64, true)}},
	{Name: "choice", Type: schema.TypeGroup, Fields: []schema.Column{
		{Name: "member0", Type: schema.TypeString},
		{Name: "member1", Type: schema.TypeInt64},
	}},
	{Name: "after", Type: schema.TypeBoolean},
}

func TestNestedParquetSchema(t *testing.T) {
	fx := compile(t, nestedCols, schema.Options{})
	got := fx.s.Parquet().String()
	want := `message record {
	required int64 id (INT(64,true));
	optional group tags (LIST) {
		repeated group list {
			required binary element (STRING);
		}
	}
	required group scores (LIST) {
		repeated group list {
			optional int32 element (INT(32,true));
		}
	}
	optional group attrs (MAP) {
		repeated group key_value {
			required binary key (STRING);
			optional binary value (STRING);
		}
	}
	optional group user {
		required binary name (STRING);
		optional int32 born (DATE);
		optional group phones (LIST) {
			repeated group list {
				required binary element (STRING);
			}
		}
	}
	optional group items (LIST) {
		repeated group list {
			required group element {
				required binary sku (STRING);
				optional int32 price (DECIMAL(9,2));
				optional int64 at (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS));
				optional binary blob;
			}
		}
	}
	optional group matrix (LIST) {
		repeated group list {
			required group element (LIST) {
				repeated group list {
					required double element;
				}
			}
		}
	}
	optional group by_day (MAP) {
		repeated group key_value {
			required binary key (STRING);
			optional group value (MAP) {
				repeated group key_value {
					required binary key (STRING);
					required int64 value (INT(64,true));
				}
			}
		}
	}
	optional group choice {
		optional binary member0 (STRING);
		optional int64 member1 (INT(64,true));
	}
	optional boolean after;
	required binary kafka_topic (STRING);
	required int32 kafka_partition (INT(32,true));
	required int64 kafka_offset (INT(64,true));
	required int64 kafka_timestamp (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	optional binary kafka_key;
}`
	if norm(got) != norm(want) {
		t.Errorf("Parquet schema:\n%s\nwant:\n%s", got, want)
	}
}

// entries is a MAP value: keys and values alternating.
func entries(kvs ...any) []verify.MapEntry {
	out := []verify.MapEntry{}
	for i := 0; i < len(kvs); i += 2 {
		out = append(out, verify.MapEntry{Key: kvs[i], Value: kvs[i+1]})
	}
	return out
}

func norm(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestNestedShape(t *testing.T) {
	for _, c := range []struct {
		col  schema.Column
		want string
	}{
		{nestedCols[1], "list<string>"},
		{nestedCols[3], "map<optional string>"},
		{nestedCols[4], "group<name: string, born: optional date, phones: optional list<string>>"},
		{nestedCols[7], "map<optional map<int64>>"},
	} {
		if got := schema.Shape(c.col); got != c.want {
			t.Errorf("Shape(%s) = %s, want %s", c.col.Name, got, c.want)
		}
	}
}

func TestNestedEvolves(t *testing.T) {
	group := func(fs ...schema.Column) schema.Column {
		return schema.Column{Name: "g", Type: schema.TypeGroup, Fields: fs}
	}
	a := schema.Column{Name: "a", Type: schema.TypeInt32, Required: true}
	b := schema.Column{Name: "b", Type: schema.TypeString}
	list := func(e schema.Column) schema.Column {
		return schema.Column{Name: "l", Type: schema.TypeList, Elem: &e}
	}
	wide := a
	wide.Type = schema.TypeInt64
	reqB := b
	reqB.Required = true
	for _, c := range []struct {
		name     string
		was, now schema.Column
		err      string
	}{
		{"same", group(a, b), group(a, b), ""},
		{"optional member added", group(a), group(a, b), ""},
		{"member dropped", group(a, b), group(a), ""},
		{"required member added", group(b), group(b, a), "new member a is required"},
		{"member widens", group(a), group(wide), ""},
		{"member narrows", group(wide), group(a), "changes type from int64 to int32"},
		{"member becomes required", group(b), group(reqB), "member b changes from optional to required"},
		{"element widens", list(a), list(wide), ""},
		{"element changes", list(a), list(b), "changes"},
		{"member becomes optional", group(reqB), group(b), ""},
		{"element becomes required", list(b), list(reqB), "changes its elements from list<optional string> to list<string>"},
		{"list to group", list(a), group(a), "changes type from list<int32> to group<a: int32>"},
	} {
		err := schema.Evolves(c.was, c.now)
		if (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: Evolves = %v, want %q", c.name, err, c.err)
		}
	}
}

func TestRoundTripNested(t *testing.T) {
	fx := compile(t, nestedCols, schema.Options{})
	cases := []struct {
		name string
		json string
		want map[string]any
	}{{
		name: "every shape set",
		json: `{"id":1,"tags":["a","b\u00e9"],"scores":[1,null,3],"attrs":{"z":"last","a":null,"m":"mid"},` +
			`"user":{"name":"ann","born":19675,"phones":["1","2"]},` +
			`"items":[{"sku":"x","price":"12.30","at":1700000000123456,"blob":"AAEC/w=="},{"sku":"y"}],` +
			`"matrix":[[1.5,2],[],[3]],"by_day":{"d1":{"k":1,"j":2},"d2":{},"d3":null},` +
			`"choice":{"member1":7},"after":true}`,
		want: map[string]any{
			"id":     int64(1),
			"tags":   []any{"a", "bé"},
			"scores": []any{int32(1), nil, int32(3)},
			"attrs":  entries("z", "last", "a", nil, "m", "mid"), // the text's order
			"user":   map[string]any{"name": "ann", "born": date(2023, 11, 14), "phones": []any{"1", "2"}},
			"items": []any{
				map[string]any{"sku": "x", "price": verify.Decimal("12.30"), "at": verify.Micros(1700000000123456), "blob": []byte{0, 1, 2, 255}},
				map[string]any{"sku": "y", "price": nil, "at": nil, "blob": nil},
			},
			"matrix": []any{[]any{1.5, 2.0}, []any{}, []any{3.0}},
			"by_day": entries("d1", entries("k", int64(1), "j", int64(2)), "d2", entries(), "d3", nil),
			"choice": map[string]any{"member0": nil, "member1": int64(7)},
			"after":  true,
		},
	}, {
		name: "empty, not null",
		json: `{"id":2,"tags":[],"scores":[],"attrs":{},"user":{"name":"","phones":[]},"items":[],"matrix":[],"by_day":{},"choice":{}}`,
		want: map[string]any{
			"id": int64(2), "tags": []any{}, "scores": []any{}, "attrs": []verify.MapEntry{},
			"user":  map[string]any{"name": "", "born": nil, "phones": []any{}},
			"items": []any{}, "matrix": []any{}, "by_day": []verify.MapEntry{},
			"choice": map[string]any{"member0": nil, "member1": nil},
			"after":  nil,
		},
	}, {
		name: "nulls and missing",
		json: `{"id":3,"tags":null,"scores":[null],"user":{"name":"bo","phones":null}}`,
		want: map[string]any{
			"id": int64(3), "tags": nil, "scores": []any{nil}, "attrs": nil,
			"user":  map[string]any{"name": "bo", "born": nil, "phones": nil},
			"items": nil, "matrix": nil, "by_day": nil, "choice": nil, "after": nil,
		},
	}}
	w := newFileWriter(t, fx.s)
	var (
		r   record.Record
		buf record.Buffers
		row parquet.Row
		err error
	)
	var want []map[string]any
	for i, c := range cases {
		fx.fill(t, &r, &buf, int64(i), input{json: c.json, timestamp: 1000})
		if row, err = fx.s.Row(&r, row); err != nil {
			t.Fatalf("%s: Row: %v", c.name, err)
		}
		for j := range nestedCols {
			has := fx.s.HasValue(row, j)
			if wantHas := c.want[nestedCols[j].Name] != nil; has != wantHas {
				t.Errorf("%s: HasValue(%s) = %v, want %v", c.name, nestedCols[j].Name, has, wantHas)
			}
		}
		w.write(t, row)
		m := map[string]any{"kafka_topic": "clicks", "kafka_partition": int32(3), "kafka_offset": int64(i),
			"kafka_timestamp": verify.Millis(1000), "kafka_key": nil}
		for k, v := range c.want {
			m[k] = v
		}
		want = append(want, m)
	}
	checkRows(t, w.read(t), want)
}

func TestNestedRejects(t *testing.T) {
	fx := compile(t, nestedCols, schema.Options{})
	for _, c := range []struct{ json, err string }{
		{`{"id":1,"scores":null}`, "column scores (field scores): required, but the field is null"},
		{`{"id":1}`, "column scores (field scores): required, but the field is missing"},
		{`{"id":1,"scores":[],"tags":[null]}`, "tags[]: required, but null"},
		{`{"id":1,"scores":["x"]}`, `scores[]: want an integer, got string "x"`},
		{`{"id":1,"scores":[],"tags":"a"}`, "want a list (JSON array), got string"},
		{`{"id":1,"scores":[],"user":{"phones":[]}}`, "user.name: required, but null"},
		{`{"id":1,"scores":[],"items":[{"sku":"x","price":"1.234"}]}`, "items[].price"},
		{`{"id":1,"scores":[],"user":[1]}`, "user: want a group (JSON object), got array"},
		{`{"id":1,"scores":[],"user":{"name":"a","name":"b"}}`, `user: member "name" appears twice`},
		{`{"id":1,"scores":[],"matrix":[[1,"x"]]}`, `matrix[][]: want a number, got string "x"`},
		{`{"id":1,"scores":[],"choice":{"member0":"s","other":{"deep":[1,{"x":null}]},"member1":"2.5"}}`, "choice.member1: want an integer"},
	} {
		var (
			r   record.Record
			buf record.Buffers
		)
		fx.fill(t, &r, &buf, 0, input{json: c.json})
		_, err := fx.s.Row(&r, nil)
		var ce *schema.ConvertError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: Row error %v, want a ConvertError with %q", c.json, err, c.err)
		}
	}
}

func TestNestedConfigErrors(t *testing.T) {
	for _, c := range []struct {
		col schema.Column
		err string
	}{
		{schema.Column{Name: "l", Type: schema.TypeList}, "has no element type"},
		{schema.Column{Name: "g", Type: schema.TypeGroup}, "has no members"},
		{schema.Column{Name: "l", Type: schema.TypeList, Elem: elem(schema.TypeInt32, true), Default: 1}, "takes no default"},
		{schema.Column{Name: "m", Type: schema.TypeMap, Elem: elem("nope", true)}, `unknown type "nope"`},
	} {
		_, err := schema.NewJSON([]schema.Column{c.col}, record.NewLayout(true), schema.Options{})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: NewJSON error %v, want %q", c.col, err, c.err)
		}
	}
}

// FuzzNestedText: whatever the text of a nested value, shredding it fails or gives a row whose
// values are for the schema's columns in order (what the writer's row buffer checks): never a panic.
func FuzzNestedText(f *testing.F) {
	layout := record.NewLayout(true)
	s, err := schema.NewJSON(nestedCols, layout, schema.Options{})
	if err != nil {
		f.Fatal(err)
	}
	filler, err := layout.Filler()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{`[]`, `{}`, `[[1.5],[]]`, `{"a":{"k":1}}`, `{"name":"x","phones":["1"]}`,
		`[{"sku":"x","price":"1.5","blob":"AA=="}]`, `{"member0":"s"}`, `[null]`, `{"a":"\u00e9\n"}`, `[1,`, `{"a"`} {
		f.Add(seed)
	}
	cols := len(s.Parquet().Columns())
	f.Fuzz(func(t *testing.T, text string) {
		var r record.Record
		var buf record.Buffers
		r.Value = []byte(`{"id":1,"scores":[]}`)
		if err := filler.Fill(&r, &buf); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(nestedCols)-1; i++ {
			fields := append([]field.Value{}, r.Fields...)
			kind := field.Object
			if strings.HasPrefix(strings.TrimSpace(text), "[") {
				kind = field.Array
			}
			r2 := r
			r2.Fields = fields
			slot, _ := layout.Read(nestedCols[i].Name)
			r2.Fields[slot] = field.Value{Kind: kind, Bytes: []byte(text)}
			row, err := s.Row(&r2, nil)
			if err != nil {
				continue
			}
			col := 0
			for _, v := range row {
				if c := v.Column(); c != col && c != col+1 {
					t.Fatalf("column %s, text %q: value for column %d after column %d", nestedCols[i].Name, text, c, col)
				} else {
					col = c
				}
			}
			if col != cols-1 {
				t.Fatalf("column %s, text %q: row ends at column %d of %d", nestedCols[i].Name, text, col, cols)
			}
		}
	})
}

// Leaves counts the Parquet schema's leaf columns, and Repeats says whether one of them repeats,
// which is what lets the writer keep the rows of a schema without one in a flat buffer: a LIST or
// MAP column repeats, a group of scalars does not, and the raw kinds' headers do.
func TestLeavesAndRepeats(t *testing.T) {
	raw, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dead, err := schema.NewDeadLetter(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		s       *schema.Schema
		repeats bool
	}{
		{"scalars", compile(t, []schema.Column{{Name: "a", Type: schema.TypeString}, {Name: "b", Type: schema.TypeInt64}}, schema.Options{}).s, false},
		{"a group of scalars", compile(t, []schema.Column{nestedCols[0], nestedCols[8]}, schema.Options{}).s, false},
		{"a list", compile(t, []schema.Column{nestedCols[0], nestedCols[1]}, schema.Options{}).s, true},
		{"a map", compile(t, []schema.Column{nestedCols[3]}, schema.Options{}).s, true},
		{"every nested shape", compile(t, nestedCols, schema.Options{}).s, true},
		{"raw", raw, true},
		{"dead letter", dead, true},
	} {
		ps := tc.s.Parquet()
		if got, want := tc.s.Leaves(), len(ps.Columns()); got != want {
			t.Errorf("%s: Leaves %d, want %d", tc.name, got, want)
		}
		if got := tc.s.Repeats(); got != tc.repeats {
			t.Errorf("%s: Repeats %v, want %v\n%s", tc.name, got, tc.repeats, ps)
		}
	}
}
