package completeness

import (
	"errors"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
)

func TestBucketsSpan(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name       string
		cfg        partitioner.Config
		dir        string
		start, end time.Time
		ok         bool
	}{
		{name: "default hour", dir: "dt=2026-11-22/hour=13", start: utc("2026-11-22T13:00:00Z"), end: utc("2026-11-22T14:00:00Z"), ok: true},
		{name: "day", cfg: partitioner.Config{Granularity: "day"}, dir: "dt=2026-11-22", start: utc("2026-11-22T00:00:00Z"), end: utc("2026-11-23T00:00:00Z"), ok: true},
		{name: "15 minutes", cfg: partitioner.Config{Granularity: "15m"}, dir: "dt=2026-11-22/hour=13/minute=45", start: utc("2026-11-22T13:45:00Z"), end: utc("2026-11-22T14:00:00Z"), ok: true},
		{name: "prefix field", cfg: partitioner.Config{Fields: []partitioner.PathField{{Name: "country"}}}, dir: "country=DE/dt=2026-11-22/hour=13",
			start: utc("2026-11-22T13:00:00Z"), end: utc("2026-11-22T14:00:00Z"), ok: true},
		{name: "placed field segment", cfg: partitioner.Config{Path: "dt=2006-01-02/country={country}/hour=15", Fields: []partitioner.PathField{{Name: "country"}}},
			dir: "dt=2026-11-22/country=US/hour=13", start: utc("2026-11-22T13:00:00Z"), end: utc("2026-11-22T14:00:00Z"), ok: true},
		{name: "zone", cfg: partitioner.Config{Timezone: "America/New_York"}, dir: "dt=2026-11-22/hour=08", start: utc("2026-11-22T13:00:00Z"), end: utc("2026-11-22T14:00:00Z"), ok: true},
		// 01:00 happens twice on 2026-11-01 in New York: one directory, a two-hour bucket.
		{name: "fall back", cfg: partitioner.Config{Timezone: "America/New_York"}, dir: "dt=2026-11-01/hour=01",
			start: time.Date(2026, 11, 1, 1, 0, 0, 0, ny), end: utc("2026-11-01T07:00:00Z"), ok: true},
		{name: "not a bucket", dir: "dt=2026-11-22", ok: false},
		{name: "garbage", dir: "dt=x/hour=13", ok: false},
		{name: "not on the grid", cfg: partitioner.Config{Granularity: "2h"}, dir: "dt=2026-11-22/hour=13", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBuckets(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			start, end, ok := b.Span(tt.dir)
			if ok != tt.ok {
				t.Fatalf("Span(%q) ok = %v, want %v", tt.dir, ok, tt.ok)
			}
			if ok && (!start.Equal(tt.start) || !end.Equal(tt.end)) {
				t.Errorf("Span(%q) = [%s, %s), want [%s, %s)", tt.dir, start, end, tt.start, tt.end)
			}
		})
	}
}

func TestBucketsUnparsable(t *testing.T) {
	for _, cfg := range []partitioner.Config{
		{Path: "{country}", Fields: []partitioner.PathField{{Name: "country"}}},
		{Path: "dt=2006-01-02", Granularity: "hour"}, // many buckets share a directory
		{Path: "hour=15-{country}", Fields: []partitioner.PathField{{Name: "country"}}},
	} {
		if _, err := NewBuckets(cfg); !errors.Is(err, ErrUnparsable) {
			t.Errorf("NewBuckets(%q) = %v, want ErrUnparsable", cfg.Path, err)
		}
	}
}

func partitionerHour() partitioner.Config { return partitioner.Config{Granularity: "hour"} }
