package field

import (
	"testing"
	"time"
)

// parseRFC3339UTC returns exactly what time.Parse returns (==, location and all) wherever it
// answers, and leaves to time.Parse what it does not read.
func TestParseRFC3339UTC(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"2026-12-06T03:04:05Z", true}, {"1970-01-01T00:00:00Z", true}, {"0000-01-01T00:00:00Z", true},
		{"0000-03-01T00:00:00Z", true}, {"9999-12-31T23:59:59.999999999Z", true},
		{"2024-02-29T12:00:00Z", true}, {"2000-02-29T12:00:00Z", true}, {"1969-12-31T23:59:59.5Z", true},
		{"2026-12-06T03:04:05.1Z", true}, {"2026-12-06T03:04:05.123456Z", true},
		{"2023-02-29T12:00:00Z", false}, {"1900-02-29T12:00:00Z", false}, {"2026-04-31T00:00:00Z", false},
		{"2026-13-01T00:00:00Z", false}, {"2026-00-01T00:00:00Z", false}, {"2026-01-00T00:00:00Z", false},
		{"2026-01-01T24:00:00Z", false}, {"2026-01-01T00:60:00Z", false}, {"2026-01-01T00:00:60Z", false},
		{"2026-12-06T03:04:05+02:00", false}, {"2026-12-06t03:04:05Z", false}, {"2026-12-06T03:04:05z", false},
		{"2026-12-06T03:04:05.Z", false}, {"2026-12-06T03:04:05.1234567890Z", false},
		{"2026-12-06T03:04:05,5Z", false}, {"2026-12-06 03:04:05Z", false}, {"+026-12-06T03:04:05Z", false},
		{"2026-12-06T03:04Z", false}, {"", false},
	} {
		got, ok := parseRFC3339UTC(tc.in)
		if ok != tc.ok {
			t.Errorf("%q: ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := time.Parse(time.RFC3339Nano, tc.in)
		if err != nil || got != want {
			t.Errorf("%q: %v, time.Parse says %v %v", tc.in, got, want, err)
		}
	}
}

// Every day of years around the calendar's edges, at a time of day that moves with it.
func TestParseRFC3339UTCEveryDay(t *testing.T) {
	for _, y := range []int{0, 1, 4, 99, 100, 400, 1600, 1900, 1969, 1970, 1999, 2000, 2024, 2026, 2100, 9999} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.Add(24*time.Hour + 61*time.Second) {
			s := d.Format("2006-01-02T15:04:05Z")
			got, ok := parseRFC3339UTC(s)
			want, err := time.Parse(time.RFC3339Nano, s)
			if !ok || err != nil || got != want {
				t.Fatalf("%q: %v %v, time.Parse says %v %v", s, got, ok, want, err)
			}
		}
	}
}

func FuzzParseRFC3339UTC(f *testing.F) {
	for _, s := range []string{"2026-12-06T03:04:05Z", "2024-02-29T23:59:59.999Z", "0000-01-01T00:00:00Z", "2026-12-06T03:04:05+01:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRFC3339UTC(s)
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%q: read as %v, time.Parse refuses it: %v", s, got, err)
		}
		if got != want {
			t.Fatalf("%q: %v, time.Parse says %v", s, got, want)
		}
	})
}
