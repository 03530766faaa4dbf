package schema_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

var decimalColumns = []schema.Column{
	{Name: "d5_2", Type: "decimal(5,2)"},
	{Name: "d18_4", Type: "decimal(18, 4)", Required: true},
	{Name: "d38_10", Type: " decimal( 38 , 10 ) "},
	{Name: "d_def", Type: "decimal(10,2)", Required: true, Default: "-12.3"},
	{Name: "d_ydef", Type: "decimal(38,10)", Default: 0.1}, // YAML: default: 0.1
	{Name: "d_idef", Type: "decimal(19,0)", Default: int64(-9223372036854775808)},
}

// decimalFooter is how each decimal column must be declared: physical type, its length, and the
// DECIMAL logical type as well as the legacy converted type with scale and precision, which
// parquet-mr (and so Hive and older Spark) reads.
var decimalFooter = []struct {
	name                   string
	phys                   string
	length                 int
	precision, scale       int
	required               bool
	logical                string // arrow-go's rendering
	parquetGoSchemaSnippet string
}{
	{"d5_2", "INT32", 0, 5, 2, false, "Decimal(precision=5, scale=2)", "optional int32 d5_2 (DECIMAL(5,2))"},
	{"d18_4", "INT64", 0, 18, 4, true, "Decimal(precision=18, scale=4)", "required int64 d18_4 (DECIMAL(18,4))"},
	{"d38_10", "FIXED_LEN_BYTE_ARRAY", 16, 38, 10, false, "Decimal(precision=38, scale=10)", "optional fixed_len_byte_array(16) d38_10 (DECIMAL(38,10))"},
	{"d_def", "INT64", 0, 10, 2, true, "Decimal(precision=10, scale=2)", "required int64 d_def (DECIMAL(10,2))"},
	{"d_ydef", "FIXED_LEN_BYTE_ARRAY", 16, 38, 10, false, "Decimal(precision=38, scale=10)", "optional fixed_len_byte_array(16) d_ydef (DECIMAL(38,10))"},
	{"d_idef", "FIXED_LEN_BYTE_ARRAY", 9, 19, 0, false, "Decimal(precision=19, scale=0)", "optional fixed_len_byte_array(9) d_idef (DECIMAL(19,0))"},
}

