package schema_test

// Round trips: records are built through the real path (record.Layout → Filler.Fill from JSON,
// key and headers), turned into rows by the schema, written by the writer package itself
// (writer.Partition: column by column, several row groups, staged to a local file), and read back
// with internal/verify, which uses arrow-go: an independent reader, compared exactly.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// fixture is a compiled JSON topic: its schema and the filler of its layout.
type fixture struct {
	s      *schema.Schema
	filler *record.Filler
}

func compile(t *testing.T, cols []schema.Column, opts schema.Options) fixture {
	t.Helper()
	layout := record.NewLayout(true)
	s, err := schema.NewJSON(cols, layout, opts)
	if err != nil {
		t.Fatalf("NewJSON: %v", err)
	}
	f, err := layout.Filler()
	if err != nil {
		t.Fatalf("Filler: %v", err)
	}
	return fixture{s, f}
}

// input is one Kafka record.
type input struct {
	json      string
	key       []byte
	headers   []record.Header
	timestamp int64 // millis
}

// fill resets r (the pipeline reuses one Record) and fills it from in.
func (fx fixture) fill(t *testing.T, r *record.Record, b *record.Buffers, off int64, in input) {
	t.Helper()
	fields := r.Fields
	*r = record.Record{Topic: "clicks", Partition: 3, Offset: off, Timestamp: time.UnixMilli(in.timestamp),
		Key: in.key, Value: []byte(in.json), Headers: in.headers, Fields: fields}
	if err := fx.filler.Fill(r, b); err != nil {
		t.Fatalf("Fill(%s): %v", in.json, err)
	}
}

// fileWriter writes rows through writer.Partition, the loader's own write path, with row groups so
// small that every file has several, and reads the staged file back with the independent reader.
type fileWriter struct {
	p    *writer.Partition
	s    *schema.Schema
	path string // the staged file, once read
}

func newFileWriter(t *testing.T, s *schema.Schema) *fileWriter {
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: &writer.Budget{}, RowGroupBytes: 200}
	w := &fileWriter{p: writer.NewPartition(cfg, offsets.TP{Topic: "clicks", Partition: 3}), s: s}
	t.Cleanup(w.p.Close)
	return w
}

func (w *fileWriter) write(t *testing.T, row parquet.Row) {
	t.Helper()
	if err := w.p.Write(context.Background(), "clicks/d", w.s, row); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func (w *fileWriter) read(t *testing.T) *verify.Table {
	t.Helper()
	files, err := w.p.Stage(context.Background())
	if err != nil {
		t.Fatalf("Stage: %v", err)
	}
	if len(files) != 1 {
		t.Fatalf("staged %d files, want 1", len(files))
	}
	w.path = w.p.StagingPath(files[0])
	tbl, err := verify.ReadPath(w.path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	return tbl
}

// colSpec is what a column must look like to an independent reader.
type colSpec struct {
	name, phys, logical string // logical: a substring of arrow-go's rendering
	required            bool
}

func checkColumns(t *testing.T, got []verify.ColumnInfo, want []colSpec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d columns %v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.PhysicalType != w.phys || !strings.Contains(g.LogicalType, w.logical) || g.Required != w.required {
			t.Errorf("column %d: got %+v, want %+v", i, g, w)
		}
	}
}

// checkRows compares rows cell by cell, by column name.
func checkRows(t *testing.T, tbl *verify.Table, want []map[string]any) {
	t.Helper()
	if len(tbl.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(tbl.Rows), len(want))
	}
	for i, w := range want {
		for c, col := range tbl.Columns {
			got, exp := tbl.Rows[i][c], w[col.Name]
			if !reflect.DeepEqual(got, exp) && !bothNaN(got, exp) {
				t.Errorf("row %d column %s: got %s, want %s", i, col.Name, show(got), show(exp))
			}
		}
		for name := range w {
			if tbl.Col(name) < 0 {
				t.Errorf("row %d: no column %s", i, name)
			}
		}
	}
}

func bothNaN(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	return ok1 && ok2 && math.IsNaN(x) && math.IsNaN(y)
}

func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case verify.Timestamp:
		return fmt.Sprintf("Timestamp(%s %s)", v.Time.Format(time.RFC3339Nano), v.Unit)
	case time.Time:
		return "Date(" + v.Format(time.RFC3339Nano) + ")"
	case string:
		return fmt.Sprintf("string %q", v)
	case []byte:
		if v == nil {
			return "[]byte(nil)"
		}
		return fmt.Sprintf("[]byte %q", v)
	}
	return fmt.Sprintf("%T %#v", v, v)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// allColumns has every column type, required and optional, with and without default and format.
