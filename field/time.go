package field

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
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
)

// TimeFormatNames lists the named formats accepted by ParseTimeFormat, for error messages and docs.
const TimeFormatNames = "rfc3339, epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, or a Go time layout such as 2006-01-02 15:04:05"

// ParseTimeFormat parses a format name. Anything that is not a named format must be a Go reference
// layout; layouts without a zone are read in loc (UTC when nil).
func ParseTimeFormat(name string, loc *time.Location) (TimeFormat, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch strings.ToLower(name) {
	case "", "rfc3339":
		return TimeFormat{kind: timeRFC3339, loc: loc}, nil
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
	}
	return "rfc3339"
}

// ErrNoTime is returned by Parse for a missing or null value.
var ErrNoTime = errors.New("no time value")

// Parse reads v as an instant. Epoch formats accept a JSON number or a string holding one; a
// fraction is allowed for epoch_seconds and epoch_millis. RFC3339 and layouts need a string.
func (f TimeFormat) Parse(v Value) (time.Time, error) {
	if v.IsAbsent() {
		return time.Time{}, ErrNoTime
	}
	s := string(v.Bytes)
	switch f.kind {
	case timeRFC3339:
		if v.Kind != String {
			return time.Time{}, fmt.Errorf("want an RFC3339 string, got %s %.40s", v.Kind, s)
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
		switch f.kind {
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
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return time.Time{}, fmt.Errorf("not an epoch number: %q", s)
	}
	var unit float64
	switch f.kind {
	case timeEpochSeconds:
		unit = 1e9
	case timeEpochMillis:
		unit = 1e6
	default:
		return time.Time{}, fmt.Errorf("%s must be an integer, got %q", f, s)
	}
	ns := x * unit
	if ns > math.MaxInt64 || ns < math.MinInt64 {
		return time.Time{}, fmt.Errorf("epoch %q out of range", s)
	}
	return time.Unix(0, int64(math.Round(ns))).UTC(), nil
}
