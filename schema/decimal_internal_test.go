package schema

import (
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func mustDecimal(t testing.TB, typ string) *decimalSpec {
	t.Helper()
	d, err := parseDecimalType(typ)
	if err != nil {
		t.Fatalf("parseDecimalType(%q): %v", typ, err)
	}
	return d
}

// unscaledOf decodes a decimal column's physical value, independently of how it was encoded.
func unscaledOf(t testing.TB, d *decimalSpec, v parquet.Value) *big.Int {
	t.Helper()
	switch {
	case d.precision <= 9:
		if v.Kind() != parquet.Int32 {
			t.Fatalf("%s: got a %s value, want INT32", d, v.Kind())
		}
		return big.NewInt(int64(v.Int32()))
	case d.precision <= 18:
		if v.Kind() != parquet.Int64 {
			t.Fatalf("%s: got a %s value, want INT64", d, v.Kind())
		}
		return big.NewInt(v.Int64())
	}
	b := v.ByteArray()
	if v.Kind() != parquet.FixedLenByteArray || len(b) != d.size {
		t.Fatalf("%s: got a %s value of %d bytes, want FIXED_LEN_BYTE_ARRAY(%d)", d, v.Kind(), len(b), d.size)
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 { // two's complement
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// text renders an unscaled value the way big.Rat.FloatString does: the canonical form.
func text(n *big.Int, scale int) string {
	return new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
}

func TestParseDecimalType(t *testing.T) {
	cases := []struct {
		typ              string
		precision, scale int
		size             int
		want             string // error substring; "" for success
	}{
		{"decimal(10,2)", 10, 2, 0, ""},
		{" Decimal ( 10 , 2 ) ", 10, 2, 0, ""},
		{"DECIMAL(1,0)", 1, 0, 0, ""},
		{"decimal(9,9)", 9, 9, 0, ""},
		{"decimal(18,4)", 18, 4, 0, ""},
		{"decimal(19,0)", 19, 0, 9, ""},
		{"decimal(20,2)", 20, 2, 9, ""},
		{"decimal(21,2)", 21, 2, 9, ""},
		{"decimal(22,2)", 22, 2, 10, ""},
		{"decimal(38,10)", 38, 10, 16, ""},
		{"decimal(38,38)", 38, 38, 16, ""},
		{"decimal(0,0)", 0, 0, 0, "precision 0 is out of range"},
		{"decimal(39,2)", 0, 0, 0, "precision 39 is out of range"},
		{"decimal(5,6)", 0, 0, 0, "scale 6 is out of range"},
		{"decimal(5,-1)", 0, 0, 0, "scale -1 is out of range"},
		{"decimal(10)", 0, 0, 0, "is not a decimal type"},
		{"decimal", 0, 0, 0, "is not a decimal type"},
		{"decimal()", 0, 0, 0, "is not a decimal type"},
		{"decimal(a,b)", 0, 0, 0, "is not a decimal type"},
		{"decimal(10,2", 0, 0, 0, "is not a decimal type"},
		{"decimal(10,2)x", 0, 0, 0, "is not a decimal type"},
		{"decimal(10,2,1)", 0, 0, 0, "is not a decimal type"},
		{"decimal(1 0,2)", 0, 0, 0, "is not a decimal type"},
		{"decimal[10,2]", 0, 0, 0, "is not a decimal type"},
	}
	for _, c := range cases {
		d, err := parseDecimalType(c.typ)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "e.g. decimal(10,2)") {
				t.Errorf("%q: got %v, want an error with %q and the syntax", c.typ, err, c.want)
			}
			continue
		}
		if err != nil || d.precision != c.precision || d.scale != c.scale || d.size != c.size {
			t.Errorf("%q: got %+v, %v; want precision %d scale %d size %d", c.typ, d, err, c.precision, c.scale, c.size)
		}
	}
	// The byte length is the smallest that holds every P-digit value, for every P.
	for p := 19; p <= MaxDecimalPrecision; p++ {
		max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
		max.Sub(max, big.NewInt(1))
		n := decimalBytes(p)
		if max.BitLen()+1 > 8*n || max.BitLen()+1 <= 8*(n-1) {
			t.Errorf("decimalBytes(%d) = %d for a %d-bit magnitude", p, n, max.BitLen())
		}
	}
}

func TestParseDecimal(t *testing.T) {
	const max38 = "99999999999999999999999999999999999999"
	cases := []struct {
		typ  string
		kind field.Kind
		in   string
		want string // the value rendered with the column's scale, or an error substring
		err  bool
	}{
		{"decimal(5,2)", field.Number, "12.34", "12.34", false},
		{"decimal(5,2)", field.String, "12.34", "12.34", false},
		{"decimal(5,2)", field.Number, "-0.5", "-0.50", false},
		{"decimal(5,2)", field.Number, "0", "0.00", false},
		{"decimal(5,2)", field.Number, "-0", "0.00", false},
		{"decimal(5,2)", field.String, "-0.000", "0.00", false},
		{"decimal(5,2)", field.String, "0e999999999999999999999", "0.00", false},
		{"decimal(5,2)", field.String, "0.000e-5", "0.00", false},
		{"decimal(5,2)", field.String, "0.0000000000000000000000000000000000000000001e40", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.String, "0.0000000000000000000000000000000000000000001e45", "100.00", false},
		{"decimal(5,2)", field.Number, "1e2", "100.00", false},
		{"decimal(5,2)", field.Number, "1E+2", "100.00", false},
		{"decimal(5,2)", field.Number, "125e-2", "1.25", false},
		{"decimal(5,2)", field.Number, "1.2300", "1.23", false}, // trailing zeros beyond the scale are exact
		{"decimal(5,2)", field.Number, "1.2300e1", "12.30", false},
		{"decimal(5,2)", field.Number, "12300e-4", "1.23", false},
		{"decimal(5,2)", field.String, "+7", "7.00", false},
		{"decimal(5,2)", field.String, "007.10", "7.10", false},
		{"decimal(5,2)", field.String, "-000", "0.00", false},
		{"decimal(5,2)", field.String, ".5", "0.50", false},
		{"decimal(5,2)", field.String, "5.", "5.00", false},
		{"decimal(5,2)", field.Number, "999.99", "999.99", false},
		{"decimal(5,2)", field.Number, "-999.99", "-999.99", false},
		{"decimal(5,2)", field.Number, "0.01", "0.01", false},
		{"decimal(5,2)", field.Number, "1000", "does not fit decimal(5,2): more than 3 digits before the point", true},
		{"decimal(5,2)", field.Number, "-1000.00", "more than 3 digits", true},
		{"decimal(5,2)", field.Number, "1e3", "more than 3 digits", true},
		{"decimal(5,2)", field.String, "1e99999999999999999999999", "more than 3 digits", true},
		{"decimal(5,2)", field.Number, "999.995", "needs more than 2 fractional digits; decimal(5,2) does not round", true},
		{"decimal(5,2)", field.Number, "12.345", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.Number, "0.001", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.Number, "1e-3", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.Number, "-1.0000001", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.String, "1e-99999999999999999999999", "needs more than 2 fractional digits", true},
		{"decimal(5,2)", field.String, "", `want a decimal number, got string ""`, true},
		{"decimal(5,2)", field.String, "NaN", `want a decimal number, got string "NaN"`, true},
		{"decimal(5,2)", field.String, "Infinity", "want a decimal number", true},
		{"decimal(5,2)", field.String, "-", "want a decimal number", true},
		{"decimal(5,2)", field.String, "+", "want a decimal number", true},
		{"decimal(5,2)", field.String, ".", "want a decimal number", true},
		{"decimal(5,2)", field.String, "-.e1", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1e", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1e+", "want a decimal number", true},
		{"decimal(5,2)", field.String, "e5", "want a decimal number", true},
		{"decimal(5,2)", field.String, "0x10", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1_000", "want a decimal number", true},
		{"decimal(5,2)", field.String, " 1", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1 ", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1,5", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1.2.3", "want a decimal number", true},
		{"decimal(5,2)", field.String, "--1", "want a decimal number", true},
		{"decimal(5,2)", field.String, "1e2.5", "want a decimal number", true},
		{"decimal(5,2)", field.String, "١", "want a decimal number", true}, // not an ASCII digit
		{"decimal(5,2)", field.Bool, "true", `want a decimal number, got bool "true"`, true},
		{"decimal(5,2)", field.Object, `{"v":1}`, "want a decimal number, got object", true},
		{"decimal(5,2)", field.Array, `[1]`, "want a decimal number, got array", true},
		{"decimal(1,0)", field.Number, "9", "9", false},
		{"decimal(1,0)", field.Number, "-9", "-9", false},
		{"decimal(1,0)", field.Number, "10", "more than 1 digits", true},
		{"decimal(1,0)", field.Number, "0.5", "needs more than 0 fractional digits", true},
		{"decimal(9,0)", field.Number, "999999999", "999999999", false},
		{"decimal(9,0)", field.Number, "-999999999", "-999999999", false},
		{"decimal(9,0)", field.Number, "1000000000", "more than 9 digits", true},
		{"decimal(18,4)", field.Number, "99999999999999.9999", "99999999999999.9999", false},
		{"decimal(18,4)", field.Number, "-99999999999999.9999", "-99999999999999.9999", false},
		{"decimal(18,4)", field.Number, "100000000000000", "more than 14 digits", true},
		{"decimal(18,4)", field.Number, "0.00005", "needs more than 4 fractional digits", true},
		{"decimal(18,0)", field.Number, "999999999999999999", "999999999999999999", false},
		{"decimal(19,0)", field.Number, "-9999999999999999999", "-9999999999999999999", false},
		{"decimal(38,10)", field.String, "9999999999999999999999999999.9999999999", "9999999999999999999999999999.9999999999", false},
		{"decimal(38,10)", field.String, "-9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", false},
		{"decimal(38,10)", field.Number, "99999999999999999999999999999", "more than 28 digits", true},
		{"decimal(38,10)", field.Number, "-0.00000000001", "needs more than 10 fractional digits", true},
		{"decimal(38,10)", field.Number, "-1.5e-10", "needs more than 10 fractional digits", true},
		{"decimal(38,10)", field.Number, "-1e-10", "-0.0000000001", false},
		{"decimal(38,0)", field.String, max38, max38, false},
		{"decimal(38,0)", field.String, "-" + max38, "-" + max38, false},
		{"decimal(38,0)", field.String, "1" + strings.Repeat("0", 38), "more than 38 digits", true},
		{"decimal(38,0)", field.Number, "1e37", "1" + strings.Repeat("0", 37), false},
		{"decimal(38,0)", field.Number, "1e38", "more than 38 digits", true},
		{"decimal(38,38)", field.String, "0." + max38, "0." + max38, false},
		{"decimal(38,38)", field.String, "-0." + max38 + "000", "-0." + max38, false},
		{"decimal(38,38)", field.Number, "1", "more than 0 digits", true},
	}
	for _, c := range cases {
		d := mustDecimal(t, c.typ)
		fv := field.Value{Kind: c.kind, Bytes: []byte(c.in)}
		v, err := d.value(fv)
		if c.err {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s %s %q: got %v, want an error with %q", c.typ, c.kind, c.in, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s %q: %v", c.typ, c.kind, c.in, err)
			continue
		}
		if got := text(unscaledOf(t, d, v), d.scale); got != c.want {
			t.Errorf("%s %s %q: got %s, want %s", c.typ, c.kind, c.in, got, c.want)
		}
	}
}

// decimalSyntax is the grammar parse accepts, written independently of it.
var decimalSyntax = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?([0-9]+))?$`)

// FuzzDecimal checks the decimal parser against math/big on arbitrary text and column types:
//   - it never panics;
//   - a value it accepts is written in the column's physical type, and re-rendered it is the
//     canonical form of the input (big.Rat's exact value, with the column's scale), which
//     parses back to the same value;
//   - it rejects exactly the text that is no decimal number, needs rounding or overflows: text in
//     the grammar whose exact value fits is accepted.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"12.34", "-0.5", "1e2", "+007.10", ".5", "5.", "1.2300", "999.995", "1e-3", "NaN", "",
		"0e99999999999", "-9999999999999999999999999999.9999999999", "1" + strings.Repeat("0", 38), "1_0", "0x1p4"} {
		f.Add(s, uint8(5), uint8(2))
		f.Add(s, uint8(38), uint8(10))
		f.Add(s, uint8(18), uint8(4))
	}
	f.Fuzz(func(t *testing.T, s string, p, sc uint8) {
		prec := 1 + int(p)%MaxDecimalPrecision
		scale := int(sc) % (prec + 1)
		d := &decimalSpec{precision: prec, scale: scale}
		if prec > 18 {
			d.size = decimalBytes(prec)
		}
		v, err := d.value(field.Value{Kind: field.String, Bytes: []byte(s)})

		m := decimalSyntax.FindStringSubmatch(s)
		if m == nil {
			if err == nil {
				t.Fatalf("%s accepted %q, which is not in the grammar", d, s)
			}
			return
		}
		if len(m[3]) > 6 {
			return // big.Rat would build 10^exponent; the table tests cover huge exponents
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat rejects %q", s)
		}
		pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow))
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(prec)), nil)
		fits := scaled.IsInt() && new(big.Int).Abs(scaled.Num()).Cmp(limit) < 0
		if !fits {
			if err == nil {
				t.Fatalf("%s accepted %q (%s), which does not fit exactly", d, s, r.FloatString(scale+2))
			}
			return
		}
		if err != nil {
			t.Fatalf("%s rejected %q, whose value fits exactly: %v", d, s, err)
		}
		got := text(unscaledOf(t, d, v), scale)
		if want := r.FloatString(scale); got != want {
			t.Fatalf("%s %q: rendered %s, want %s", d, s, got, want)
		}
		again, err := d.value(field.Value{Kind: field.Number, Bytes: []byte(got)})
		if err != nil || !parquet.Equal(again, v) {
			t.Fatalf("%s: re-parsing %s gave %v, %v; want %v", d, got, again, err, v)
		}
	})
}

// TestSignedOrder pins the ordering used for FIXED_LEN_BYTE_ARRAY statistics and column indexes.
func TestSignedOrder(t *testing.T) {
	d := mustDecimal(t, "decimal(20,2)")
	vals := []string{"-99999999999999999.99", "-1", "-0.01", "0", "0.01", "1", "99999999999999999.99"}
	for i := range vals {
		for j := range vals {
			a, _ := d.value(field.Value{Kind: field.Number, Bytes: []byte(vals[i])})
			b, _ := d.value(field.Value{Kind: field.Number, Bytes: []byte(vals[j])})
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := (signedFixed{}).Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", vals[i], vals[j], got, want)
			}
		}
	}
}
