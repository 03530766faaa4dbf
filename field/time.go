package field

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// TimeFormat says how a field value is read as an instant. The zero TimeFormat is RFC3339.
type TimeFormat struct {
	kind   timeKind
	layout string
	loc    *time.Location
}

type timeKind uint8

const (
	timeRFC3339 timeKind = iota
	timeEpochSeconds
	timeEpochMillis
	timeEpochMicros
	timeEpochNanos
	timeLayout
	timeAuto
)

// TimeFormatNames lists the named formats accepted by ParseTimeFormat, for error messages and docs.
const TimeFormatNames = "auto, rfc3339, epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, or a Go time layout such as 2006-01-02 15:04:05"

// ParseTimeFormat parses a format name. Anything that is not a named format must be a Go reference
// layout; layouts without a zone are read in loc (UTC when nil).
func ParseTimeFormat(name string, loc *time.Location) (TimeFormat, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch strings.ToLower(name) {
	case "", "rfc3339":
		return TimeFormat{kind: timeRFC3339, loc: loc}, nil
	case "auto":
		// What a timestamp column reads without a format: a string is RFC3339, a JSON number
		// epoch milliseconds (the unit producers mostly send: Java's currentTimeMillis).
		return TimeFormat{kind: timeAuto, loc: loc}, nil
	case "epoch_seconds", "unix", "epoch_s":
		return TimeFormat{kind: timeEpochSeconds, loc: loc}, nil
	case "epoch_millis", "unix_ms", "epoch_ms":
		return TimeFormat{kind: timeEpochMillis, loc: loc}, nil
	case "epoch_micros", "unix_us", "epoch_us":
		return TimeFormat{kind: timeEpochMicros, loc: loc}, nil
	case "epoch_nanos", "unix_ns", "epoch_ns":
		return TimeFormat{kind: timeEpochNanos, loc: loc}, nil
	}
	// A layout must contain at least a year, or it is almost surely a typo of a named format.
	if !strings.Contains(name, "2006") && !strings.Contains(name, "06") {
		return TimeFormat{}, fmt.Errorf("unknown time format %q: use %s", name, TimeFormatNames)
	}
	return TimeFormat{kind: timeLayout, layout: name, loc: loc}, nil
}

// SameAs reports whether f and g read a value of kind k as the same instant: a time one of them
// parsed can stand for the other's (record.Record.RecallTime).
func (f TimeFormat) SameAs(g TimeFormat, k Kind) bool {
	fk, gk := f.effective(k), g.effective(k)
	if fk != gk {
		return false
	}
	if fk == timeLayout {
		return f.layout == g.layout && f.loc == g.loc
	}
	return true // RFC3339 and the epoch formats do not depend on the location
}

// effective is the format auto stands for with a value of kind k.
func (f TimeFormat) effective(k Kind) timeKind {
	if f.kind == timeAuto {
		switch k {
		case String:
			return timeRFC3339
		case Number:
			return timeEpochMillis
		}
	}
	return f.kind
}

func (f TimeFormat) String() string {
	switch f.kind {
	case timeEpochSeconds:
		return "epoch_seconds"
	case timeEpochMillis:
		return "epoch_millis"
	case timeEpochMicros:
		return "epoch_micros"
	case timeEpochNanos:
		return "epoch_nanos"
	case timeLayout:
		return f.layout
	case timeAuto:
		return "auto"
	}
	return "rfc3339"
}

// ErrNoTime is returned by Parse for a missing or null value.
var ErrNoTime = errors.New("no time value")

