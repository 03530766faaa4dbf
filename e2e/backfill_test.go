package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// backfill loads an explicit range of chosen partitions into its own root, under its own group:
// the live group's offsets do not move, a time-boxed run resumes without duplicates, a repeated
// run loads nothing, and --dry-run prints the plan and changes nothing.
func TestBackfillRange(t *testing.T) {
	h := newHarness(t, "orders", 3)
	h.produce(3_000, 0)
	const live = "g-live"
	h.runBatch(live)
	liveBefore := h.committed(live)

	args := []string{"backfill", "--topic", "orders", "--partitions", "0,2", "--from-offset", "100", "--to-offset", "400"}
	code, out := h.binaryCmd(live, append(args, "--dry-run")...)
	t.Logf("kafka2hdfs %s --dry-run: exit %d\n%s", strings.Join(args, " "), code, out)
	if code != 0 || !strings.Contains(out, "records: 600 ") {
		t.Fatalf("dry run: exit %d, want 0 and 600 records planned", code)
	}
	id := regexp.MustCompile(`backfill (bf-[0-9a-f]+) of orders`).FindStringSubmatch(out)
	if id == nil {
		t.Fatal("the plan does not name the backfill id")
	}
	if _, again := h.binaryCmd(live, append(args, "--dry-run")...); !strings.Contains(again, id[1]) {
		t.Errorf("the same range got another id: %s", again)
	}
	bfGroup := live + ".backfill." + id[1]
	bfRoot := h.root + ".backfill/" + id[1]
	if got := h.committed(bfGroup); sumOffsets(got) > 0 {
		t.Fatalf("a dry run committed %v", got)
	}

	// A time-boxed run stops early, the next resumes, a third has nothing left.
	code, out = h.binaryCmd(live, append(args, "--max-records", "250", "--progress", "none")...)
	t.Logf("backfill --max-records 250: exit %d\n%s", code, out)
	if code != 4 {
		t.Fatalf("boxed backfill: exit %d, want 4", code)
	}
	code, out = h.binaryCmd(live, append(args, "--progress", "none")...)
	t.Logf("backfill: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, "records consumed: 350 ") {
		t.Fatalf("resumed backfill: exit %d, want 0 after the 350 records left", code)
	}
	code, out = h.binaryCmd(live, append(args, "--progress", "none")...)
	if code != 0 || !strings.Contains(out, "records consumed: 0 ") {
		t.Fatalf("repeated backfill: exit %d, want 0 and nothing loaded:\n%s", code, out)
	}

	// The backfill root holds exactly [100, 400) of partitions 0 and 2, each offset once.
	rep, err := verify.Output(bfRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 || len(rep.DeadLetters) > 0 {
		t.Fatalf("backfill output problems %v, dead letters %d", rep.Problems, len(rep.DeadLetters))
	}
	seen := map[verify.TP]map[int64]int{}
	for _, f := range rep.Files {
		if seen[f.TP()] == nil {
			seen[f.TP()] = map[int64]int{}
		}
		for _, o := range f.Offsets {
			seen[f.TP()][o]++
		}
	}
	for p := int32(0); p < 3; p++ {
		tp := verify.TP{Topic: "orders", Partition: p}
		if p == 1 {
			if len(seen[tp]) > 0 {
				t.Errorf("partition 1 was not asked for but has %d offsets", len(seen[tp]))
			}
			continue
		}
		if len(seen[tp]) != 300 {
			t.Errorf("%v: %d distinct offsets, want 300", tp, len(seen[tp]))
		}
		for o, n := range seen[tp] {
			if o < 100 || o >= 400 || n != 1 {
				t.Errorf("%v offset %d is in the output %d times; want [100,400) once each", tp, o, n)
			}
		}
	}
	if got := h.committed(bfGroup); got[verify.TP{Topic: "orders", Partition: 0}] != 400 || got[verify.TP{Topic: "orders", Partition: 2}] != 400 {
		t.Errorf("backfill progress %v, want partitions 0 and 2 at 400", got)
	}
	// The live group and its output are untouched.
	if got := h.committed(live); !equalOffsets(got, liveBefore) {
		t.Errorf("live group committed %v, was %v", got, liveBefore)
	}
	h.check()
	// Both roots audit clean: the live one does not see the backfill's files, the backfill's
	// tile its range.
	for _, root := range []string{h.root, bfRoot} {
		cmd := exec.Command(binary(t), "audit", "--output", root)
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("kafka2hdfs audit --output %s: exit %d\n%s", root, code, out)
		}
	}
	code, out = h.binaryCmd(live, append(args, "--backfill-root", filepath.Join(h.root, "bf"))...)
	if code != 2 {
		t.Errorf("--backfill-root inside the live root: exit %d, want 2\n%s", code, out)
	}

	code, out = h.binaryCmd(live, "backfill", "--topic", "orders", "--from-offset", "5", "--to-offset", "3")
	if code != 2 {
		t.Errorf("backfill with to < from: exit %d, want 2\n%s", code, out)
	}
	code, out = h.binaryCmd(live, "backfill", "--topic", "orders", "--from-time", "2026-11-22T01:00:00Z", "--to-time", "2026-11-22T02:00:00Z", "--dry-run")
	t.Logf("backfill --from-time --to-time --dry-run: exit %d\n%s", code, out)
	if code != 0 {
		t.Errorf("time-range dry run: exit %d", code)
	}
}
