package field

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
)

func mustTimeFormat(t *testing.T, name string, loc *time.Location) TimeFormat {
	t.Helper()
	f, err := ParseTimeFormat(name, loc)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseTimeFormat(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"", "rfc3339"},
		{"RFC3339", "rfc3339"},
		{"epoch_seconds", "epoch_seconds"},
		{"unix", "epoch_seconds"},
		{"epoch_s", "epoch_seconds"},
		{"Epoch_Millis", "epoch_millis"},
		{"unix_ms", "epoch_millis"},
		{"epoch_us", "epoch_micros"},
		{"unix_ns", "epoch_nanos"},
		{"2006-01-02 15:04:05", "2006-01-02 15:04:05"},
		{"02/01/06", "02/01/06"},
	}
	for _, tt := range tests {
		f, err := ParseTimeFormat(tt.name, nil)
		if err != nil || f.String() != tt.want {
			t.Errorf("ParseTimeFormat(%q) = %v, %v, want %s", tt.name, f, err, tt.want)
		}
	}
	for _, name := range []string{"epoch_millisecond", "iso8601", "15:04"} {
		if _, err := ParseTimeFormat(name, nil); err == nil || !strings.Contains(err.Error(), TimeFormatNames) {
			t.Errorf("ParseTimeFormat(%q) = %v, want an error listing the formats", name, err)
		}
	}
}

func TestTimeFormatParse(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	unixNano := func(ns int64) time.Time { return time.Unix(0, ns).UTC() }
	tests := []struct {
		format string
		v      Value
		want   time.Time
	}{
		{"rfc3339", str("2024-05-17T09:41:27Z"), time.Date(2024, 5, 17, 9, 41, 27, 0, time.UTC)},
		{"rfc3339", str("2024-05-17T09:41:27.318123456Z"), time.Date(2024, 5, 17, 9, 41, 27, 318123456, time.UTC)},
		{"rfc3339", str("2024-05-17T11:41:27.5+02:00"), time.Date(2024, 5, 17, 9, 41, 27, 5e8, time.UTC)},
		{"2006-01-02 15:04:05", str("2024-05-17 10:41:27"), time.Date(2024, 5, 17, 9, 41, 27, 0, time.UTC)},
		{"02/01/2006 15:04 -0700", str("17/05/2024 09:41 +0000"), time.Date(2024, 5, 17, 9, 41, 0, 0, time.UTC)},
		{"epoch_seconds", num("1715938887"), time.Unix(1715938887, 0)},
		{"epoch_seconds", str("1715938887"), time.Unix(1715938887, 0)},
		{"epoch_seconds", num("-1"), time.Unix(-1, 0)},
		{"epoch_seconds", num("0"), time.Unix(0, 0)},
		{"epoch_seconds", num("1715938887.318"), time.Unix(1715938887, 318e6)},
		{"epoch_seconds", num("1700000000.123"), time.Unix(1700000000, 123e6)}, // float64 gives .122999808
		{"epoch_seconds", str("1700000000.000001"), time.Unix(1700000000, 1000)},
		{"epoch_seconds", num("1.7e9"), time.Unix(1700000000, 0)},
		{"epoch_seconds", num("17E8"), time.Unix(1700000000, 0)},
		{"epoch_seconds", num("-1.5"), time.Unix(-2, 5e8)},
		{"epoch_seconds", num("0.0000000015"), unixNano(2)}, // half away from zero
		{"epoch_seconds", num("0.0000000014999"), unixNano(1)},
		{"epoch_seconds", num("-0.0000000005"), unixNano(-1)},
		{"epoch_seconds", num("1e-30"), unixNano(0)},
		{"epoch_seconds", num("0e999999999"), unixNano(0)},
		{"epoch_seconds", num("9223372036.854775807"), unixNano(math.MaxInt64)},
		{"epoch_seconds", num("-9223372036.854775808"), unixNano(math.MinInt64)},
		{"epoch_seconds", str("+12"), time.Unix(12, 0)},
		{"epoch_seconds", str(".5"), unixNano(5e8)},
		{"epoch_millis", num("1715938887318"), time.UnixMilli(1715938887318)},
		{"epoch_millis", str("1715938887318"), time.UnixMilli(1715938887318)},
		{"epoch_millis", num("1715938887318.5"), time.Unix(1715938887, 318500000)},
		{"epoch_millis", num("1700000000123.456"), time.Unix(1700000000, 123456000)},
		{"epoch_millis", num("1.715938887318e12"), time.UnixMilli(1715938887318)},
		{"epoch_micros", num("1715938887318123"), time.UnixMicro(1715938887318123)},
		{"epoch_micros", num("1.7e15"), time.UnixMicro(1.7e15)},
		{"epoch_micros", num("1700000000000000.000"), time.UnixMicro(1.7e15)},
		{"epoch_nanos", num("1715938887318123456"), unixNano(1715938887318123456)},
		{"epoch_nanos", str("-5"), unixNano(-5)},
		{"epoch_nanos", num("1.7e18"), unixNano(1.7e18)},
	}
	for _, tt := range tests {
		f := mustTimeFormat(t, tt.format, cet)
		got, err := f.Parse(tt.v)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s.Parse(%s) = %v, %v, want %v", tt.format, show(tt.v), got, err, tt.want.UTC())
		}
		if tt.format != "rfc3339" && !strings.Contains(tt.format, "2006") && got.Location() != time.UTC {
			t.Errorf("%s.Parse(%s) location = %v, want UTC", tt.format, show(tt.v), got.Location())
		}
	}
}