var allColumns = []schema.Column{
	{Name: "s", Type: "string"},
	{Name: "s_req", Type: "string", Required: true},
	{Name: "s_def", Type: "string", Default: "dflt"},
	{Name: "i32", Type: "int32"},
	{Name: "i64", Type: "int64", Required: true},
	{Name: "i64_def", Type: "int64", Required: true, Default: 42},
	{Name: "f", Type: "float"},
	{Name: "d", Type: "double"},
	{Name: "b", Type: "boolean"},
	{Name: "b_def", Type: "boolean", Required: true, Default: false},
	{Name: "ts_ms", Type: "timestamp-millis"},
	{Name: "ts_us", Type: "timestamp-micros"},
	{Name: "ts_sec", Type: "timestamp-millis", Format: "epoch_seconds"},
	{Name: "ts_layout", Type: "timestamp-micros", Format: "2006-01-02 15:04:05.999999"},
	{Name: "ts_def", Type: "timestamp-millis", Required: true, Default: "2020-01-01T00:00:00Z"},
	// YAML decodes an unquoted 2020-01-01T00:00:00.123456Z into a time.Time.
	{Name: "ts_ydef", Type: "timestamp-micros", Default: time.Date(2020, 1, 1, 0, 0, 0, 123456789, time.UTC)},
	{Name: "ts_epoch_def", Type: "timestamp-millis", Format: "epoch_seconds", Default: 1.5},
	{Name: "dt", Type: "date"},
	{Name: "dt_layout", Type: "date", Format: "02/01/2006"},
	// ...and an unquoted 1969-07-20 into a time.Time at midnight UTC.
	{Name: "dt_def", Type: "date", Default: time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC)},
	{Name: "by", Type: "bytes"},
	{Name: "by64", Type: "bytes", Format: "base64"},
	{Name: "name", Type: "string", Field: "user.name"},
	{Name: "k", Type: "string", Field: "@key"},
	{Name: "trace", Type: "string", Field: "@header.trace"},
}

var allColumnSpecs = []colSpec{
	{"s", "BYTE_ARRAY", "String", false},
	{"s_req", "BYTE_ARRAY", "String", true},
	{"s_def", "BYTE_ARRAY", "String", false},
	{"i32", "INT32", "Int(bitWidth=32, isSigned=true)", false},
	{"i64", "INT64", "Int(bitWidth=64, isSigned=true)", true},
	{"i64_def", "INT64", "Int(bitWidth=64, isSigned=true)", true},
	{"f", "FLOAT", "None", false},
	{"d", "DOUBLE", "None", false},
	{"b", "BOOLEAN", "None", false},
	{"b_def", "BOOLEAN", "None", true},
	{"ts_ms", "INT64", "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds", false},
	{"ts_us", "INT64", "Timestamp(isAdjustedToUTC=true, timeUnit=microseconds", false},
	{"ts_sec", "INT64", "timeUnit=milliseconds", false},
	{"ts_layout", "INT64", "timeUnit=microseconds", false},
	{"ts_def", "INT64", "timeUnit=milliseconds", true},
	{"ts_ydef", "INT64", "timeUnit=microseconds", false},
	{"ts_epoch_def", "INT64", "timeUnit=milliseconds", false},
	{"dt", "INT32", "Date", false},
	{"dt_layout", "INT32", "Date", false},
	{"dt_def", "INT32", "Date", false},
	{"by", "BYTE_ARRAY", "None", false},
	{"by64", "BYTE_ARRAY", "None", false},
	{"name", "BYTE_ARRAY", "String", false},
	{"k", "BYTE_ARRAY", "String", false},
	{"trace", "BYTE_ARRAY", "String", false},
	{"kafka_topic", "BYTE_ARRAY", "String", true},
	{"kafka_partition", "INT32", "Int(bitWidth=32, isSigned=true)", true},
	{"kafka_offset", "INT64", "Int(bitWidth=64, isSigned=true)", true},
	{"kafka_timestamp", "INT64", "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds", true},
	{"kafka_key", "BYTE_ARRAY", "None", false},
}

