package e2e

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// startBatch is h.start for a batch member with its options adjusted (time boxes).
func (h *harness) startBatch(name string, cfg *config.Config, adjust func(*consumer.Options)) *member {
	h.t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{h.t, name}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts, err := cfg.GroupOptions(true, log, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if adjust != nil {
		adjust(&opts)
	}
	return h.launch(name, opts)
}

func sumOffsets(m map[verify.TP]int64) int64 {
	n := int64(0)
	for _, v := range m {
		n += v
	}
	return n
}

// checkCommittedPart requires the output to hold exactly the committed offsets of every partition,
// each once, and nothing beyond them.
func (h *harness) checkCommittedPart(group string) map[verify.TP]int64 {
	h.t.Helper()
	all := h.produced
	committed := h.committed(group)
	h.produced = committed
	h.check()
	h.produced = all
	return committed
}

// --max-records stops the batch after exactly that many records, all committed; the run reports
// ErrStoppedEarly, and the next batch loads the rest without a duplicate.
func TestBatchMaxRecordsStopsEarly(t *testing.T) {
	h := newHarness(t, "orders", 3)
	h.produce(3_000, 100)
	const group = "g-box-records"
	m := h.startBatch("boxed", h.config(group), func(o *consumer.Options) { o.MaxRecords = 1_000 })
	err := m.wait(t, 60*time.Second)
	if !errors.Is(err, consumer.ErrStoppedEarly) {
		t.Fatalf("Run = %v, want ErrStoppedEarly", err)
	}
	t.Logf("Run: %v", err)
	if s := m.g.Stats().Summary(); s.Consumed != 1_000 {
		t.Errorf("consumed %d records, want exactly --max-records=1000", s.Consumed)
	}
	committed := h.checkCommittedPart(group)
	if n := sumOffsets(committed); n != 1_000 {
		t.Errorf("committed %d records in all (%v), want 1000", n, committed)
	}

	m2 := h.startBatch("rest", h.config(group), nil)
	if err := m2.wait(t, 60*time.Second); err != nil {
		t.Fatalf("second batch: %v", err)
	}
	if got := h.committed(group); !equalOffsets(got, h.produced) {
		t.Fatalf("committed %v, want %v", got, h.produced)
	}
	h.check()
}

// --max-duration stops the batch at a commit boundary once the time is up: what was consumed is
// committed and in the output once, the run reports ErrStoppedEarly, and a later batch finishes.
func TestBatchMaxDurationStopsEarly(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(40_000, 0)
	const group = "g-box-duration"
	cfg := h.config(group)
	// Tiny steps (a staged file, a publish and two commits every 20 records) make the load take
	// well over the box on any machine, so it is cut short.
	cfg.Rotation.MaxRecords = 20
	m := h.startBatch("boxed", cfg, func(o *consumer.Options) { o.MaxDuration = 2 * time.Second })
	start := time.Now()
	err := m.wait(t, 60*time.Second)
	took := time.Since(start)
	if !errors.Is(err, consumer.ErrStoppedEarly) {
		t.Fatalf("Run = %v after %s, want ErrStoppedEarly", err, took)
	}
	t.Logf("Run: %v (after %s)", err, took.Round(time.Millisecond))
	committed := h.checkCommittedPart(group)
	n := sumOffsets(committed)
	if n == 0 || n >= h.total() {
		t.Fatalf("committed %d of %d records, want some progress and not all", n, h.total())
	}
	if s := m.g.Stats().Summary(); s.Consumed != n {
		t.Errorf("consumed %d but committed %d: the stop was not at a commit boundary", s.Consumed, n)
	}

	m2 := h.startBatch("rest", h.config(group), nil)
	if err := m2.wait(t, 120*time.Second); err != nil {
		t.Fatalf("second batch: %v", err)
	}
	if got := h.committed(group); !equalOffsets(got, h.produced) {
		t.Fatalf("committed %v, want %v", got, h.produced)
	}
	h.check()
}

// Two cron runs of the same group overlap: the second starts while the first is loading, with a
// later snapshot. They share the partitions through the group protocol; both finish done, and
// every record is in the output exactly once.
func TestOverlappingBatchRuns(t *testing.T) {
	h := newHarness(t, "clicks", 4)
	h.produce(30_000, 250)
	const group = "g-overlap"
	cfg := h.config(group)
	cfg.Rotation.MaxRecords = 200 // many small steps, so a is still loading when b joins
	a := h.startBatch("cron-a", cfg, nil)
	for a.g.Targets() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	h.produce(4_000, 250) // beyond a's snapshot, within b's
	h.waitCommitted(group, 0.05, 30*time.Second)
	b := h.startBatch("cron-b", cfg, nil)
	select {
	case <-a.done:
		t.Fatal("a finished before b started: the runs did not overlap; make the load bigger")
	default:
	}
	errA, errB := a.wait(t, 90*time.Second), b.wait(t, 90*time.Second)
	if errA != nil || errB != nil {
		t.Fatalf("a = %v, b = %v; want both done", errA, errB)
	}
	if got := h.committed(group); !equalOffsets(got, h.produced) {
		t.Fatalf("committed %v, want b's snapshot %v", got, h.produced)
	}
	rep := h.check()
	sa, sb := a.g.Stats().Summary(), b.g.Stats().Summary()
	t.Logf("a consumed %d, b consumed %d, %d data files; %d produced", sa.Consumed, sb.Consumed, len(rep.Files), h.total())
	if sa.Consumed == 0 || sb.Consumed == 0 {
		t.Errorf("a consumed %d, b %d: want both to have loaded part of the topic", sa.Consumed, sb.Consumed)
	}
	// A partition drains and commits before it moves, so normally nothing is consumed twice; a
	// step abandoned to a fence would be re-consumed by the new owner, which is still exactly once
	// in the output (checked above), so this is only reported.
	if re := sa.Consumed + sb.Consumed - h.total(); re != 0 {
		t.Logf("%d records consumed twice (an abandoned step), none written twice", re)
	}
}

// The binary maps a time box to exit 4 and prints the summary with the lag left per partition.
func TestBatchExitCodes(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(2_000, 0)
	const group = "g-exit"
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configYAML(group)), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(binary(t), append([]string{"batch", "--config", cfgPath, "--log-level", "warn"}, args...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	code, out := run("--max-records", "500")
	t.Logf("batch --max-records 500: exit %d\n%s", code, out)
	if code != 4 {
		t.Fatalf("exit %d, want 4", code)
	}
	for _, want := range []string{"stopped early", "--max-records 500 reached", "lag left:         1500 records", "committed "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out = run()
	t.Logf("batch: exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(out, "lag left:         0 records") {
		t.Errorf("output lacks a zero lag")
	}
	code, _ = run("--max-records", "-1")
	if code != 2 {
		t.Errorf("--max-records -1: exit %d, want 2", code)
	}
	h.check()
}

// batch shows its progress: log lines when asked (the default when stderr is not a terminal), a
// bar (records done / total, MB/s, ETA) when stderr is a terminal or --progress bar.
func TestBatchProgress(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(20_000, 0)
	for _, tc := range []struct{ group, mode, want string }{
		{"g-progress-log", "log", "msg=\"batch progress\" records="},
		{"g-progress-bar", "bar", "100%"},
	} {
		cfgPath := filepath.Join(t.TempDir(), "config.yaml")
		// Small steps so the run lasts long enough for a few updates.
		// Each run gets its own output root: a new group resumes after the files it finds.
		yaml := strings.Replace(h.configYAML(tc.group), "max_records: 700", "max_records: 50", 1)
		yaml = strings.Replace(yaml, "root: "+h.root, "root: "+t.TempDir(), 1)
		if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(binary(t), "batch", "--config", cfgPath, "--log-level", "info",
			"--progress", tc.mode, "--progress-every", "100ms")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", tc.mode, err, stderr.String())
		}
		t.Logf("--progress %s, stderr:\n%s", tc.mode, stderr.String())
		if !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "20000") {
			t.Errorf("--progress %s: stderr lacks %q and the total 20000", tc.mode, tc.want)
		}
		if !strings.Contains(stdout.String(), "records consumed: 20000") {
			t.Errorf("--progress %s: stdout lacks the summary:\n%s", tc.mode, stdout.String())
		}
	}
}

// SIGTERM stops a batch at a commit boundary like a time box: exit 4 while partitions are left,
// with what was loaded committed once.
func TestBatchSignalStopsEarly(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(40_000, 0)
	const group = "g-sigterm"
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	yaml := strings.Replace(h.configYAML(group), "max_records: 700", "max_records: 20", 1) // slow: tiny steps
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "batch", "--config", cfgPath, "--log-level", "warn", "--progress", "none")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h.waitCommittedAny(group, 30*time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	t.Logf("batch after SIGTERM: %v\n%s", err, out.String())
	if code := cmd.ProcessState.ExitCode(); code != 4 {
		t.Fatalf("exit %d after SIGTERM, want 4", code)
	}
	if !strings.Contains(out.String(), "interrupted by a signal") {
		t.Errorf("output does not say the run was interrupted")
	}
	committed := h.checkCommittedPart(group)
	if n := sumOffsets(committed); n == 0 || n >= h.total() {
		t.Errorf("committed %d of %d, want part", n, h.total())
	}
}

// waitCommittedAny waits until the group committed past offset 0 somewhere.
func (h *harness) waitCommittedAny(group string, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for sumOffsets(h.committed(group)) <= 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("group %s committed nothing within %s", group, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scripts/kafka2hdfs-cron.sh runs the real binary: a time-boxed run (exit 4) and a finished one are
// both fine (exit 0), a bad config alerts (exit 2), a run that finds the lock held is skipped, and
// every line of the log is timestamped.
func TestCronWrapper(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock not installed")
	}
	h := newHarness(t, "orders", 2)
	h.produce(2_000, 0)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "clicks.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configYAML("g-cron")), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath, lockPath := filepath.Join(dir, "log", "clicks.log"), filepath.Join(dir, "clicks.lock")
	script, err := filepath.Abs("../scripts/kafka2hdfs-cron.sh")
	if err != nil {
		t.Fatal(err)
	}
	wrap := func(args ...string) (int, string) {
		cmd := exec.Command(script, args...)
		cmd.Env = append(os.Environ(), "KAFKA2HDFS_BIN="+binary(t), "KAFKA2HDFS_LOG="+logPath, "KAFKA2HDFS_LOCK="+lockPath,
			"KAFKA2HDFS_ALERT=echo ALERT:")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := wrap(cfgPath, "--max-records", "300", "--progress", "none"); code != 0 {
		t.Errorf("time-boxed run: wrapper exit %d, want 0\n%s", code, out)
	}
	if code, out := wrap(cfgPath, "--progress", "none"); code != 0 {
		t.Errorf("finishing run: wrapper exit %d, want 0\n%s", code, out)
	}
	if code, out := wrap(filepath.Join(dir, "missing.yaml")); code != 2 || !strings.Contains(out, "ALERT: kafka2hdfs missing: bad configuration") {
		t.Errorf("bad config: wrapper exit %d, want 2 and an alert\n%s", code, out)
	}
	// Hold the lock as a running wrapper would.
	holder := exec.Command("flock", lockPath, "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	time.Sleep(300 * time.Millisecond)
	if code, out := wrap(cfgPath); code != 0 {
		t.Errorf("locked: wrapper exit %d, want 0\n%s", code, out)
	}

	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	t.Logf("%s:\n%s", logPath, log)
	for _, want := range []string{"stopped early by a time box", "done in", "lag left:         0 records", "ALERT: bad configuration", "still holds"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ `)
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if !stamp.MatchString(line) {
			t.Errorf("log line without a timestamp: %q", line)
		}
	}
	if got := h.committed("g-cron"); !equalOffsets(got, h.produced) {
		t.Errorf("committed %v, want %v", got, h.produced)
	}
	h.check()
}
