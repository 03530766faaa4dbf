//go:build failpoints

package failpoint

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	type want struct {
		point, action string
		n             int64
		pause         time.Duration
	}
	tests := []struct {
		spec string
		want []want
	}{
		{"", nil},
		{"after-prepare", []want{{"after-prepare", Kill, 1, 0}}},
		{"after-spill:40", []want{{"after-spill", Kill, 40, 0}}},
		{"after-stage:2:stop", []want{{"after-stage", Stop, 2, 0}}},
		{"before-prepare:1:sleep=20ms, after-prepare:3:sleep=1s", []want{
			{"before-prepare", Sleep, 1, 20 * time.Millisecond}, {"after-prepare", Sleep, 3, time.Second}}},
		// Typos still fire, as a kill, rather than never.
		{"after-commit:x:stopp", []want{{"after-commit", Kill, 1, 0}}},
		{"after-commit:0:sleep=soon", []want{{"after-commit", Kill, 1, 0}}},
		{"after-commit:1:sleep=-1s", []want{{"after-commit", Kill, 1, 0}}},
		{",mid-publish,", []want{{"mid-publish", Kill, 1, 0}}},
	}
	for _, tt := range tests {
		got := Parse(tt.spec)
		if len(got) != len(tt.want) {
			t.Errorf("Parse(%q): %d rules, want %d", tt.spec, len(got), len(tt.want))
			continue
		}
		for i, r := range got {
			if w := tt.want[i]; r.Point != w.point || r.Action != w.action || r.N != w.n || r.Pause != w.pause {
				t.Errorf("Parse(%q)[%d] = %s %s %d %v, want %v", tt.spec, i, r.Point, r.Action, r.N, r.Pause, w)
			}
		}
	}
}

// A sleep rule pauses at its n-th hit and every one after, and only at its point.
func TestSleepRule(t *testing.T) {
	old := rules
	defer func() { rules = old; armed.Store(len(old) > 0) }()
	rules = Parse("p:3:sleep=200ms")
	armed.Store(true)
	for i := 1; i <= 5; i++ {
		start := time.Now()
		Hit("p")
		Hit("other")
		took := time.Since(start)
		if i < 3 && took >= 200*time.Millisecond {
			t.Errorf("hit %d paused %v before the rule's count", i, took)
		}
		if i >= 3 && took < 200*time.Millisecond {
			t.Errorf("hit %d paused only %v, want at least 200ms", i, took)
		}
	}
}