// TestRoundTripDecimal writes decimals through the writer package and reads them back exactly
// with arrow-go (verify) and with parquet-go, and checks the footer both readers see.
func TestRoundTripDecimal(t *testing.T) {
	const (
		max38_10 = "9999999999999999999999999999.9999999999"
		max19    = "9999999999999999999"
	)
	defs := map[string]any{"d_def": verify.Decimal("-12.30"), "d_ydef": verify.Decimal("0.1000000000"),
		"d_idef": verify.Decimal("-9223372036854775808")}
	rows := []struct {
		json string
		want map[string]any
	}{
		{`{"d5_2":12.34,"d18_4":"12.34","d38_10":-0.5,"d_def":1e2,"d_ydef":"1.2300","d_idef":` + max19 + `}`,
			map[string]any{"d5_2": verify.Decimal("12.34"), "d18_4": verify.Decimal("12.3400"), "d38_10": verify.Decimal("-0.5000000000"),
				"d_def": verify.Decimal("100.00"), "d_ydef": verify.Decimal("1.2300000000"), "d_idef": verify.Decimal(max19)}},
		{`{"d5_2":999.99,"d18_4":99999999999999.9999,"d38_10":"` + max38_10 + `","d_def":"99999999.99","d_ydef":"-` + max38_10 + `","d_idef":"-` + max19 + `"}`,
			map[string]any{"d5_2": verify.Decimal("999.99"), "d18_4": verify.Decimal("99999999999999.9999"), "d38_10": verify.Decimal(max38_10),
				"d_def": verify.Decimal("99999999.99"), "d_ydef": verify.Decimal("-" + max38_10), "d_idef": verify.Decimal("-" + max19)}},
		{`{"d5_2":-999.99,"d18_4":-99999999999999.9999,"d38_10":"-` + max38_10 + `","d_def":-99999999.99,"d_ydef":0,"d_idef":0}`,
			map[string]any{"d5_2": verify.Decimal("-999.99"), "d18_4": verify.Decimal("-99999999999999.9999"), "d38_10": verify.Decimal("-" + max38_10),
				"d_def": verify.Decimal("-99999999.99"), "d_ydef": verify.Decimal("0.0000000000"), "d_idef": verify.Decimal("0")}},
		{`{"d5_2":"-0.01","d18_4":"+0000.0001","d38_10":1E-10,"d_def":"-0","d_ydef":"12345678901234567890123456789e-10"}`,
			map[string]any{"d5_2": verify.Decimal("-0.01"), "d18_4": verify.Decimal("0.0001"), "d38_10": verify.Decimal("0.0000000001"),
				"d_def": verify.Decimal("0.00"), "d_ydef": verify.Decimal("1234567890123456789.0123456789"), "d_idef": defs["d_idef"]}},
		// Missing and null: optional columns are null, defaulted ones take the default.
		{`{"d18_4":0,"d38_10":null,"d_def":null}`,
			map[string]any{"d5_2": nil, "d18_4": verify.Decimal("0.0000"), "d38_10": nil, "d_def": defs["d_def"], "d_ydef": defs["d_ydef"], "d_idef": defs["d_idef"]}},
	}
	fx := compile(t, decimalColumns, schema.Options{})
	w := newFileWriter(t, fx.s)
	var (
		r    record.Record
		bufs record.Buffers
		row  parquet.Row
		want []map[string]any
		err  error
	)
	// Every row many times over, so that the columns have several pages and row groups, with
	// negative and positive values in each: their statistics are checked below.
	for i := range 40 {
		c := rows[i%len(rows)]
		fx.fill(t, &r, &bufs, int64(i), input{json: c.json})
		if row, err = fx.s.Row(&r, row); err != nil {
			t.Fatalf("%s: Row: %v", c.json, err)
		}
		w.write(t, row)
		exp := map[string]any{"kafka_topic": "clicks", "kafka_partition": int32(3), "kafka_offset": int64(i),
			"kafka_timestamp": verify.Millis(0), "kafka_key": nil}
		for k, v := range c.want {
			exp[k] = v
		}
		want = append(want, exp)
	}
	files, err := w.p.Stage(context.Background())
	if err != nil || len(files) != 1 {
		t.Fatalf("Stage: %v, %d files", err, len(files))
	}
	path := w.p.StagingPath(files[0])

	// arrow-go: values, and the footer as it reads it.
	tbl, err := verify.ReadPath(path)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, tbl, want)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	md := pf.MetaData()
	if md.NumRowGroups() < 2 {
		t.Errorf("%d row groups, want several", md.NumRowGroups())
	}
	for i, f := range decimalFooter {
		c := md.Schema.Column(i)
		info := tbl.Columns[i]
		if c.Name() != f.name || c.PhysicalType().String() != f.phys || info.LogicalType != f.logical || info.Required != f.required ||
			c.ConvertedType().String() != "DECIMAL" || (f.length > 0 && c.TypeLength() != f.length) {
			t.Errorf("arrow-go sees column %d as %s %s(%d) %s converted %s required %v, want %+v",
				i, c.Name(), c.PhysicalType(), c.TypeLength(), info.LogicalType, c.ConvertedType(), info.Required, f)
		}
		if dm := c.SchemaNode().(*pqschema.PrimitiveNode).DecimalMetadata(); !dm.IsSet || dm.Scale != int32(f.scale) || dm.Precision != int32(f.precision) {
			t.Errorf("arrow-go decimal metadata of %s: %+v, want scale %d precision %d", f.name, dm, f.scale, f.precision)
		}
	}

	// parquet-go: the footer's schema elements carry both annotations, and the values read back.
	pq, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range decimalFooter {
		e := pq.Metadata().Schema[1+i]
		dt, ok := e.LogicalType.Value.(*format.DecimalType)
		if e.Name != f.name || !e.ConvertedType.Valid || e.ConvertedType.V != deprecated.Decimal ||
			!e.Scale.Valid || e.Scale.V != int32(f.scale) || !e.Precision.Valid || e.Precision.V != int32(f.precision) ||
			!ok || dt.Scale != int32(f.scale) || dt.Precision != int32(f.precision) ||
			(f.length > 0 && e.TypeLength.V != int32(f.length)) {
			t.Errorf("parquet-go footer element %d: %+v, want %+v", i, e, f)
		}
		if !strings.Contains(pq.Schema().String(), f.parquetGoSchemaSnippet) {
			t.Errorf("parquet-go schema %s has no %q", pq.Schema(), f.parquetGoSchemaSnippet)
		}
	}
	checkParquetGoValues(t, pq, want)
	checkDecimalStatistics(t, pf, tbl)
}

