package completeness

import (
	"testing"
	"time"
)

func TestLowWatermarkAndComplete(t *testing.T) {
	h := func(n int) time.Time { return time.Date(2026, 11, 22, n, 0, 0, 0, time.UTC) }
	known := func(p int32, w time.Time) PartitionState {
		return PartitionState{Partition: p, Known: true, Watermark: w}
	}
	idle := func(p int32) PartitionState { return PartitionState{Partition: p, CaughtUp: true} }
	now := h(23)
	tests := []struct {
		name     string
		parts    []PartitionState
		low      time.Time
		lowOK    bool
		end      time.Time // bucket end
		lateness time.Duration
		complete bool
	}{
		{name: "all past", parts: []PartitionState{known(0, h(15)), known(1, h(16)), known(2, h(17))}, low: h(15), lowOK: true, end: h(14), lateness: 30 * time.Minute, complete: true},
		{name: "one lags", parts: []PartitionState{known(0, h(15)), known(1, h(13)), known(2, h(17))}, low: h(13), lowOK: true, end: h(14), complete: false},
		{name: "exactly at end plus lateness", parts: []PartitionState{known(0, h(14).Add(10*time.Minute))}, low: h(14).Add(10 * time.Minute), lowOK: true, end: h(14), lateness: 10 * time.Minute, complete: true},
		{name: "lateness not passed", parts: []PartitionState{known(0, h(14).Add(5*time.Minute))}, low: h(14).Add(5 * time.Minute), lowOK: true, end: h(14), lateness: 10 * time.Minute, complete: false},
		{name: "unknown partition blocks", parts: []PartitionState{known(0, h(20)), {Partition: 1}}, lowOK: false, end: h(14), complete: false},
		{name: "idle caught-up partition does not block", parts: []PartitionState{known(0, h(20)), idle(1)}, low: h(20), lowOK: true, end: h(14), complete: true},
		{name: "caught up with an old watermark does not block", parts: []PartitionState{known(0, h(20)), {Partition: 1, CaughtUp: true, Known: true, Watermark: h(2)}}, low: h(20), lowOK: true, end: h(14), complete: true},
		{name: "all caught up: the newest watermark decides", parts: []PartitionState{{Partition: 0, CaughtUp: true, Known: true, Watermark: h(16)}, idle(1)}, low: h(16), lowOK: true, end: h(17), complete: false},
		{name: "all caught up, bucket before the newest", parts: []PartitionState{{Partition: 0, CaughtUp: true, Known: true, Watermark: h(16)}, idle(1)}, low: h(16), lowOK: true, end: h(15), complete: true},
		{name: "nothing known", parts: []PartitionState{idle(0), idle(1)}, lowOK: false, end: h(1), complete: false},
		{name: "no partitions", lowOK: false, end: h(1), complete: false},
		{name: "future bucket waits for the wall clock", parts: []PartitionState{known(0, h(23).Add(48*time.Hour))}, low: h(23).Add(48 * time.Hour), lowOK: true, end: h(23).Add(24 * time.Hour), complete: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			low, ok := LowWatermark(tt.parts)
			if ok != tt.lowOK || (ok && !low.Equal(tt.low)) {
				t.Fatalf("LowWatermark = %s, %v; want %s, %v", low, ok, tt.low, tt.lowOK)
			}
			if got := Complete(tt.end, tt.lateness, low, ok, now); got != tt.complete {
				t.Errorf("Complete(end %s) = %v, want %v", tt.end, got, tt.complete)
			}
		})
	}
}
