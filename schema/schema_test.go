package schema_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// TestConvertErrors: every per-record problem is a *schema.ConvertError naming the column, so the
// record goes to the dead letters and the batch goes on.
func TestConvertErrors(t *testing.T) {
	col := func(typ string) schema.Column { return schema.Column{Name: "a", Type: typ} }
	cases := []struct {
		name  string
		col   schema.Column
		in    input
		field string // ConvertError.Field; default "a"
		want  string // substring of the error
	}{
		{"missing required", schema.Column{Name: "a", Type: "string", Required: true}, input{json: `{}`}, "", "required, but the field is missing"},
		{"null required", schema.Column{Name: "a", Type: "int64", Required: true}, input{json: `{"a":null}`}, "", "required, but the field is null"},
		{"string in int", col("int64"), input{json: `{"a":"abc"}`}, "", `want an integer, got string "abc"`},
		{"empty string in int", col("int32"), input{json: `{"a":""}`}, "", "want an integer"},
		{"4.5 in int64", col("int64"), input{json: `{"a":4.5}`}, "", `want an integer, got number "4.5"`},
		{"1e3 in int64", col("int64"), input{json: `{"a":1e3}`}, "", `want an integer, got number "1e3"`},
		{"1.0 in int32", col("int32"), input{json: `{"a":1.0}`}, "", "want an integer"},
		{"int32 overflow", col("int32"), input{json: `{"a":2147483648}`}, "", `"2147483648" overflows int32`},
		{"int32 underflow", col("int32"), input{json: `{"a":-2147483649}`}, "", "overflows int32"},
		{"int64 overflow", col("int64"), input{json: `{"a":9223372036854775808}`}, "", "overflows int64"},
		{"quoted int64 overflow", col("int64"), input{json: `{"a":"-9223372036854775809"}`}, "", "overflows int64"},
		{"bool in int", col("int32"), input{json: `{"a":true}`}, "", "want an integer, got bool"},
		{"object in int", col("int64"), input{json: `{"a":{"b":1}}`}, "", `want an integer, got object "{\"b\":1}"`},
		{"array in int", col("int32"), input{json: `{"a":[1]}`}, "", "want an integer, got array"},
		{"abc in double", col("double"), input{json: `{"a":"abc"}`}, "", `want a number, got string "abc"`},
		{"hex in double", col("double"), input{json: `{"a":"0x1p4"}`}, "", `want a decimal number, got "0x1p4"`},
		{"lower-case inf in double", col("double"), input{json: `{"a":"inf"}`}, "", "want a number"},
		{"float32 overflow", col("float"), input{json: `{"a":1e39}`}, "", `"1e39" overflows a 32-bit float`},
		{"double overflow", col("double"), input{json: `{"a":-1e309}`}, "", "overflows a 64-bit float"},
		{"object in double", col("double"), input{json: `{"a":{}}`}, "", "want a number, got object"},
		{"number in boolean", col("boolean"), input{json: `{"a":1}`}, "", `want a boolean, got number "1"`},
		{"string in boolean", col("boolean"), input{json: `{"a":"true"}`}, "", `want a boolean, got string "true"`},
		{"invalid UTF-8 key", schema.Column{Name: "a", Type: "string", Field: "@key"}, input{json: `{}`, key: []byte{'k', 0xff}}, "@key", "not valid UTF-8"},
		{"invalid UTF-8 header", schema.Column{Name: "a", Type: "string", Field: "@header.h"},
			input{json: `{}`, headers: []record.Header{{Key: "h", Value: []byte{0xc3}}}}, "@header.h", "not valid UTF-8"},
		{"bad base64", schema.Column{Name: "a", Type: "bytes", Format: "base64"}, input{json: `{"a":"!!!"}`}, "", "not base64"},
		{"unpadded base64", schema.Column{Name: "a", Type: "bytes", Format: "base64"}, input{json: `{"a":"AAE"}`}, "", "not base64"},
		{"number as base64", schema.Column{Name: "a", Type: "bytes", Format: "base64"}, input{json: `{"a":12}`}, "", "want a base64 string, got number"},
		{"bad date", col("date"), input{json: `{"a":"2023-02-30"}`}, "", `not a date 2006-01-02: "2023-02-30"`},
		{"datetime as date", col("date"), input{json: `{"a":"2023-02-03T00:00:00Z"}`}, "", "not a date"},
		{"bool as date", col("date"), input{json: `{"a":false}`}, "", "want a date string"},
		{"date days overflow", col("date"), input{json: `{"a":2147483648}`}, "", "overflows int32"},
		{"date from huge epoch", schema.Column{Name: "a", Type: "date", Format: "epoch_millis"}, input{json: `{"a":9000000000000000000}`}, "", "out of range"},
		// Timestamps outside the years 1970 to 9999, in every input form, are dead letters: a
		// value beyond what readers represent makes the whole file unreadable (DuckDB: "Could not
		// convert Timestamp(MS) to Timestamp(US)"), and a multiplication that wraps stores nonsense.
		{"millis number past 9999", col("timestamp-millis"), input{json: `{"a":9300000000000000}`}, "", "outside the years 1970 to 9999"},
		{"millis number before 1970", col("timestamp-millis"), input{json: `{"a":-1}`}, "", "outside the years 1970 to 9999"},
		{"quoted millis past 9999", schema.Column{Name: "a", Type: "timestamp-millis", Format: "epoch_millis"}, input{json: `{"a":"253402300800000"}`}, "", "outside the years 1970 to 9999"},
		{"micros number past 9999", col("timestamp-micros"), input{json: `{"a":253402300800000000}`}, "", "outside the years 1970 to 9999"},
		{"epoch_millis into micros wraps", schema.Column{Name: "a", Type: "timestamp-micros", Format: "epoch_millis"}, input{json: `{"a":9300000000000000}`}, "", "outside the years 1970 to 9999"},
		{"epoch_seconds far", schema.Column{Name: "a", Type: "timestamp-micros", Format: "epoch_seconds"}, input{json: `{"a":253402300800}`}, "", "out of range"},
		{"RFC3339 year 1", col("timestamp-millis"), input{json: `{"a":"0001-01-01T00:00:00Z"}`}, "", "0001-01-01T00:00:00Z is outside the years 1970 to 9999"},
		{"RFC3339 before 1970", col("timestamp-micros"), input{json: `{"a":"1969-12-31T23:59:59.999999Z"}`}, "", "outside the years 1970 to 9999"},
		{"layout before 1970", schema.Column{Name: "a", Type: "timestamp-micros", Format: "2006-01-02"}, input{json: `{"a":"1900-01-01"}`}, "", "outside the years 1970 to 9999"},
		{"date layout mismatch", schema.Column{Name: "a", Type: "date", Format: "02/01/2006"}, input{json: `{"a":"2023-01-02"}`}, "", "does not match layout"},
		{"bad RFC3339", col("timestamp-millis"), input{json: `{"a":"2023-11-14 22:13:20"}`}, "", `not RFC3339: "2023-11-14 22:13:20"`},
		{"RFC3339 without zone", col("timestamp-micros"), input{json: `{"a":"2023-11-14T22:13:20"}`}, "", "not RFC3339"},
		{"fraction of a milli", col("timestamp-millis"), input{json: `{"a":1700000000123.5}`}, "", "timestamp in millis: want an integer"},
		{"timestamp overflow", col("timestamp-micros"), input{json: `{"a":9223372036854775808}`}, "", "timestamp in micros"},
		{"object in timestamp", col("timestamp-millis"), input{json: `{"a":{"t":1}}`}, "", "want an RFC3339 string, got object"},
		{"timestamp layout mismatch", schema.Column{Name: "a", Type: "timestamp-millis", Format: "2006-01-02 15:04"}, input{json: `{"a":"14/11/2023"}`}, "", "does not match layout"},
		{"epoch seconds not a number", schema.Column{Name: "a", Type: "timestamp-millis", Format: "epoch_seconds"}, input{json: `{"a":"soon"}`}, "", "not an epoch number"},
		{"nested field names the path", schema.Column{Name: "a", Type: "int32", Field: "user.id"}, input{json: `{"user":{"id":"x"}}`}, "user.id", "want an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A second, good column before the bad one: the error still names the right one.
			fx := compile(t, []schema.Column{{Name: "ok", Type: "string"}, c.col}, schema.Options{})
			var (
				r    record.Record
				bufs record.Buffers
			)
			c.in.json = strings.Replace(c.in.json, "{", `{"ok":"fine",`, 1)
			c.in.json = strings.Replace(c.in.json, ",}", "}", 1)
			fx.fill(t, &r, &bufs, 0, c.in)
			_, err := fx.s.Row(&r, nil)
			var ce *schema.ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *schema.ConvertError", err, err)
			}
			field := c.field
			if field == "" {
				field = "a"
			}
			if ce.Column != "a" || ce.Field != field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got column %q field %q: %v\nwant column a field %q and %q", ce.Column, ce.Field, err, field, c.want)
			}
			if want := "column a (field " + field + "): "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %q, want it to start with %q", err, want)
			}
			if errors.Unwrap(err) != ce.Err {
				t.Errorf("Unwrap does not return Err")
			}
		})
	}
}

