package loadercli

import (
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

func TestParsePartitions(t *testing.T) {
	keep, err := parsePartitions("0, 3-5,9")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 12; p++ {
		want := p == 0 || (p >= 3 && p <= 5) || p == 9
		if got := keep(offsets.TP{Topic: "t", Partition: p}); got != want {
			t.Errorf("partition %d selected = %v, want %v", p, got, want)
		}
	}
	if keep, err := parsePartitions(""); keep != nil || err != nil {
		t.Errorf(`"" = %v, %v; want every partition (nil)`, keep != nil, err)
	}
	for _, bad := range []string{"x", "5-3", "-1", "1-", "1,,2", "0-99999999"} {
		if _, err := parsePartitions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckResetTarget(t *testing.T) {
	for _, ok := range []string{"earliest", "latest", "0", "12345", "2026-11-22T03:00:00Z"} {
		if err := checkResetTarget(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-1", "yesterday", "2026-11-22"} {
		if err := checkResetTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBackfillSpec(t *testing.T) {
	for _, tc := range []struct {
		s  backfillSpec
		ok bool
	}{
		{backfillSpec{topic: "t", fromOffset: 0, toOffset: -1}, true},
		{backfillSpec{topic: "t", fromOffset: 5, toOffset: 10}, true},
		{backfillSpec{topic: "t", fromOffset: -1, fromTime: "2026-11-22T00:00:00Z", toOffset: -1, toTime: "2026-11-22T01:00:00Z"}, true},
		{backfillSpec{topic: "t", fromOffset: -1, toOffset: -1}, false},                                  // no from
		{backfillSpec{topic: "t", fromOffset: 1, fromTime: "2026-11-22T00:00:00Z", toOffset: -1}, false}, // two froms
		{backfillSpec{topic: "t", fromOffset: 1, toOffset: 5, toTime: "2026-11-22T00:00:00Z"}, false},    // two tos
		{backfillSpec{topic: "t", fromOffset: 5, toOffset: 5}, false},                                    // empty
		{backfillSpec{topic: "t", fromOffset: -1, fromTime: "noon", toOffset: -1}, false},
	} {
		if err := tc.s.validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.s, err, tc.ok)
		}
	}
	a := backfillSpec{topic: "t", partitions: "0-2", fromOffset: 5, toOffset: -1}
	b := a
	b.partitions = "0-3"
	a2 := a
	if a.id() != a2.id() || a.id() == b.id() || !backfillID.MatchString(a.id()) {
		t.Errorf("ids %s, %s: want stable, distinct per range, valid", a.id(), b.id())
	}
}
