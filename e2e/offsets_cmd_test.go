package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

func (h *harness) adminEnv(group string) (*offsets.Protocol, sarama.Client, *sarama.Config, sarama.ClusterAdmin) {
	h.t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cl, err := sarama.NewClient(h.brokers, cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = admin.Close() }) // closes cl too
	fsys, root, err := storage.Open(h.root, storage.HDFSOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return &offsets.Protocol{FS: fsys, Paths: offsets.Paths{Root: root, Group: group}}, cl, cfg, admin
}

func (h *harness) runBatch(group string) {
	h.t.Helper()
	m := h.start("batch", h.config(group), true)
	if err := m.wait(h.t, 60*time.Second); err != nil {
		h.t.Fatalf("batch: %v", err)
	}
}

func (h *harness) binaryCmd(group string, args ...string) (int, string) {
	h.t.Helper()
	cfgPath := filepath.Join(h.t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configYAML(group)), 0o644); err != nil {
		h.t.Fatal(err)
	}
	// The config goes after the command words (offsets show, backfill), before the first flag.
	i := 0
	for i < len(args) && !strings.HasPrefix(args[i], "-") {
		i++
	}
	args = append(append(args[:i:i], "--config", cfgPath, "--log-level", "warn"), args[i:]...)
	cmd := exec.Command(binary(h.t), args...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		h.t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// offsets show reports, per partition, the committed offset, the highest offset in files, the log
// bounds and the lag in records and in time.
func TestOffsetsShow(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(1_000, 0)
	const group = "g-show"
	h.runBatch(group)
	loaded := copyOffsets(h.produced)
	h.produce(500, 0)

	proto, cl, cfg, _ := h.adminEnv(group)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // the sample events are of 2026-11-22
	states, err := kafkaoffsets.Show(context.Background(), proto, cl, cfg, []string{h.topic}, kafkaoffsets.ShowOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 {
		t.Fatalf("%d partitions, want 2", len(states))
	}
	total := int64(0)
	for _, s := range states {
		tp := verify.TP{Topic: s.TP.Topic, Partition: s.TP.Partition}
		if s.Committed != loaded[tp] || s.FilesEnd != loaded[tp]-1 || s.LogStart != 0 || s.LogEnd != h.produced[tp] {
			t.Errorf("%v: %+v; want committed %d, files end %d, log [0, %d]", tp, s, loaded[tp], loaded[tp]-1, h.produced[tp])
		}
		if s.Lag != h.produced[tp]-loaded[tp] {
			t.Errorf("%v: lag %d, want %d", tp, s.Lag, h.produced[tp]-loaded[tp])
		}
		if s.Meta != "clean" && !strings.HasPrefix(s.Meta, "run-start") {
			t.Errorf("%v: metadata %q", tp, s.Meta)
		}
		if s.Lag > 0 && (s.LagTime <= 0 || s.LagTime > 24*time.Hour) {
			t.Errorf("%v: lag time %s, want within the day of the sample events", tp, s.LagTime)
		}
		total += s.Lag
	}
	if total != 500 {
		t.Errorf("total lag %d, want 500", total)
	}

	code, out := h.binaryCmd(group, "offsets", "show")
	t.Logf("kafka2hdfs offsets show: exit %d\n%s", code, out)
	if code != 0 || !strings.Contains(out, "total lag: 500 records") {
		t.Errorf("offsets show: exit %d, output lacks the total lag", code)
	}
}

// offsets reset is refused while the group has members; with the group empty it moves the offsets,
// writes a reset record first, and refuses to go below the offsets in files unless forced.
func TestOffsetsReset(t *testing.T) {
	h := newHarness(t, "orders", 2)
	h.produce(1_000, 0)
	const group = "g-reset"
	proto, cl, cfg, admin := h.adminEnv(group)
	ctx := context.Background()

	live := h.start("live", h.config(group), false)
	h.waitCommitted(group, 1, 60*time.Second)
	_, err := kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "latest"})
	if !errors.Is(err, kafkaoffsets.ErrGroupActive) {
		t.Fatalf("reset with a live member = %v, want ErrGroupActive", err)
	}
	code, out := h.binaryCmd(group, "offsets", "reset", "--to", "latest")
	t.Logf("kafka2hdfs offsets reset --to latest (member live): exit %d\n%s", code, out)
	if code != 1 || !strings.Contains(out, "live members") {
		t.Errorf("binary reset with a live member: exit %d", code)
	}
	live.stop(t)
	loaded := copyOffsets(h.produced)

	// Skip ahead: 300 new records are never loaded, and the record says so.
	h.produce(300, 0)
	waitEmpty(t, admin, group)
	rec, err := kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "latest", By: "test"})
	if err != nil {
		t.Fatalf("reset to latest: %v", err)
	}
	if got := h.committed(group); !equalOffsets(got, h.produced) {
		t.Fatalf("committed %v after the reset, want the log ends %v", got, h.produced)
	}
	for _, p := range rec.Partitions {
		tp := verify.TP{Topic: p.Topic, Partition: p.Partition}
		if p.From != loaded[tp] || p.To != h.produced[tp] || p.FilesEnd != loaded[tp]-1 {
			t.Errorf("record %+v, want from %d to %d", p, loaded[tp], h.produced[tp])
		}
	}
	records := resetRecords(t, h.root, group)
	if len(records) != 1 || records[0].By != "test" || len(records[0].Partitions) != 2 {
		t.Fatalf("reset records %+v, want one of two partitions", records)
	}

	// A batch now loads nothing new: the skipped records stay out of the output.
	h.runBatch(group)
	all := h.produced
	h.produced = loaded
	h.checkAside(".kafka2hdfs")
	h.produced = all

	// Going back below the files is refused (it would duplicate), unless forced; a dry run
	// changes nothing.
	_, err = kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "earliest"})
	if !errors.Is(err, kafkaoffsets.ErrResetRefused) {
		t.Fatalf("reset below the files = %v, want ErrResetRefused", err)
	}
	code, out = h.binaryCmd(group, "offsets", "reset", "--to", "earliest")
	t.Logf("kafka2hdfs offsets reset --to earliest: exit %d\n%s", code, out)
	if code != 1 || !strings.Contains(out, "reset refused") {
		t.Errorf("binary reset below the files: exit %d", code)
	}
	if _, err = kafkaoffsets.Reset(ctx, proto, admin, cl, cfg, kafkaoffsets.ResetOptions{Topics: []string{h.topic}, To: "earliest", Force: true, DryRun: true}); err != nil {
		t.Fatalf("forced dry run: %v", err)
	}
	if got := h.committed(group); !equalOffsets(got, h.produced) {
		t.Fatalf("a dry run moved the offsets: %v", got)
	}
	code, out = h.binaryCmd(group, "offsets", "reset", "--to", "100", "--partitions", "1", "--force")
	t.Logf("kafka2hdfs offsets reset --to 100 --partitions 1 --force: exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("forced reset: exit %d", code)
	}
	got := h.committed(group)
	if p0, p1 := got[verify.TP{Topic: h.topic, Partition: 0}], got[verify.TP{Topic: h.topic, Partition: 1}]; p0 != h.produced[verify.TP{Topic: h.topic, Partition: 0}] || p1 != 100 {
		t.Errorf("committed %v, want partition 0 untouched and partition 1 at 100", got)
	}
	if n := len(resetRecords(t, h.root, group)); n != 2 {
		t.Errorf("%d reset records, want 2", n)
	}
	// The reset records do not disturb an audit of the root.
	cmd := exec.Command(binary(t), "audit", "--output", h.root)
	if out, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 0 {
		t.Errorf("kafka2hdfs audit: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
}

func waitEmpty(t *testing.T, admin sarama.ClusterAdmin, group string) {
	t.Helper()
	waitEmptyWithin(t, admin, group, 30*time.Second)
}

// waitEmptyWithin waits until group has no members.
func waitEmptyWithin(t *testing.T, admin sarama.ClusterAdmin, group string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ds, err := admin.DescribeConsumerGroups([]string{group})
		if err == nil && len(ds) == 1 && len(ds[0].Members) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s still has members: %v", group, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func resetRecords(t *testing.T, root, group string) []offsets.ResetRecord {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, offsets.ResetsDir, group, "*.json"))
	var out []offsets.ResetRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r offsets.ResetRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, r)
	}
	return out
}

// checkAside runs h.check with dir (root-relative) moved out of the root: internal/verify reads
// every file under the root as a step file and does not know the reset records yet.
func (h *harness) checkAside(dir string) {
	h.t.Helper()
	from, to := filepath.Join(h.root, dir), filepath.Join(h.t.TempDir(), "aside")
	if err := os.Rename(from, to); err != nil {
		h.t.Fatal(err)
	}
	defer func() {
		if err := os.Rename(to, from); err != nil {
			h.t.Fatal(err)
		}
	}()
	h.check()
}