// TestConvertAccepts pins down values next to the error cases that must still convert.
func TestConvertAccepts(t *testing.T) {
	cases := []struct {
		typ, json string
	}{
		{"int32", `2147483647`}, {"int32", `"-2147483648"`}, {"int64", `-0`}, {"double", `"1e3"`},
		{"double", `"NaN"`}, {"double", `"-Infinity"`}, {"float", `3.4028235e38`}, {"float", `1e-50`},
		{"date", `"1582-10-15"`}, {"timestamp-millis", `"2023-11-14T22:13:20.1234567891+14:00"`},
	}
	for _, c := range cases {
		fx := compile(t, []schema.Column{{Name: "a", Type: c.typ}}, schema.Options{})
		var (
			r    record.Record
			bufs record.Buffers
		)
		fx.fill(t, &r, &bufs, 0, input{json: `{"a":` + c.json + `}`})
		if _, err := fx.s.Row(&r, nil); err != nil {
			t.Errorf("%s %s: %v", c.typ, c.json, err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cols []schema.Column
		opts schema.Options
		want []string // substrings, all present
	}{
		{"no columns", nil, schema.Options{}, []string{"at least one column"}},
		{"empty name", []schema.Column{{Type: "string"}}, schema.Options{}, []string{"schema[0].name: missing"}},
		{"duplicate name", []schema.Column{{Name: "a", Type: "string"}, {Name: "a", Type: "int32"}}, schema.Options{},
			[]string{`schema[1].name: "a" is already schema[0]`}},
		{"metadata name", []schema.Column{{Name: "a", Type: "string"}, {Name: "kafka_offset", Type: "int64"}}, schema.Options{},
			[]string{`schema[1].name: "kafka_offset" is a metadata column`}},
		{"every metadata name", []schema.Column{{Name: "kafka_topic", Type: "string"}, {Name: "kafka_partition", Type: "int32"},
			{Name: "kafka_timestamp", Type: "int64"}, {Name: "kafka_key", Type: "bytes"}}, schema.Options{},
			[]string{"schema[0].name", "schema[1].name", "schema[2].name", "schema[3].name"}},
		{"missing type", []schema.Column{{Name: "a"}}, schema.Options{}, []string{"schema[0].type: missing"}},
		{"unknown type", []schema.Column{{Name: "a", Type: "integer"}}, schema.Options{}, []string{`schema[0].type: unknown type "integer"`, "int64"}},
		{"format on string", []schema.Column{{Name: "a", Type: "string", Format: "base64"}}, schema.Options{},
			[]string{"schema[0].format: type string takes no format"}},
		{"format on int", []schema.Column{{Name: "a", Type: "int64", Format: "epoch_seconds"}}, schema.Options{},
			[]string{"schema[0].format: type int64 takes no format"}},
		{"bad bytes format", []schema.Column{{Name: "a", Type: "bytes", Format: "hex"}}, schema.Options{},
			[]string{`schema[0].format: "hex" is not a bytes format`}},
		{"bad time format", []schema.Column{{Name: "a", Type: "timestamp-millis", Format: "epoch_sec"}}, schema.Options{},
			[]string{`schema[0].format: unknown time format "epoch_sec"`}},
		{"bad date format", []schema.Column{{Name: "a", Type: "date", Format: "dd/mm/yyyy"}}, schema.Options{},
			[]string{"schema[0].format: unknown time format"}},
		{"default not an int", []schema.Column{{Name: "a", Type: "int32", Default: "abc"}}, schema.Options{},
			[]string{"schema[0].default: abc does not fit type int32"}},
		{"default overflows", []schema.Column{{Name: "a", Type: "int32", Default: 2147483648}}, schema.Options{},
			[]string{"schema[0].default:", "overflows int32"}},
		{"default uint64", []schema.Column{{Name: "a", Type: "int64", Default: uint64(1 << 63)}}, schema.Options{},
			[]string{"schema[0].default:", "overflows int64"}},
		{"default float in int", []schema.Column{{Name: "a", Type: "int64", Default: 4.5}}, schema.Options{},
			[]string{"schema[0].default: 4.5 does not fit type int64"}},
		{"default string in boolean", []schema.Column{{Name: "a", Type: "boolean", Default: "yes"}}, schema.Options{},
			[]string{"schema[0].default: yes does not fit type boolean"}},
		{"default bad date", []schema.Column{{Name: "a", Type: "date", Default: "2023-13-01"}}, schema.Options{},
			[]string{"schema[0].default: 2023-13-01 does not fit type date"}},
		{"default bad timestamp", []schema.Column{{Name: "a", Type: "timestamp-millis", Default: "yesterday"}}, schema.Options{},
			[]string{"schema[0].default: yesterday does not fit type timestamp-millis"}},
		{"default timestamp out of range", []schema.Column{{Name: "a", Type: "timestamp-micros", Default: int64(-1)}}, schema.Options{},
			[]string{"schema[0].default: -1 does not fit type timestamp-micros", "outside the years 1970 to 9999"}},
		{"default bad base64", []schema.Column{{Name: "a", Type: "bytes", Format: "base64", Default: "!"}}, schema.Options{},
			[]string{"schema[0].default:", "base64"}},
		{"default not scalar", []schema.Column{{Name: "a", Type: "string", Default: map[string]any{"x": 1}}}, schema.Options{},
			[]string{"schema[0].default:", "not a scalar"}},
		{"default list", []schema.Column{{Name: "a", Type: "string", Default: []any{"x"}}}, schema.Options{},
			[]string{"schema[0].default:", "not a scalar"}},
		{"bad field path", []schema.Column{{Name: "a", Type: "string", Field: "user..id"}}, schema.Options{},
			[]string{"schema[0].field:", "empty segment"}},
		{"unknown special field", []schema.Column{{Name: "a", Type: "string", Field: "@value"}}, schema.Options{},
			[]string{"schema[0].field:", "@value"}},
		{"every error, each column named", []schema.Column{{Name: "a", Type: "int"}, {Name: "b", Type: "string"}, {Name: "", Type: "string"},
			{Name: "c", Type: "date", Default: "x"}}, schema.Options{},
			[]string{"schema[0].type", "schema[2].name", "schema[3].default"}},
		{"bad compression", []schema.Column{{Name: "a", Type: "string"}}, schema.Options{Compression: "lz5"},
			[]string{"compression:", `"lz5"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := schema.NewJSON(c.cols, record.NewLayout(true), c.opts)
			if err == nil {
				t.Fatalf("got no error, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	// Defaults that must compile, with the value they stand for.
	cases := []struct {
		col  schema.Column
		want any
	}{
		{schema.Column{Name: "a", Type: "int64", Default: int64(-9223372036854775808)}, int64(-9223372036854775808)},
		{schema.Column{Name: "a", Type: "int64", Default: uint64(9223372036854775807)}, int64(9223372036854775807)},
		{schema.Column{Name: "a", Type: "int32", Default: "7"}, int32(7)},
		{schema.Column{Name: "a", Type: "double", Default: 1e300}, 1e300},
		{schema.Column{Name: "a", Type: "float", Default: 0.1}, float32(0.1)},
		{schema.Column{Name: "a", Type: "boolean", Default: true}, true},
		{schema.Column{Name: "a", Type: "string", Default: ""}, ""},
		{schema.Column{Name: "a", Type: "bytes", Default: "raw"}, []byte("raw")},
		{schema.Column{Name: "a", Type: "bytes", Format: "base64", Default: "AP8="}, []byte{0, 0xff}},
		{schema.Column{Name: "a", Type: "date", Default: "2024-02-29"}, date(2024, 2, 29)},
		{schema.Column{Name: "a", Type: "date", Default: 0}, date(1970, 1, 1)},
		{schema.Column{Name: "a", Type: "date", Format: "02/01/2006", Default: "29/02/2024"}, date(2024, 2, 29)},
		// A YAML date or time is an instant whatever the column's format.
		{schema.Column{Name: "a", Type: "date", Format: "02/01/2006", Default: date(2024, 2, 29)}, date(2024, 2, 29)},
		{schema.Column{Name: "a", Type: "timestamp-millis", Format: "epoch_seconds", Default: time.UnixMilli(1)}, verify.Millis(1)},
		{schema.Column{Name: "a", Type: "timestamp-micros", Default: int64(1)}, verify.Micros(1)},
		{schema.Column{Name: "a", Type: "timestamp-millis", Default: "1970-01-01T00:00:00.0019Z"}, verify.Millis(1)},
		{schema.Column{Name: "a", Type: "timestamp-millis", Format: "epoch_millis", Default: 1.9}, verify.Millis(1)},
	}
	for _, c := range cases {
		for _, required := range []bool{false, true} {
			c.col.Required = required
			fx := compile(t, []schema.Column{c.col}, schema.Options{})
			w := newFileWriter(t, fx.s)
			var (
				r    record.Record
				bufs record.Buffers
				row  parquet.Row
				err  error
			)
			for i, js := range []string{`{}`, `{"a":null}`} {
				fx.fill(t, &r, &bufs, int64(i), input{json: js})
				if row, err = fx.s.Row(&r, row); err != nil {
					t.Fatalf("%+v %s: %v", c.col, js, err)
				}
				w.write(t, row)
			}
			tbl := w.read(t)
			for i := range tbl.Rows {
				if got := tbl.Rows[i][0]; show(got) != show(c.want) {
					t.Errorf("%+v row %d: got %s, want %s", c.col, i, show(got), show(c.want))
				}
			}
		}
	}
}

func TestKindMismatch(t *testing.T) {
	fx := compile(t, []schema.Column{{Name: "a", Type: "string"}}, schema.Options{})
	if _, err := fx.s.AppendRaw(&record.Record{}, "", "", nil); err == nil {
		t.Error("AppendRaw on a json schema: no error")
	}
	raw, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Row(&record.Record{}, nil); err == nil {
		t.Error("Row on a raw schema: no error")
	}
	for _, s := range []*schema.Schema{fx.s, raw} {
		if s.Codec() == nil || s.Parquet() == nil {
			t.Error("no codec or parquet schema")
		}
	}
	if fx.s.Kind() != schema.JSON || raw.Kind() != schema.Raw {
		t.Error("wrong kinds")
	}
}

// TestHeaderKeyNotUTF8: format raw rejects a header key that is not UTF-8 (its column is a
// string); a dead letter cannot be rejected, so there the bad bytes become U+FFFD.
func TestHeaderKeyNotUTF8(t *testing.T) {
	rec := rawRecord(0, record.Record{Value: []byte("v"), Headers: []record.Header{{Key: "ok", Value: []byte("1")}, {Key: "b\xffd", Value: []byte("2")}}})
	raw, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.AppendRaw(rec, "", "", nil)
	var ce *schema.ConvertError
	if !errors.As(err, &ce) || ce.Column != "headers" || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("raw: got %v, want a ConvertError on headers", err)
	}
	reason := err.Error()

	dl, err := schema.NewDeadLetter(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := dl.AppendRaw(rec, reason, "convert", nil)
	if err != nil {
		t.Fatalf("dead letter: %v", err)
	}
	w := newFileWriter(t, dl)
	w.write(t, row)
	tbl := w.read(t)
	got := tbl.Rows[0][tbl.Col("headers")]
	want := []verify.Header{{Key: "ok", Value: []byte("1")}, {Key: "b\uFFFDd", Value: []byte("2")}}
	if show(got) != show(want) {
		t.Errorf("dead letter headers: got %s, want %s", show(got), show(want))
	}
}
