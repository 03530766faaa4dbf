package e2e

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// A configured topic name that is not in the cluster is a configuration mistake, even when another
// configured topic exists: `topics: [orders, ordres]` must not load orders and exit 0.
func TestMisspelledTopicFails(t *testing.T) {
	h := newHarness(t, "orders", 1)
	h.produce(100, 0)
	cfg := h.config("g-typo")
	typo := cfg.Topics[0]
	typo.Name = "ordres"
	cfg.Topics = append(cfg.Topics, typo)
	m := h.startBatch("typo", cfg, nil)
	err := m.wait(t, 30*time.Second)
	if !errors.Is(err, consumer.ErrUnknownTopic) || !strings.Contains(err.Error(), `"ordres"`) {
		t.Fatalf("Run = %v, want ErrUnknownTopic naming ordres", err)
	}
	if n := sumOffsets(h.committed("g-typo")); n > 0 {
		t.Errorf("committed %d records, want none: the run must stop before loading", n)
	}
}

// failingFS fails every Create of a Parquet file once armed, as a full disk would.
type failingFS struct {
	storage.FS
	armed atomic.Bool
}

func (f *failingFS) Create(ctx context.Context, name string) (storage.File, error) {
	if f.armed.Load() && strings.HasSuffix(name, ".parquet") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	return f.FS.Create(ctx, name)
}

// An output root that cannot take a file fails the start at once, naming the path and the OS
// error, before anything is consumed.
func TestUnwritableRootFailsAtStart(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(200, 0)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := h.config("g-unwritable")
	cfg.Output.Root = filepath.Join(file, "out")
	m := h.startBatch("unwritable", cfg, func(o *consumer.Options) { o.MaxDuration = time.Minute })
	err := m.wait(t, 20*time.Second)
	if err == nil || errors.Is(err, consumer.ErrStoppedEarly) || !strings.Contains(err.Error(), file) ||
		!strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Run = %v, want a failure naming %s and the OS error", err, file)
	}
	if s := m.g.Stats().Summary(); s.Consumed != 0 {
		t.Errorf("consumed %d records before failing, want 0", s.Consumed)
	}
}

// A filesystem that starts refusing writes after the start fails the run within RetryFor, with
// the path and the OS error, whether or not a time box would have stopped it first: a time box
// that finds partitions failing without a commit since is not "progress is committed" (exit 4).
func TestPersistentWriteFailureFailsRun(t *testing.T) {
	for _, tc := range []struct {
		name     string
		box      time.Duration
		retryFor time.Duration
	}{
		{"retry bound", 0, 3 * time.Second},
		{"time box first", 2 * time.Second, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "orders", 2)
			h.produce(2_000, 0)
			opts, err := h.config("g-enospc").GroupOptions(true, slog.New(slog.NewTextHandler(testWriter{t, "enospc"}, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			ffs := &failingFS{FS: opts.FS}
			ffs.armed.Store(true)
			opts.FS, opts.MaxDuration, opts.RetryFor = ffs, tc.box, tc.retryFor
			start := time.Now()
			m := h.launch("enospc", opts)
			err = m.wait(t, 60*time.Second)
			took := time.Since(start)
			if err == nil || errors.Is(err, consumer.ErrStoppedEarly) || !errors.Is(err, syscall.ENOSPC) ||
				!strings.Contains(err.Error(), "_staging") {
				t.Fatalf("Run = %v, want a failure with the staging path and ENOSPC", err)
			}
			t.Logf("failed after %s: %v", took.Round(time.Millisecond), err)
			if took > 30*time.Second {
				t.Errorf("failed after %s, want about %s", took, min(tc.retryFor, tc.box+10*time.Second))
			}
			s := m.g.Stats().Summary()
			if s.Published != 0 || s.Files != 0 || s.Written == 0 {
				t.Errorf("summary: %d rows written, %d published in %d files; want rows written, none published", s.Written, s.Published, s.Files)
			}
			if n := sumOffsets(h.committed("g-enospc")); n > 0 {
				t.Errorf("committed %d", n)
			}
		})
	}
}

// The cron wrapper alerts when the output root cannot take files (exit 1), quoting the reason:
// such a run used to loop, then exit 4, which the wrapper took for success.
func TestCronWrapperAlertsOnUnwritableRoot(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock not installed")
	}
	h := newHarness(t, "orders", 2)
	h.produce(500, 0)
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "orders.yaml")
	yaml := strings.Replace(h.configYAML("g-cron-unwritable"), "root: "+h.root, "root: "+filepath.Join(file, "out"), 1)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("../scripts/kafka2hdfs-cron.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, cfgPath, "--max-duration", "30s", "--progress", "none")
	cmd.Env = append(os.Environ(), "KAFKA2HDFS_BIN="+binary(t), "KAFKA2HDFS_LOG="+filepath.Join(dir, "orders.log"),
		"KAFKA2HDFS_LOCK="+filepath.Join(dir, "orders.lock"), "KAFKA2HDFS_ALERT=echo ALERT:")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	t.Logf("wrapper output:\n%s", out)
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("wrapper exit %d, want 1", code)
	}
	if !strings.Contains(string(out), "ALERT: kafka2hdfs orders: batch failed") || !strings.Contains(string(out), "not a directory") {
		t.Errorf("wrapper did not alert with the reason")
	}
}