// checkParquetGoValues decodes every decimal cell that parquet-go reads back from its physical
// value and compares it with what arrow-go had to read.
func checkParquetGoValues(t *testing.T, pq *parquet.File, want []map[string]any) {
	t.Helper()
	rr := parquet.NewReader(pq)
	defer rr.Close()
	rows := make([]parquet.Row, len(want))
	n, err := rr.ReadRows(rows)
	if n != len(want) || (err != nil && n != len(want)) {
		t.Fatalf("parquet-go read %d rows: %v", n, err)
	}
	for i, row := range rows[:n] {
		for c, f := range decimalFooter {
			v := row[c]
			var got any
			if !v.IsNull() {
				var u *big.Int
				switch v.Kind() {
				case parquet.Int32:
					u = big.NewInt(int64(v.Int32()))
				case parquet.Int64:
					u = big.NewInt(v.Int64())
				default:
					u = signedBytes(v.ByteArray())
				}
				got = decimalOf(u, f.scale)
			}
			if got != want[i][f.name] {
				t.Errorf("parquet-go row %d %s: got %v, want %v", i, f.name, got, want[i][f.name])
			}
		}
	}
}

// checkDecimalStatistics checks each row group's min and max of every decimal column against the
// values it holds: FIXED_LEN_BYTE_ARRAY decimals must order as signed numbers, or readers that
// prune row groups by statistics (Spark, parquet-mr) skip rows that match.
func checkDecimalStatistics(t *testing.T, pf *file.Reader, tbl *verify.Table) {
	t.Helper()
	md := pf.MetaData()
	first, checked := 0, 0
	defer func() {
		if checked < md.NumRowGroups() {
			t.Errorf("checked the bounds of only %d column chunks", checked)
		}
	}()
	for rg := range md.NumRowGroups() {
		rgm := md.RowGroup(rg)
		rows := tbl.Rows[first : first+int(rgm.NumRows())]
		first += int(rgm.NumRows())
		for c, f := range decimalFooter {
			var lo, hi *big.Rat
			for _, row := range rows {
				if row[c] == nil {
					continue
				}
				x, _ := new(big.Rat).SetString(string(row[c].(verify.Decimal)))
				if lo == nil || x.Cmp(lo) < 0 {
					lo = x
				}
				if hi == nil || x.Cmp(hi) > 0 {
					hi = x
				}
			}
			cc, err := rgm.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			st, err := cc.Statistics()
			if err != nil || st == nil {
				t.Fatalf("row group %d %s: statistics %v, %v", rg, f.name, st, err)
			}
			if lo == nil { // nulls only
				if st.HasMinMax() {
					t.Errorf("row group %d %s: nulls only, but statistics have bounds", rg, f.name)
				}
				continue
			}
			checked++
			var smin, smax *big.Int
			switch s := st.(type) {
			case *metadata.Int32Statistics:
				smin, smax = big.NewInt(int64(s.Min())), big.NewInt(int64(s.Max()))
			case *metadata.Int64Statistics:
				smin, smax = big.NewInt(s.Min()), big.NewInt(s.Max())
			case *metadata.FixedLenByteArrayStatistics:
				smin, smax = signedBytes(s.Min()), signedBytes(s.Max())
			default:
				t.Fatalf("%s: statistics of type %T", f.name, st)
			}
			if gmin, gmax := ratOf(smin, f.scale), ratOf(smax, f.scale); gmin.Cmp(lo) != 0 || gmax.Cmp(hi) != 0 {
				t.Errorf("row group %d %s: statistics min %s max %s, want %s and %s", rg, f.name,
					gmin.FloatString(f.scale), gmax.FloatString(f.scale), lo.FloatString(f.scale), hi.FloatString(f.scale))
			}
			if f.length > 0 {
				checkColumnIndex(t, pf, rg, c, f.name, smin, smax)
			}
		}
	}
}

