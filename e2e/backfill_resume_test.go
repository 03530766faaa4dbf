package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// runCmd runs the real binary with a config file, the failpoint spec armed ("" for none), and
// reports its exit code, whether the failpoint's SIGKILL ended it, and its output.
func runCmd(t *testing.T, cfgPath, spec string, args ...string) (code int, killed bool, out string) {
	t.Helper()
	i := 0
	for i < len(args) && !strings.HasPrefix(args[i], "-") {
		i++
	}
	args = append(append(args[:i:i], "--config", cfgPath, "--progress", "none"), args[i:]...)
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), failpoint.EnvVar+"="+spec)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(120 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("kafka2hdfs %v did not finish in 120s:\n%s", args, buf.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return -1, true, buf.String()
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), false, buf.String()
}

// backfillOffsets reads a backfill root with the independent reader: how often each offset of each
// partition is in it. Problems (bad names, misplaced files) fail the test.
func backfillOffsets(t *testing.T, root string) map[verify.TP]map[int64]int {
	t.Helper()
	rep, err := verify.Output(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("backfill output problems: %v", rep.Problems)
	}
	seen := map[verify.TP]map[int64]int{}
	for _, fs := range [][]verify.FileRows{rep.Files, rep.DeadLetters} {
		for _, f := range fs {
			if seen[f.TP()] == nil {
				seen[f.TP()] = map[int64]int{}
			}
			for _, o := range f.Offsets {
				seen[f.TP()][o]++
			}
		}
	}
	return seen
}

// checkExactRange fails unless seen holds exactly [from, to) of each listed partition once and
// nothing of any other.
func checkExactRange(t *testing.T, seen map[verify.TP]map[int64]int, want map[verify.TP][2]int64) {
	t.Helper()
	for tp, offs := range seen {
		r, ok := want[tp]
		if !ok {
			if len(offs) > 0 {
				t.Errorf("%v was not asked for but has %d offsets", tp, len(offs))
			}
			continue
		}
		for o, n := range offs {
			if o < r[0] || o >= r[1] || n != 1 {
				t.Errorf("%v offset %d is in the output %d times; want [%d, %d) once each", tp, o, n, r[0], r[1])
			}
		}
	}
	for tp, r := range want {
		if got := int64(len(seen[tp])); got != r[1]-r[0] {
			t.Errorf("%v: %d distinct offsets, want %d ([%d, %d))", tp, got, r[1]-r[0], r[0], r[1])
		}
	}
}

// A backfill by time loads exactly the records from --from-time up to --to-time (their offsets by
// the Kafka timestamp index), into its own root, and leaves the live group's offsets alone.
func TestBackfillByTime(t *testing.T) {
	h := newHarness(t, "events", 2)
	// One record a minute from 10:00 to 12:59 on each partition: offset i is at 10:00 + i min.
	for _, p := range []int32{0, 1} {
		h.produceAt(p, minutes(10, 180)...)
	}
	const live = "g-live-time"
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.eventsYAML(live, false, "into", time.Minute)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, out := runCmd(t, cfgPath, "", "batch"); code != 0 {
		t.Fatalf("live batch: exit %d\n%s", code, out)
	}
	liveBefore := h.committed(live)

	args := []string{"backfill", "--topic", "events", "--from-time", "2026-11-22T10:30:00Z", "--to-time", "2026-11-22T11:45:00Z"}
	code, _, out := runCmd(t, cfgPath, "", append(args, "--dry-run")...)
	t.Logf("kafka2hdfs %s --dry-run: exit %d\n%s", strings.Join(args, " "), code, out)
	if code != 0 || !strings.Contains(out, "records: 150 ") {
		t.Fatalf("dry run: exit %d, want 0 and 150 records planned (75 minutes on 2 partitions)", code)
	}
	id := regexp.MustCompile(`backfill (bf-[0-9a-f]+) of events`).FindStringSubmatch(out)
	if id == nil {
		t.Fatal("the plan does not name the backfill id")
	}
	code, _, out = runCmd(t, cfgPath, "", args...)
	t.Logf("kafka2hdfs %s: exit %d\n%s", strings.Join(args, " "), code, out)
	if code != 0 {
		t.Fatalf("backfill: exit %d", code)
	}
	// 10:30 is offset 30, 11:45 offset 105 (exclusive).
	want := map[verify.TP][2]int64{{Topic: "events", Partition: 0}: {30, 105}, {Topic: "events", Partition: 1}: {30, 105}}
	checkExactRange(t, backfillOffsets(t, h.root+".backfill/"+id[1]), want)
	if code, _, out := runCmd(t, cfgPath, "", args...); code != 0 || !strings.Contains(out, "records consumed: 0 ") {
		t.Errorf("repeated backfill: exit %d, want 0 and nothing loaded:\n%s", code, out)
	}
	if got := h.committed(live); !equalOffsets(got, liveBefore) {
		t.Errorf("live group committed %v, was %v", got, liveBefore)
	}
	h.check()
}