// A run whose records all go to dead letters (a schema that matches nothing) fails by default,
// and the summary names the reasons: it used to exit 0 with every record in _errors.
func TestAllDeadLettersFailsByDefault(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(2_000, 0)
	cfg := h.config("g-all-bad")
	cfg.Topics[0].Schema = append(cfg.Topics[0].Schema, schema.Column{Name: "userid", Type: "string", Required: true})
	m := h.startBatch("all-bad", cfg, nil)
	err := m.wait(t, 60*time.Second)
	if !errors.Is(err, consumer.ErrTooManyBadRecords) || !strings.Contains(err.Error(), "errors.max_bad_share") {
		t.Fatalf("Run = %v, want ErrTooManyBadRecords naming errors.max_bad_share", err)
	}
	s := m.g.Stats().Summary()
	if len(s.BadReasons) == 0 || s.BadReasons[0].Count == 0 || !strings.Contains(s.BadReasons[0].Reason, "userid") {
		t.Errorf("top dead-letter reasons %+v, want the userid column first", s.BadReasons)
	}
}

// The process is killed with a step prepared, then the staging area is wiped (the HDFS was reset,
// someone removed _staging). The next run used to loop forever on "staging file is gone"; now it
// re-reads the step from Kafka, says so, and finishes with every offset exactly once.
func TestStagingLostAfterPrepareIsReread(t *testing.T) {
	// One partition: with more, another partition may be killed half-way through publishing its
	// step, and a step partly published when its staging files are lost is ErrStepLost (exit 1,
	// a person decides), not a re-read (TestRecoverPendingStepLost).
	h := newHarness(t, "clicks", 1)
	h.produce(3_000, 0)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfgYAML := strings.Replace(h.configYAML("g-wiped"), "session_timeout: 6s", "session_timeout: 2s", 1)
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if !h.runBinary(t, cfgPath, "after-prepare:2") {
		t.Fatal("the run was not killed after a prepare")
	}
	if err := os.RemoveAll(filepath.Join(h.root, "_staging")); err != nil {
		t.Fatal(err)
	}
	code, killed, out := runCmd(t, cfgPath, "", "batch")
	if killed || code != 0 {
		t.Fatalf("batch after the wipe: exit %d; output:\n%s", code, lastLines(out, 40))
	}
	if !strings.Contains(out, "re-reading it from Kafka") {
		t.Errorf("the run did not say it re-read the lost step:\n%s", lastLines(out, 40))
	}
	h.check()
	if got := h.committed("g-wiped"); !equalOffsets(got, h.produced) {
		t.Errorf("committed %v, want the log ends %v", got, h.produced)
	}
}

// A member that stops answering (frozen, or killed without leaving) holds its partitions until its
// session times out; a new member's join waits that long. It used to wait in silence: now it says
// what it waits for while it waits.
func TestJoinWaitIsLogged(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(500, 0)
	cfgPath := h.writeConfig(t, "g-join-wait", 6*time.Second, nil)
	a := spawn(t, "frozen", "run", cfgPath, "")
	if !a.waitFor("msg=assigned", 30*time.Second) {
		t.Fatalf("the first member was not assigned partitions:\n%s", a.tail(4000))
	}
	a.signal(syscall.SIGSTOP)
	defer a.kill()

	var logs syncBuffer
	cfg := h.config("g-join-wait")
	opts, err := cfg.GroupOptions(true, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	opts.ConnectLogEvery = 500 * time.Millisecond
	m := h.launch("joiner", opts)
	m.finish(t, 60*time.Second)
	if !strings.Contains(logs.String(), "waiting for the group to assign partitions") {
		t.Errorf("the join wait was not logged:\n%s", logs.String())
	}
}

// batch is a static group member by default (group.instance.id of the host and group): a run that
// follows a crashed one takes the partitions back at once, instead of waiting for the dead
// member's session to time out (20s here) with nothing to do.
func TestBatchRestartAfterCrashIsImmediate(t *testing.T) {
	h := newHarness(t, "clicks", 2)
	h.produce(3_000, 0)
	cfgPath := h.writeConfig(t, "g-static", 20*time.Second, func(y string) string {
		return strings.Replace(y, "rebalance_timeout: 20s", "rebalance_timeout: 40s", 1)
	})
	if !h.runBinary(t, cfgPath, "after-commit:2") {
		t.Fatal("the first run was not killed")
	}
	start := time.Now()
	code, killed, out := runCmd(t, cfgPath, "", "batch")
	took := time.Since(start)
	if killed || code != 0 {
		t.Fatalf("restart: exit %d; output:\n%s", code, lastLines(out, 30))
	}
	t.Logf("the restart took %s", took.Round(time.Millisecond))
	if took > 12*time.Second {
		t.Errorf("the restart took %s: it waited for the dead member's session (20s)\n%s", took, lastLines(out, 30))
	}
	if !strings.Contains(out, "static group membership") {
		t.Errorf("the restart is not a static member:\n%s", lastLines(out, 30))
	}
	h.check()
	if got := h.committed("g-static"); !equalOffsets(got, h.produced) {
		t.Errorf("committed %v, want the log ends %v", got, h.produced)
	}
}