// Parse reads v as an instant. Auto reads a string as RFC3339 and a number as epoch_millis. Epoch formats accept a JSON number or a string holding one; a
// fraction is allowed for epoch_seconds and epoch_millis (rounded to the nearest nanosecond, half
// away from zero), epoch_micros and epoch_nanos need a whole number, though it may be written
// 1.7e15 or 1700000000000000.0. RFC3339 and layouts need a string.
func (f TimeFormat) Parse(v Value) (time.Time, error) {
	if v.IsAbsent() {
		return time.Time{}, ErrNoTime
	}
	// No copy on the hot path: strconv and time.Parse with RFC3339 keep nothing of their input (a
	// numeric zone offset becomes an unnamed zone), and error messages copy when they format it.
	// Layouts may name a zone ("MST"), which time.Parse would keep a slice of, so they get a copy.
	s := unsafe.String(unsafe.SliceData(v.Bytes), len(v.Bytes))
	if f.kind == timeLayout {
		s = string(v.Bytes)
	}
	kind := f.kind
	if kind == timeAuto {
		switch v.Kind {
		case String:
			kind = timeRFC3339
		case Number:
			kind = timeEpochMillis
		default:
			return time.Time{}, fmt.Errorf("want an RFC3339 string or a number of epoch milliseconds, got %s %.40s", v.Kind, s)
		}
	}
	switch kind {
	case timeRFC3339:
		if v.Kind != String {
			return time.Time{}, fmt.Errorf("want an RFC3339 string, got %s %.40s", v.Kind, s)
		}
		if t, ok := parseRFC3339UTC(s); ok {
			return t, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("not RFC3339: %q", s)
		}
		return t, nil
	case timeLayout:
		if v.Kind != String {
			return time.Time{}, fmt.Errorf("want a string in layout %q, got %s %.40s", f.layout, v.Kind, s)
		}
		t, err := time.ParseInLocation(f.layout, s, f.loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q does not match layout %q", s, f.layout)
		}
		return t, nil
	}
	if v.Kind != Number && v.Kind != String {
		return time.Time{}, fmt.Errorf("want an epoch number, got %s %.40s", v.Kind, s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch kind {
		case timeEpochSeconds:
			if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
				return time.Time{}, fmt.Errorf("epoch seconds %d out of range", n)
			}
			return time.Unix(n, 0).UTC(), nil
		case timeEpochMillis:
			return time.UnixMilli(n).UTC(), nil
		case timeEpochMicros:
			return time.UnixMicro(n).UTC(), nil
		default:
			return time.Unix(0, n).UTC(), nil
		}
	}
	// Exact decimal arithmetic, not float64: 1700000000.123 seconds as a float64 times 1e9 comes to
	// ...122999808 ns, which a millisecond column then truncates to .122.
	var shift int
	switch kind {
	case timeEpochSeconds:
		shift = 9
	case timeEpochMillis:
		shift = 6
	case timeEpochMicros:
		shift = 3
	}
	if kind == timeEpochMicros || kind == timeEpochNanos {
		if _, whole, err := scaleDecimal(s, 0); err == nil && !whole {
			return time.Time{}, fmt.Errorf("%s must be an integer, got %q", f, s)
		}
	}
	ns, _, err := scaleDecimal(s, shift)
	switch {
	case err == errNotDecimal:
		return time.Time{}, fmt.Errorf("not an epoch number: %q", s)
	case err != nil:
		return time.Time{}, fmt.Errorf("epoch %q out of range", s)
	}
	return time.Unix(0, ns).UTC(), nil
}

var (
	errNotDecimal = errors.New("not a decimal number")
	errOutOfRange = errors.New("out of range")
)

// scaleDecimal returns the decimal number s ("-12.5", "1.7e9") times 10^shift, rounded half away
// from zero, and whether no non-zero digit was rounded off. It reads the digits where they are in s,
// so it does not allocate, and is exact where float64 is not.
func scaleDecimal(s string, shift int) (n int64, exact bool, err error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && s[i]-'0' < 10 {
		i++
	}
	intEnd, fracStart := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i]-'0' < 10 {
			i++
		}
	}
	fracEnd := i
	nd := intEnd - intStart + fracEnd - fracStart
	if nd == 0 {
		return 0, false, errNotDecimal
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return 0, false, errNotDecimal
		}
		for ; i < len(s) && s[i]-'0' < 10; i++ {
			if exp < 1e6 { // beyond this every result is 0 or out of range anyway
				exp = exp*10 + int(s[i]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(s) {
		return 0, false, errNotDecimal
	}
	digit := func(k int) uint64 {
		if k < intEnd-intStart {
			return uint64(s[intStart+k] - '0')
		}
		return uint64(s[fracStart+k-(intEnd-intStart)] - '0')
	}
	// Digits before point form the integer result, digit point decides the rounding.
	// Twenty zeros past the last digit overflow any non-zero value; capping there keeps "0e999999" cheap.
	point := min(intEnd-intStart+exp+shift, nd+20)
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var mag uint64
	for k := 0; k < point; k++ {
		d := uint64(0)
		if k < nd {
			d = digit(k)
		}
		if mag > (limit-d)/10 {
			return 0, false, errOutOfRange
		}
		mag = mag*10 + d
	}
	exact = true
	for k := max(point, 0); k < nd; k++ {
		if digit(k) != 0 {
			exact = false
			break
		}
	}
	if point >= 0 && point < nd && digit(point) >= 5 {
		if mag == limit {
			return 0, false, errOutOfRange
		}
		mag++
	}
	if neg {
		return int64(-mag), exact, nil
	}
	return int64(mag), exact, nil
}