// checkColumnIndex checks a FIXED_LEN_BYTE_ARRAY decimal's column index: one entry per page, page
// bounds in signed order that span exactly the chunk's statistics, and a boundary order that holds.
func checkColumnIndex(t *testing.T, pf *file.Reader, rg, col int, name string, smin, smax *big.Int) {
	t.Helper()
	rgi, err := pf.GetPageIndexReader().RowGroup(rg)
	if err != nil || rgi == nil {
		t.Fatalf("row group %d: page index: %v", rg, err)
	}
	ci, err := rgi.GetColumnIndex(col)
	if err != nil || ci == nil {
		t.Fatalf("row group %d %s: column index: %v", rg, name, err)
	}
	nulls, mins, maxs := ci.GetNullPages(), ci.GetMinValues(), ci.GetMaxValues()
	if len(mins) != len(nulls) || len(maxs) != len(nulls) {
		t.Fatalf("row group %d %s: column index has %d pages but %d mins and %d maxes", rg, name, len(nulls), len(mins), len(maxs))
	}
	var lo, hi, prevMin, prevMax *big.Int
	ascending, descending := true, true
	for i := range nulls {
		if nulls[i] {
			continue
		}
		pmin, pmax := signedBytes(mins[i]), signedBytes(maxs[i])
		if pmin.Cmp(pmax) > 0 {
			t.Errorf("row group %d %s page %d: min %s above max %s", rg, name, i, pmin, pmax)
		}
		if lo == nil || pmin.Cmp(lo) < 0 {
			lo = pmin
		}
		if hi == nil || pmax.Cmp(hi) > 0 {
			hi = pmax
		}
		if prevMin != nil {
			ascending = ascending && pmin.Cmp(prevMin) >= 0 && pmax.Cmp(prevMax) >= 0
			descending = descending && pmin.Cmp(prevMin) <= 0 && pmax.Cmp(prevMax) <= 0
		}
		prevMin, prevMax = pmin, pmax
	}
	if lo == nil || lo.Cmp(smin) != 0 || hi.Cmp(smax) != 0 {
		t.Errorf("row group %d %s: column index spans %v..%v, statistics %v..%v", rg, name, lo, hi, smin, smax)
	}
	switch o := ci.GetBoundaryOrder(); {
	case o == metadata.Ascending && !ascending, o == metadata.Descending && !descending:
		t.Errorf("row group %d %s: boundary order %v does not hold", rg, name, o)
	}
}

func signedBytes(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

func ratOf(unscaled *big.Int, scale int) *big.Rat {
	return new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
}

func decimalOf(unscaled *big.Int, scale int) verify.Decimal {
	return verify.Decimal(ratOf(unscaled, scale).FloatString(scale))
}

// TestDecimalConvertErrors: a value a decimal column cannot hold exactly is a *ConvertError naming
// the column, so the record becomes a dead letter; nothing is rounded.
func TestDecimalConvertErrors(t *testing.T) {
	cases := []struct {
		typ, json, want string
	}{
		{"decimal(5,2)", `12.345`, `"12.345" needs more than 2 fractional digits; decimal(5,2) does not round`},
		{"decimal(5,2)", `"0.001"`, "needs more than 2 fractional digits"},
		{"decimal(5,2)", `1000`, `"1000" does not fit decimal(5,2): more than 3 digits before the point`},
		{"decimal(5,2)", `-1e3`, "does not fit decimal(5,2)"},
		{"decimal(38,10)", `"1e28"`, "does not fit decimal(38,10): more than 28 digits"},
		{"decimal(18,4)", `true`, `want a decimal number, got bool "true"`},
		{"decimal(18,4)", `{"v":1}`, "want a decimal number, got object"},
		{"decimal(18,4)", `[1]`, "want a decimal number, got array"},
		{"decimal(18,4)", `"NaN"`, `want a decimal number, got string "NaN"`},
		{"decimal(18,4)", `""`, `want a decimal number, got string ""`},
		{"decimal(18,4)", `" 1"`, "want a decimal number"},
	}
	for _, c := range cases {
		fx := compile(t, []schema.Column{{Name: "ok", Type: "decimal(3,1)"}, {Name: "price", Type: c.typ, Field: "p"}}, schema.Options{})
		var (
			r    record.Record
			bufs record.Buffers
		)
		fx.fill(t, &r, &bufs, 0, input{json: `{"ok":1.5,"p":` + c.json + `}`})
		_, err := fx.s.Row(&r, nil)
		var ce *schema.ConvertError
		if !errors.As(err, &ce) || ce.Column != "price" || ce.Field != "p" || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want a ConvertError on column price with %q", c.typ, c.json, err, c.want)
		}
	}
	// A required decimal without default rejects a missing or null field like any column.
	fx := compile(t, []schema.Column{{Name: "price", Type: "decimal(5,2)", Required: true}}, schema.Options{})
	var (
		r    record.Record
		bufs record.Buffers
	)
	fx.fill(t, &r, &bufs, 0, input{json: `{"price":null}`})
	if _, err := fx.s.Row(&r, nil); err == nil || !strings.Contains(err.Error(), "required, but the field is null") {
		t.Errorf("null in a required decimal: got %v", err)
	}
}

func TestDecimalConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		col  schema.Column
		want []string
	}{
		{"precision 0", schema.Column{Name: "a", Type: "decimal(0,0)"}, []string{`schema[0].type: "decimal(0,0)": precision 0 is out of range`, "e.g. decimal(10,2)"}},
		{"precision 39", schema.Column{Name: "a", Type: "decimal(39,2)"}, []string{"schema[0].type:", "precision 39", "1 <= P <= 38"}},
		{"scale above precision", schema.Column{Name: "a", Type: "decimal(5,6)"}, []string{"schema[0].type:", "scale 6", "0 <= S <= P"}},
		{"no scale", schema.Column{Name: "a", Type: "decimal(10)"}, []string{`schema[0].type: "decimal(10)" is not a decimal type: write decimal(P,S)`}},
		{"bare", schema.Column{Name: "a", Type: "decimal"}, []string{"schema[0].type:", "write decimal(P,S)"}},
		{"garbage", schema.Column{Name: "a", Type: "decimal(ten,2)"}, []string{"schema[0].type:", "write decimal(P,S)"}},
		{"format", schema.Column{Name: "a", Type: "decimal(10,2)", Format: "base64"}, []string{"schema[0].format: type decimal(10,2) takes no format"}},
		{"inexact default", schema.Column{Name: "a", Type: "decimal(10,2)", Default: "12.345"}, []string{"schema[0].default: 12.345 does not fit type decimal(10,2)", "does not round"}},
		{"overflowing default", schema.Column{Name: "a", Type: "decimal(3,2)", Default: 10}, []string{"schema[0].default: 10 does not fit", "more than 1 digits"}},
		{"default not a number", schema.Column{Name: "a", Type: "decimal(3,2)", Default: "abc"}, []string{"schema[0].default:", "want a decimal number"}},
		{"boolean default", schema.Column{Name: "a", Type: "decimal(3,2)", Default: true}, []string{"schema[0].default:", "want a decimal number, got bool"}},
		{"float default past float64", schema.Column{Name: "a", Type: "decimal(38,20)", Default: 0.12345678901234568},
			[]string{"schema[0].default: 0.12345678901234568 has more digits than YAML keeps", `quote it`}},
		{"unknown type lists decimal", schema.Column{Name: "a", Type: "numeric(10,2)"}, []string{`unknown type "numeric(10,2)"`, "decimal(P,S)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := schema.NewJSON([]schema.Column{c.col}, record.NewLayout(true), schema.Options{})
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

// TestDecimalColumnIndexPages writes FIXED_LEN_BYTE_ARRAY decimals into many small pages, sorted
// up, sorted down, and mixed, with a page of nulls, and checks the column index: signed page
// bounds, one entry per page, and the boundary order that readers binary-search with.
func TestDecimalColumnIndexPages(t *testing.T) {
	fx := compile(t, []schema.Column{{Name: "a", Type: "decimal(20,2)"}}, schema.Options{})
	cases := []struct {
		name  string
		value func(i int) string // "" is null
		order metadata.BoundaryOrder
	}{
		{"ascending", func(i int) string { return fmt.Sprintf("%d.%02d", i-300, i%100) }, metadata.Ascending},
		{"descending", func(i int) string { return fmt.Sprintf("%d", 300-i) }, metadata.Descending},
		{"mixed with nulls", func(i int) string {
			if i >= 100 && i < 200 {
				return ""
			}
			return fmt.Sprintf("%d", (i%7-3)*(i%5))
		}, metadata.Unordered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := parquet.NewWriter(&buf, fx.s.Parquet(), parquet.PageBufferSize(64))
			var (
				r      record.Record
				bufs   record.Buffers
				row    parquet.Row
				err    error
				lo, hi *big.Int
			)
			for i := range 600 {
				js := `{}`
				if v := c.value(i); v != "" {
					js = `{"a":"` + v + `"}`
					x, _ := new(big.Rat).SetString(v)
					u := new(big.Rat).Mul(x, big.NewRat(100, 1)).Num()
					if lo == nil || u.Cmp(lo) < 0 {
						lo = u
					}
					if hi == nil || u.Cmp(hi) > 0 {
						hi = u
					}
				}
				fx.fill(t, &r, &bufs, int64(i), input{json: js})
				if row, err = fx.s.Row(&r, row); err != nil {
					t.Fatal(err)
				}
				if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			checkColumnIndex(t, pf, 0, 0, "a", lo, hi)
			rgi, _ := pf.GetPageIndexReader().RowGroup(0)
			ci, _ := rgi.GetColumnIndex(0)
			if n := len(ci.GetNullPages()); n < 10 {
				t.Errorf("%d pages, want many", n)
			}
			if got := ci.GetBoundaryOrder(); got != c.order {
				t.Errorf("boundary order %v, want %v", got, c.order)
			}
		})
	}
}