// defaults are the values of the defaulted columns when their field is missing or null.
var defaults = map[string]any{
	"s_def":        "dflt",
	"i64_def":      int64(42),
	"b_def":        false,
	"ts_def":       verify.Millis(1577836800000),
	"ts_ydef":      verify.Micros(1577836800123456),
	"ts_epoch_def": verify.Millis(1500),
	"dt_def":       date(1969, 7, 20),
}

// with returns defaults overlaid with m.
func with(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestRoundTripJSON(t *testing.T) {
	cases := []struct {
		name string
		in   input
		want map[string]any // declared columns; kafka_* are added from in
	}{{
		name: "every column set",
		in: input{
			json: `{"s":"h\u00e9llo \"q\" \\ \n\t\ud83d\ude00 日本\u0000","s_req":"x","s_def":"given",` +
				`"i32":2147483647,"i64":9223372036854775807,"i64_def":-9223372036854775808,"f":0.1,"d":0.1,` +
				`"b":true,"b_def":true,"ts_ms":1700000000123,"ts_us":1700000000123456,"ts_sec":1700000000,` +
				`"ts_layout":"2023-11-14 22:13:20.123456","ts_def":"2023-11-14T22:13:20.123Z",` +
				`"ts_ydef":"2023-11-14T22:13:20.123456789Z","ts_epoch_def":"1700000000.123","dt":"2023-11-14",` +
				`"dt_layout":"14/11/2023","dt_def":19675,"by":"raw \u0001 bytes","by64":"AAEC/w==","user":{"name":"ann"}}`,
			key:       []byte("k1"),
			headers:   []record.Header{{Key: "trace", Value: []byte("t-0")}, {Key: "trace", Value: []byte("t-1")}},
			timestamp: 1700000000999,
		},
		want: map[string]any{
			"s": "héllo \"q\" \\ \n\t😀 日本\x00", "s_req": "x", "s_def": "given",
			"i32": int32(math.MaxInt32), "i64": int64(math.MaxInt64), "i64_def": int64(math.MinInt64),
			"f": float32(0.1), "d": 0.1, "b": true, "b_def": true,
			"ts_ms":        verify.Millis(1700000000123), // a bare number is in the column's unit, not ×1000
			"ts_us":        verify.Micros(1700000000123456),
			"ts_sec":       verify.Millis(1700000000000),
			"ts_layout":    verify.Micros(1700000000123456),
			"ts_def":       verify.Millis(1700000000123),
			"ts_ydef":      verify.Micros(1700000000123456), // nanoseconds floor to micros
			"ts_epoch_def": verify.Millis(1700000000123),
			"dt":           date(2023, 11, 14), "dt_layout": date(2023, 11, 14), "dt_def": date(2023, 11, 14),
			"by": []byte("raw \x01 bytes"), "by64": []byte{0, 1, 2, 255},
			"name": "ann", "k": "k1", "trace": "t-1", // the last header of a repeated key
		},
	}, {
		name: "optional missing, required defaulted",
		in:   input{json: `{"s_req":"","i64":-9223372036854775808}`, timestamp: 0},
		want: with(map[string]any{"s_req": "", "i64": int64(math.MinInt64)}),
	}, {
		name: "explicit nulls",
		in: input{
			json: `{"s":null,"s_req":"y","s_def":null,"i32":null,"i64":"123","i64_def":null,"f":null,"d":null,` +
				`"b":null,"b_def":null,"ts_ms":null,"ts_us":null,"ts_sec":null,"ts_layout":null,"ts_def":null,` +
				`"ts_ydef":null,"ts_epoch_def":null,"dt":null,"dt_layout":null,"dt_def":null,"by":null,"by64":null,` +
				`"user":{"name":null}}`,
			key:       []byte{}, // empty, not null
			timestamp: -1,
		},
		want: with(map[string]any{"s_req": "y", "i64": int64(123), "k": ""}),
	}, {
		name: "the edges of 1970 to 9999, dates before 1970, extremes, empty values",
		in: input{
			json: `{"s":"","s_req":"z","i32":-2147483648,"i64":0,"f":3.4028235e38,"d":5e-324,"b":false,` +
				`"ts_ms":0,"ts_us":"1970-01-01T00:00:00.0000015Z","ts_sec":1.5,` +
				`"ts_layout":"9999-12-31 23:59:59.999999","ts_def":"9999-12-31T23:59:59.999Z",` +
				`"ts_ydef":"9999-12-31T23:59:59.999999999Z","ts_epoch_def":0.0015,"dt":"1900-01-01",` +
				`"dt_layout":"31/12/1969","dt_def":-1,"by":"","by64":"","user":"not an object"}`,
			timestamp: -86400001,
		},
		want: with(map[string]any{
			"s": "", "s_req": "z", "i32": int32(math.MinInt32), "i64": int64(0),
			"f": float32(math.MaxFloat32), "d": 5e-324, "b": false,
			"ts_ms":        verify.Millis(0),
			"ts_us":        verify.Micros(1), // floors
			"ts_sec":       verify.Millis(1500),
			"ts_layout":    verify.Micros(253402300799999999),
			"ts_def":       verify.Millis(253402300799999),
			"ts_ydef":      verify.Micros(253402300799999999),
			"ts_epoch_def": verify.Millis(1), // 1.5 ms floors to 1 ms
			"dt":           date(1900, 1, 1), "dt_layout": date(1969, 12, 31), "dt_def": date(1969, 12, 31),
			"by": []byte{}, "by64": []byte{}, // empty, not null
		}),
	}, {
		name: "other JSON kinds and string numbers",
		in: input{
			json: `{"s":12.50,"s_req":{"a": [1, 2]},"i32":"-7","i64":"9223372036854775807","f":"1.5","d":1e3,` +
				`"ts_ms":"2023-11-14T23:13:20.123999+01:00","ts_us":1700000000123456,"ts_sec":"1700000000",` +
				`"dt":-25567,"by":{"x":[true,null]},"by64":"/+8=","user":{"name":"\u00e9"}}`,
			headers:   []record.Header{{Key: "other", Value: []byte("x")}},
			timestamp: 253402300799999,
		},
		want: with(map[string]any{
			"s": "12.50", "s_req": `{"a": [1, 2]}`, "i32": int32(-7), "i64": int64(math.MaxInt64),
			"f": float32(1.5), "d": 1000.0,
			"ts_ms":  verify.Millis(1700000000123),
			"ts_us":  verify.Micros(1700000000123456),
			"ts_sec": verify.Millis(1700000000000),
			"dt":     date(1900, 1, 1),
			"by":     []byte(`{"x":[true,null]}`), "by64": []byte{0xff, 0xef}, "name": "é",
		}),
	}}

	for _, codec := range []string{"snappy", "gzip", "zstd", "none"} {
		t.Run(codec, func(t *testing.T) {
			fx := compile(t, allColumns, schema.Options{Compression: codec})
			w := newFileWriter(t, fx.s)
			var (
				r    record.Record
				bufs record.Buffers
				row  parquet.Row
				want []map[string]any
			)
			for i, c := range cases {
				fx.fill(t, &r, &bufs, int64(100+i), c.in)
				var err error
				if row, err = fx.s.Row(&r, row); err != nil {
					t.Fatalf("%s: Row: %v", c.name, err)
				}
				w.write(t, row)
				exp := map[string]any{
					"kafka_topic": "clicks", "kafka_partition": int32(3), "kafka_offset": int64(100 + i),
					"kafka_timestamp": verify.Millis(c.in.timestamp), "kafka_key": nil,
				}
				if c.in.key != nil {
					exp["kafka_key"] = append([]byte{}, c.in.key...)
				}
				for k, v := range c.want {
					exp[k] = v
				}
				want = append(want, exp)
			}
			tbl := w.read(t)
			checkColumns(t, tbl.Columns, allColumnSpecs)
			checkRows(t, tbl, want)
		})
	}
}

// TestRoundTripIntegersDeltaEncoded checks the integer columns the writer stores as
// DELTA_BINARY_PACKED (every INT32 and INT64 leaf: ints, dates, timestamps, small decimals and the
// Kafka metadata) against the independent reader: runs that count up (offsets), repeats,
// neighbours at opposite extremes (whose deltas overflow and must wrap), random values and nulls,
// over many pages, miniblocks and row groups.
func TestRoundTripIntegersDeltaEncoded(t *testing.T) {
	fx := compile(t, []schema.Column{{Name: "i32", Type: "int32"}, {Name: "i64", Type: "int64"},
		{Name: "dt", Type: "date"}, {Name: "ts", Type: "timestamp-micros"}, {Name: "dec", Type: "decimal(18,2)"}},
		schema.Options{})
	w := newFileWriter(t, fx.s)
	rng := rand.New(rand.NewPCG(1, 2))
	var (
		r    record.Record
		bufs record.Buffers
		row  parquet.Row
		want []map[string]any
	)
	for i := range 1000 {
		var i32 int32
		var i64 int64
		switch {
		case i < 200: // counting up, as offsets do
			i32, i64 = int32(i), int64(i)
		case i < 300: // one value repeated
			i32, i64 = 7, -7
		case i < 400: // extremes side by side: every delta overflows
			if i%2 == 0 {
				i32, i64 = math.MinInt32, math.MinInt64
			} else {
				i32, i64 = math.MaxInt32, math.MaxInt64
			}
		default:
			i32, i64 = int32(rng.Uint32()), int64(rng.Uint64())
		}
		days := int32(rng.IntN(2932896)) - 719162                                   // 0001-01-01 to 9999-12-31
		micros := rng.Int64N(253402300799999999)                                    // 1970 to 9999
		cents := rng.Int64N(2_000_000_000_000_000_000/1000) - 1_000_000_000_000_000 // within decimal(18,2)
		js := fmt.Sprintf(`{"i32":%d,"i64":%d,"dt":%d,"ts":%d,"dec":"%d.%02d"}`, i32, i64, days, micros, cents/100, abs(cents%100))
		if cents < 0 && cents > -100 {
			js = fmt.Sprintf(`{"i32":%d,"i64":%d,"dt":%d,"ts":%d,"dec":"-0.%02d"}`, i32, i64, days, micros, -cents)
		}
		exp := map[string]any{"i32": i32, "i64": i64, "dt": verify.Date(days), "ts": verify.Micros(micros),
			"dec": verify.Decimal(decimalString(cents))}
		if i%9 == 4 { // nulls between values
			js, exp = `{}`, map[string]any{"i32": nil, "i64": nil, "dt": nil, "ts": nil, "dec": nil}
		}
		fx.fill(t, &r, &bufs, int64(i), input{json: js, timestamp: 1700000000000 + int64(i%5)})
		var err error
		if row, err = fx.s.Row(&r, row); err != nil {
			t.Fatalf("row %d %s: %v", i, js, err)
		}
		w.write(t, row)
		exp["kafka_topic"], exp["kafka_partition"], exp["kafka_offset"] = "clicks", int32(3), int64(i)
		exp["kafka_timestamp"], exp["kafka_key"] = verify.Millis(1700000000000+int64(i%5)), nil
		want = append(want, exp)
	}
	checkRows(t, w.read(t), want)

	f, err := os.Open(w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	md := pf.Metadata()
	if len(md.RowGroups) < 2 {
		t.Fatalf("%d row groups, want several", len(md.RowGroups))
	}
	for _, rg := range md.RowGroups {
		for _, c := range rg.Columns {
			m := c.MetaData
			if m.Type != format.Int32 && m.Type != format.Int64 {
				continue
			}
			if !slices.Contains(m.Encoding, format.DeltaBinaryPacked) || slices.Contains(m.Encoding, format.Plain) {
				t.Errorf("column %v: encodings %v, want DELTA_BINARY_PACKED and no PLAIN", m.PathInSchema, m.Encoding)
			}
		}
	}
}

func abs(n int64) int64 { return max(n, -n) }

// decimalString renders cents as arrow-go renders a decimal(18,2).
func decimalString(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// TestRoundTripFloats checks that float and double values keep their exact bits.
func TestRoundTripFloats(t *testing.T) {
	fx := compile(t, []schema.Column{{Name: "f", Type: "float"}, {Name: "d", Type: "double"}}, schema.Options{})
	vals := []struct {
		json string
		f    float32
		d    float64
	}{
		{`{"f":0.1,"d":0.1}`, 0.1, 0.1},
		{`{"f":16777217,"d":9007199254740993}`, 16777216, 9007199254740992}, // rounded to nearest even
		{`{"f":1e-45,"d":4.9e-324}`, math.SmallestNonzeroFloat32, math.SmallestNonzeroFloat64},
		{`{"f":-3.4028234663852886e38,"d":-1.7976931348623157e308}`, -math.MaxFloat32, -math.MaxFloat64},
		{`{"f":-0.0,"d":-0}`, float32(math.Copysign(0, -1)), math.Copysign(0, -1)},
		{`{"f":"NaN","d":"-Infinity"}`, float32(math.NaN()), math.Inf(-1)},
		{`{"f":1.00000001,"d":1.0000000000000002}`, 1, 1.0000000000000002},
	}
	w := newFileWriter(t, fx.s)
	var (
		r    record.Record
		bufs record.Buffers
		row  parquet.Row
	)
	for i, v := range vals {
		fx.fill(t, &r, &bufs, int64(i), input{json: v.json})
		var err error
		if row, err = fx.s.Row(&r, row); err != nil {
			t.Fatalf("%s: %v", v.json, err)
		}
		w.write(t, row)
	}
	tbl := w.read(t)
	for i, v := range vals {
		f, d := tbl.Rows[i][0].(float32), tbl.Rows[i][1].(float64)
		if math.Float32bits(f) != math.Float32bits(v.f) && !(f != f && v.f != v.f) {
			t.Errorf("%s: float got %g (%#x), want %g (%#x)", v.json, f, math.Float32bits(f), v.f, math.Float32bits(v.f))
		}
		if math.Float64bits(d) != math.Float64bits(v.d) {
			t.Errorf("%s: double got %g, want %g", v.json, d, v.d)
		}
	}
}

// rawInputs cover the key (null, empty, binary), the value (tombstone, empty) and headers (none,
// one, three with a repeated key and a null value).
var rawInputs = []struct {
	in    record.Record
	key   any
	value any
	hdrs  []verify.Header
}{{
	in:    record.Record{Key: nil, Value: nil},
	key:   nil,
	value: nil,
	hdrs:  []verify.Header{},
}, {
	in:    record.Record{Key: []byte{}, Value: []byte{}, Headers: []record.Header{{Key: "a", Value: []byte("1")}}},
	key:   []byte{},
	value: []byte{},
	hdrs:  []verify.Header{{Key: "a", Value: []byte("1")}},
}, {
	in: record.Record{Key: []byte{0xff, 0, 'k'}, Value: []byte("\xff\xfe not json"),
		Headers: []record.Header{{Key: "a", Value: []byte("1")}, {Key: "é", Value: nil}, {Key: "a", Value: []byte{}}}},
	key:   []byte{0xff, 0, 'k'},
	value: []byte("\xff\xfe not json"),
	hdrs:  []verify.Header{{Key: "a", Value: []byte("1")}, {Key: "é", Value: nil}, {Key: "a", Value: []byte{}}},
}, {
	in:    record.Record{Key: []byte("key"), Value: []byte(`{"a":1}`), Headers: []record.Header{{Key: "", Value: nil}}},
	key:   []byte("key"),
	value: []byte(`{"a":1}`),
	hdrs:  []verify.Header{{Key: "", Value: nil}},
}}

func rawWant(i int, key, value any, hdrs []verify.Header) map[string]any {
	return map[string]any{
		"kafka_topic": "clicks", "kafka_partition": int32(3), "kafka_offset": int64(i),
		"kafka_timestamp": verify.Millis(int64(1700000000000 - i)), "kafka_key": key,
		"value": value, "headers": hdrs,
	}
}

var rawColumnSpecs = []colSpec{
	{"kafka_topic", "BYTE_ARRAY", "String", true},
	{"kafka_partition", "INT32", "Int(bitWidth=32", true},
	{"kafka_offset", "INT64", "Int(bitWidth=64", true},
	{"kafka_timestamp", "INT64", "timeUnit=milliseconds", true},
	{"kafka_key", "BYTE_ARRAY", "None", false},
	{"value", "BYTE_ARRAY", "None", false},
	{"headers", "GROUP", "List", true},
}

func rawRecord(i int, in record.Record) *record.Record {
	r := in
	r.Topic, r.Partition, r.Offset, r.Timestamp = "clicks", 3, int64(i), time.UnixMilli(int64(1700000000000-i))
	return &r
}

func TestRoundTripRaw(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newFileWriter(t, s)
	var want []map[string]any
	var row parquet.Row
	for i, c := range rawInputs {
		if row, err = s.AppendRaw(rawRecord(i, c.in), "", "", row); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		w.write(t, row)
		want = append(want, rawWant(i, c.key, c.value, c.hdrs))
	}
	tbl := w.read(t)
	checkColumns(t, tbl.Columns, rawColumnSpecs)
	checkRows(t, tbl, want)
}

func TestRoundTripDeadLetter(t *testing.T) {
	// KeyAsString must not reach dead letters: they hold records verbatim, including the key
	// that was not UTF-8.
	s, err := schema.NewDeadLetter(schema.Options{KeyAsString: true, Compression: "zstd"})
	if err != nil {
		t.Fatal(err)
	}
	w := newFileWriter(t, s)
	var want []map[string]any
	var row parquet.Row
	for i, c := range rawInputs {
		reason := fmt.Sprintf("column x (field y): bad %d \xff", i)
		if row, err = s.AppendRaw(rawRecord(i, c.in), reason, "convert", row); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		w.write(t, row)
		m := rawWant(i, c.key, c.value, c.hdrs)
		m["error"] = fmt.Sprintf("column x (field y): bad %d \uFFFD", i)
		m["stage"] = "convert"
		want = append(want, m)
	}
	tbl := w.read(t)
	checkColumns(t, tbl.Columns, append(rawColumnSpecs[:len(rawColumnSpecs):len(rawColumnSpecs)],
		colSpec{"error", "BYTE_ARRAY", "String", true}, colSpec{"stage", "BYTE_ARRAY", "String", true}))
	checkRows(t, tbl, want)
}

func TestRoundTripKeyAsString(t *testing.T) {
	opts := schema.Options{KeyAsString: true}
	keySpec := colSpec{"kafka_key", "BYTE_ARRAY", "String", false}
	keys := []struct {
		key  []byte
		want any
	}{{nil, nil}, {[]byte{}, ""}, {[]byte("ключ"), "ключ"}}
	bad := []byte{'k', 0xff}

	t.Run("raw", func(t *testing.T) {
		s, err := schema.NewRaw(opts)
		if err != nil {
			t.Fatal(err)
		}
		w := newFileWriter(t, s)
		var want []map[string]any
		var row parquet.Row
		for i, k := range keys {
			if row, err = s.AppendRaw(rawRecord(i, record.Record{Key: k.key}), "", "", row); err != nil {
				t.Fatalf("%q: %v", k.key, err)
			}
			w.write(t, row)
			want = append(want, rawWant(i, k.want, nil, []verify.Header{}))
		}
		// The schema (KeyAsString) decides how the key is stored: a key that is not UTF-8 is rejected.
		_, err = s.AppendRaw(rawRecord(9, record.Record{Key: bad}), "", "", row)
		if ce := (*schema.ConvertError)(nil); !errors.As(err, &ce) || ce.Column != "kafka_key" {
			t.Errorf("key %q: got %v, want a ConvertError on kafka_key", bad, err)
		}
		tbl := w.read(t)
		specs := append([]colSpec{}, rawColumnSpecs...)
		specs[4] = keySpec
		checkColumns(t, tbl.Columns, specs)
		checkRows(t, tbl, want)
	})

	t.Run("json", func(t *testing.T) {
		fx := compile(t, []schema.Column{{Name: "a", Type: "int32"}}, opts)
		w := newFileWriter(t, fx.s)
		var (
			r    record.Record
			bufs record.Buffers
			row  parquet.Row
			want []map[string]any
			err  error
		)
		for i, k := range keys {
			fx.fill(t, &r, &bufs, int64(i), input{json: `{"a":1}`, key: k.key})
			if row, err = fx.s.Row(&r, row); err != nil {
				t.Fatalf("%q: %v", k.key, err)
			}
			w.write(t, row)
			want = append(want, map[string]any{"a": int32(1), "kafka_topic": "clicks", "kafka_partition": int32(3),
				"kafka_offset": int64(i), "kafka_timestamp": verify.Millis(0), "kafka_key": k.want})
		}
		fx.fill(t, &r, &bufs, 9, input{json: `{"a":1}`, key: bad})
		_, err = fx.s.Row(&r, row)
		if ce := (*schema.ConvertError)(nil); !errors.As(err, &ce) || ce.Column != "kafka_key" {
			t.Errorf("key %q: got %v, want a ConvertError on kafka_key", bad, err)
		}
		tbl := w.read(t)
		checkColumns(t, tbl.Columns, []colSpec{{"a", "INT32", "Int", false}, {"kafka_topic", "BYTE_ARRAY", "String", true},
			{"kafka_partition", "INT32", "Int", true}, {"kafka_offset", "INT64", "Int", true},
			{"kafka_timestamp", "INT64", "milliseconds", true}, keySpec})
		checkRows(t, tbl, want)
	})
}
