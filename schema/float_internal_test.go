package schema

import (
	"math"
	"strconv"
	"testing"
)

// parseSimpleFloat agrees with strconv.ParseFloat bit for bit where it answers, and leaves to
// strconv what it does not.
func TestParseSimpleFloat(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"12.34", true}, {"-12.34", true}, {"0.1", true}, {"0.3", true},
		{"99.99", true}, {"123456789012345", true}, {"0.00000000000001", true}, {"0.000000000000001", false},
		{"1.00000000000001", true}, {"900719925474.993", true}, {"9007199254740.993", false}, {"1.5", true},
		{"1234567890123456", false}, // 16 digits: may not be exact
		{"1e5", false}, {"1E5", false}, {"1.5e-3", false}, {"", false}, {"-", false}, {".5", false}, {"-.5", false},
		{"5.", false}, {"1.2.3", false}, {"+1", false}, {"NaN", false}, {"Inf", false}, {"0x10", false},
		{"1_000", false}, {" 1", false},
	} {
		got, ok := parseSimpleFloat([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("%q: ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := strconv.ParseFloat(tc.in, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("%q: %v (%x), strconv says %v (%x) %v", tc.in, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
}

func FuzzParseSimpleFloat(f *testing.F) {
	for _, s := range []string{"12.34", "-0", "0.000000000000001", "999999999999999", "1e5", "3.14159265358979"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSimpleFloat([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q: parsed as %v, strconv refuses it: %v", s, got, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v, strconv says %v", s, got, want)
		}
	})
}

// Every decimal of up to 15 digits with any split of integer and fraction: the exact path's
// claim, against strconv, on numbers whose rounding is hardest (long fractions).
func TestParseSimpleFloatLongFractions(t *testing.T) {
	for n := uint64(1); n < 1e15; n = n*7 + 3 {
		s := strconv.FormatUint(n, 10)
		for dot := 0; dot <= len(s); dot++ {
			in := s[:dot] + "." + s[dot:]
			if dot == 0 {
				in = "0" + in
			}
			if dot == len(s) {
				in = s
			}
			got, ok := parseSimpleFloat([]byte(in))
			want, _ := strconv.ParseFloat(in, 64)
			if ok && math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%q: %v, strconv says %v", in, got, want)
			}
		}
	}
}

// parseSimpleInt agrees with strconv.ParseInt where it answers, and leaves to strconv what it does
// not (more than 18 digits, signs other than a leading minus, anything not a digit).
func TestParseSimpleInt(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0", true}, {"-0", true}, {"7", true}, {"-7", true}, {"50000", true}, {"007", true},
		{"999999999999999999", true}, {"-999999999999999999", true},
		{"9223372036854775807", false}, {"1000000000000000000", false}, // 19 digits: strconv's
		{"", false}, {"-", false}, {"+1", false}, {"1.5", false}, {"1e3", false}, {"1_000", false},
		{" 1", false}, {"1 ", false}, {"--1", false}, {"0x10", false}, {"١", false},
	} {
		got, ok := parseSimpleInt([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("%q: ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if want, err := strconv.ParseInt(tc.in, 10, 64); ok && (err != nil || got != want) {
			t.Errorf("%q: %d, strconv says %d %v", tc.in, got, want, err)
		}
	}
}

func FuzzParseSimpleInt(f *testing.F) {
	for _, s := range []string{"0", "-7", "123456789012345678", "1234567890123456789", "1.5", "+1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSimpleInt([]byte(s))
		if !ok {
			return
		}
		if want, err := strconv.ParseInt(s, 10, 64); err != nil || got != want {
			t.Fatalf("%q: %d, strconv says %d %v", s, got, want, err)
		}
	})
}
