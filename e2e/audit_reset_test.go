package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// `offsets reset` writes a reset record so that an audit can tell a reset from a loss: the offsets
// a reset skipped are reported as a reset (a warning naming who and when), not a gap, and those a
// forced reset loaded again as a reset, not an overlap.
func TestAuditExplainsResets(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(600, 0)
	const group = "g-audit-reset"
	proto, cl, cfg, admin := h.adminEnv(group)
	ctx := context.Background()
	h.runBatch(group)

	run := func() *audit.Report {
		t.Helper()
		rep, err := audit.Run(ctx, audit.Options{FS: storage.Local{}, Root: h.root})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// Skip ahead over 200 records, then load 100 more: the files skip the 200.
	h.produce(200, 0)
	waitEmpty(t, admin, group)
	if _, err := kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "latest", By: "alice@host"}); err != nil {
		t.Fatal(err)
	}
	h.produce(100, 0)
	h.runBatch(group)
	rep := run()
	for _, p := range rep.Problems {
		t.Errorf("problem after a reset that skipped offsets: %+v", p)
	}
	if !hasWarning(rep, audit.KindReset, "skipped by offsets reset", "alice@host") {
		t.Errorf("no reset warning naming who skipped the offsets: %+v", rep.Warnings)
	}

	// Back below the files on partition 1, forced: offsets loaded twice, explained by the reset.
	waitEmpty(t, admin, group)
	if _, err := kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "100", Force: true, By: "bob@host",
		Keep: func(tp offsets.TP) bool { return tp.Partition == 1 }}); err != nil {
		t.Fatal(err)
	}
	h.runBatch(group)
	rep = run()
	for _, p := range rep.Problems {
		t.Errorf("problem after a forced reset back: %+v", p)
	}
	if !hasWarning(rep, audit.KindReset, "loaded again after offsets reset", "bob@host") {
		t.Errorf("no reset warning naming who loaded offsets again: %+v", rep.Warnings)
	}
}

func hasWarning(rep *audit.Report, kind string, subs ...string) bool {
	for _, w := range rep.Warnings {
		if w.Kind != kind {
			continue
		}
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(w.Detail, s)
		}
		if ok {
			return true
		}
	}
	return false
}