func TestTimeFormatParseErrors(t *testing.T) {
	tests := []struct {
		format string
		v      Value
		want   string
	}{
		{"rfc3339", num("1715938887"), "want an RFC3339 string, got number 1715938887"},
		{"rfc3339", str("2024-05-17 09:41:27"), `not RFC3339: "2024-05-17 09:41:27"`},
		{"rfc3339", str("2024-05-17T09:41:27"), `not RFC3339`},
		{"2006-01-02", str("17.05.2024"), `"17.05.2024" does not match layout "2006-01-02"`},
		{"2006-01-02", boo("true"), "want a string in layout"},
		{"epoch_seconds", boo("true"), "want an epoch number, got bool true"},
		{"epoch_seconds", obj(`{"s":1}`), "want an epoch number, got object"},
		{"epoch_seconds", str(""), `not an epoch number: ""`},
		{"epoch_seconds", str("abc"), `not an epoch number: "abc"`},
		{"epoch_seconds", str("0x10"), `not an epoch number: "0x10"`},
		{"epoch_seconds", str("0x1p4"), `not an epoch number`},
		{"epoch_seconds", str("Inf"), `not an epoch number`},
		{"epoch_seconds", str("NaN"), `not an epoch number`},
		{"epoch_seconds", str("1_000"), `not an epoch number`},
		{"epoch_seconds", str(" 12"), `not an epoch number`},
		{"epoch_seconds", str("12 "), `not an epoch number`},
		{"epoch_seconds", str("."), `not an epoch number`},
		{"epoch_seconds", str("-"), `not an epoch number`},
		{"epoch_seconds", str("1e"), `not an epoch number`},
		{"epoch_seconds", str("1e+"), `not an epoch number`},
		{"epoch_seconds", str("1.2.3"), `not an epoch number`},
		{"epoch_seconds", num("1e12"), `epoch "1e12" out of range`},
		{"epoch_seconds", num("10000000000"), `epoch seconds 10000000000 out of range`},
		{"epoch_seconds", num("9223372036.854775808"), `out of range`},
		{"epoch_seconds", num("-9223372036.854775809"), `out of range`},
		{"epoch_seconds", num("1e999999999999"), `out of range`},
		{"epoch_seconds", num("99999999999999999999999"), `out of range`},
		{"epoch_millis", num("9223372036854.775808"), `out of range`},
		{"epoch_micros", num("1715938887318123.5"), `epoch_micros must be an integer, got "1715938887318123.5"`},
		{"epoch_nanos", num("1.5"), `epoch_nanos must be an integer, got "1.5"`},
		{"epoch_nanos", num("1e-1"), `must be an integer`},
	}
	for _, tt := range tests {
		f := mustTimeFormat(t, tt.format, nil)
		got, err := f.Parse(tt.v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s.Parse(%s) = %v, %v, want error containing %q", tt.format, show(tt.v), got, err, tt.want)
		}
	}
	for _, v := range []Value{missing(), null()} {
		for _, format := range []string{"rfc3339", "epoch_millis", "2006-01-02"} {
			if _, err := mustTimeFormat(t, format, nil).Parse(v); !errors.Is(err, ErrNoTime) {
				t.Errorf("%s.Parse(%s) = %v, want ErrNoTime", format, show(v), err)
			}
		}
	}
}

var decimalSyntax = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?([0-9]+))?$`)

// FuzzScaleDecimal checks the exact decimal arithmetic of epoch parsing against math/big.
func FuzzScaleDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", "-1.5", "1700000000.123", "1.7e9", ".5", "5.", "1e-30", "9223372036.854775807",
		"-9223372036.854775808", "9223372036.854775808", "0.0000000015", "+12", "1e", "x", "", "1_0", "0x10"} {
		f.Add(s, uint8(9))
	}
	f.Fuzz(func(t *testing.T, s string, shift uint8) {
		sh := int(shift % 12)
		n, exact, err := scaleDecimal(s, sh)
		m := decimalSyntax.FindStringSubmatch(s)
		if m == nil {
			if err != errNotDecimal {
				t.Fatalf("scaleDecimal(%q, %d) = %d, %v, %v, want errNotDecimal", s, sh, n, exact, err)
			}
			return
		}
		if err == errNotDecimal || len(m[3]) > 4 {
			if err == errNotDecimal {
				t.Fatalf("scaleDecimal(%q, %d) = errNotDecimal for a decimal number", s, sh)
			}
			return // math/big would take ages over a huge exponent
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", s)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sh)), nil)))
		// Round half away from zero: trunc(|r| + 1/2) with the sign of r.
		abs := new(big.Rat).Abs(r)
		whole := new(big.Int).Quo(abs.Num(), abs.Denom())
		half := new(big.Rat).Add(abs, big.NewRat(1, 2))
		rounded := new(big.Int).Quo(half.Num(), half.Denom())
		wantExact := new(big.Rat).SetInt(whole).Cmp(abs) == 0
		if r.Sign() < 0 {
			rounded.Neg(rounded)
		}
		if !rounded.IsInt64() {
			if err != errOutOfRange {
				t.Fatalf("scaleDecimal(%q, %d) = %d, %v, %v, want errOutOfRange", s, sh, n, exact, err)
			}
			return
		}
		if err != nil || n != rounded.Int64() || exact != wantExact {
			t.Fatalf("scaleDecimal(%q, %d) = %d, %v, %v, want %d, %v, nil", s, sh, n, exact, err, rounded.Int64(), wantExact)
		}
	})
}
