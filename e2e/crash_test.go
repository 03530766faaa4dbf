package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real kafka2hdfs command once per test process (with -race when the tests run
// with it, so the subprocess is checked too), with failpoints compiled in (the failpoints build
// tag), since the crash and fault tests arm them through its environment.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary: not in the -short inner loop")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kafka2hdfs-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kafka2hdfs")
		args := []string{"build", "-tags", "failpoints", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "github.com/kafka2hdfs/kafka2hdfs/cmd/kafka2hdfs")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build kafka2hdfs: %v", buildErr)
	}
	return binPath
}

// runBinary runs `kafka2hdfs batch` with the failpoint armed (spec "" for none) and reports whether
// the process was killed by it.
func (h *harness) runBinary(t *testing.T, cfgPath, spec string) (killed bool) {
	t.Helper()
	code, killed, out := runCmd(t, cfgPath, spec, "batch")
	if killed {
		return true
	}
	if code != 0 {
		t.Fatalf("kafka2hdfs batch (failpoint %q): exit %d; output:\n%s", spec, code, out)
	}
	if testing.Verbose() {
		t.Logf("batch output (failpoint %q):\n%s", spec, out)
	}
	return false
}

// The process is killed (SIGKILL: nothing flushed, nothing closed) at each step of the commit
// protocol, and in the middle of recovering from such a kill; every restart must finish the job
// with every offset exactly once.
func TestKillBetweenProtocolSteps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		points []string // armed on successive runs; each run must be killed by its point
	}{
		{"after stage", []string{"after-stage:3"}},
		{"before prepare", []string{"before-prepare:3"}},
		{"after prepare", []string{"after-prepare:3"}},
		{"mid publish", []string{"mid-publish:3"}},
		{"after publish", []string{"after-publish:3"}},
		{"after commit", []string{"after-commit:3"}},
		{"during recovery, before publish", []string{"after-prepare:2", "recover-before-publish:1"}},
		{"during recovery, after publish", []string{"after-prepare:2", "recover-after-publish:1"}},
		{"twice in a row", []string{"mid-publish:2", "recover-after-publish:1", "after-publish:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "clicks", 3)
			h.produce(4_000, 40)
			cfgPath := filepath.Join(t.TempDir(), "config.yaml")
			// A killed member does not leave the group: the next run's join waits for its session
			// to time out, so keep sessions short here.
			cfgYAML := strings.Replace(h.configYAML("g-crash"), "session_timeout: 6s", "session_timeout: 2s", 1)
			if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.points {
				if !h.runBinary(t, cfgPath, p) {
					t.Fatalf("failpoint %s was never reached: the run finished without being killed", p)
				}
			}
			if h.runBinary(t, cfgPath, "") {
				t.Fatal("the clean run was killed")
			}
			h.check()
			if got := h.committed("g-crash"); !equalOffsets(got, h.produced) {
				t.Errorf("committed %v, want the log ends %v", got, h.produced)
			}
		})
	}
}

// Rows spilled to local disk belong to a step that is not committed: a kill while they are there
// (and a kill while a step holding them is staged) loses nothing and duplicates nothing, because
// the next run replays the step from Kafka; and the spill files, which have no name (O_TMPFILE),
// vanish with the process, even when other partitions are creating theirs at the kill.
func TestKillWhileSpilled(t *testing.T) {
	t.Parallel()
	markStart(t)
	h := newHarness(t, "wide", 2)
	h.seed++
	if err := h.produceWith(8_000, 0, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	spillDir := t.TempDir()
	cfgYAML := strings.NewReplacer(
		"session_timeout: 6s", "session_timeout: 2s",
		"max_records: 700\n  max_age: 300ms\n  allowed_lateness: 1m", "max_records: 3000\n  max_age: 1h\n  allowed_lateness: 1000h",
		"output:\n", "output:\n  row_group_size: 128KiB\n",
		"log:\n", "memory:\n  max_buffered_bytes: 1MiB\n  spill_dir: "+spillDir+"\nlog:\n",
	).Replace(h.configYAML("g-spill"))
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	points := []string{"after-spill:40", "after-stage:2", "after-spill:5"}
	for _, p := range points {
		if !h.runBinary(t, cfgPath, p) {
			t.Fatalf("failpoint %s was never reached: the run finished without being killed", p)
		}
		if left, _ := os.ReadDir(spillDir); len(left) != 0 {
			t.Fatalf("after the kill at %s the spill directory holds %d entries", p, len(left))
		}
	}
	if h.runBinary(t, cfgPath, "") {
		t.Fatal("the clean run was killed")
	}
	h.prove(t, "g-spill", "SIGKILL with rows spilled (batch binary, 1 MiB budget, 48 hourly buckets)",
		fmt.Sprintf("%d SIGKILLs, at failpoints %s (at a spill, after a step was staged, at a spill); spill directory empty after each",
			len(points), strings.Join(points, ", ")))
}