func minutes(fromHour, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = at(fromHour, 0).Add(time.Duration(i) * time.Minute)
	}
	return out
}

// A backfill SIGKILLed in the middle of its commit protocol (after publishing a step, before
// committing it; then right after a prepare; then between staging and prepare) and run again finishes its range with every
// offset exactly once, and the live group's offsets never move.
func TestBackfillKilledAndResumed(t *testing.T) {
	h := newHarness(t, "orders", 3)
	h.produce(4_500, 0)
	const live = "g-live-kill"
	h.runBatch(live)
	liveBefore := h.committed(live)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	// A killed member stays in the backfill's group until its session times out; keep it short.
	// Small steps (rotation.max_records 100, not 700): the three kills below each need a step of
	// their own to land in, whatever else ends a step.
	y := strings.Replace(h.configYAML(live), "session_timeout: 6s", "session_timeout: 2s", 1)
	y = strings.Replace(y, "max_records: 700", "max_records: 100", 1)
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"backfill", "--topic", "orders", "--partitions", "0-1", "--from-offset", "200", "--to-offset", "1200", "--id", "bf-kill"}
	for _, spec := range []string{"after-publish:3", "after-prepare:2", "after-stage:2"} {
		code, killed, out := runCmd(t, cfgPath, spec, args...)
		if !killed {
			t.Fatalf("backfill with failpoint %s was not killed: exit %d\n%s", spec, code, out)
		}
		if got := h.committed(live); !equalOffsets(got, liveBefore) {
			t.Fatalf("after the kill at %s the live group committed %v, was %v", spec, got, liveBefore)
		}
	}
	code, _, out := runCmd(t, cfgPath, "", args...)
	t.Logf("backfill after two kills: exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("resumed backfill: exit %d", code)
	}
	bfRoot := h.root + ".backfill/bf-kill"
	want := map[verify.TP][2]int64{{Topic: "orders", Partition: 0}: {200, 1200}, {Topic: "orders", Partition: 1}: {200, 1200}}
	checkExactRange(t, backfillOffsets(t, bfRoot), want)
	if got := h.committed(live + ".backfill.bf-kill"); got[verify.TP{Topic: "orders", Partition: 0}] != 1200 || got[verify.TP{Topic: "orders", Partition: 1}] != 1200 {
		t.Errorf("backfill progress %v, want partitions 0 and 1 at 1200", got)
	}
	if got := h.committed(live); !equalOffsets(got, liveBefore) {
		t.Errorf("live group committed %v, was %v", got, liveBefore)
	}
	cmd := exec.Command(binary(t), "audit", "--output", bfRoot)
	if out, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("kafka2hdfs audit --output %s: exit %d\n%s", bfRoot, cmd.ProcessState.ExitCode(), out)
	}
	h.check()
}
