package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
)

// The release build (no failpoints tag) has failpoints compiled out: a failpoint armed in its
// environment, one that kills the tagged binary at its first commit step, is ignored, and the
// batch loads everything.
func TestReleaseBinaryIgnoresFailpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "kafka2hdfs")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/kafka2hdfs/kafka2hdfs/cmd/kafka2hdfs").CombinedOutput(); err != nil {
		t.Fatalf("build the release binary: %v\n%s", err, out)
	}
	h := newHarness(t, "clicks", 2)
	h.produce(1_000, 0)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(h.configYAML("g-release")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "batch", "--config", cfgPath, "--progress", "none")
	cmd.Env = append(os.Environ(), failpoint.EnvVar+"=after-stage:1,before-prepare:1:stop")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("release binary with %s set: %v\n%s", failpoint.EnvVar, err, out)
	}
	h.check()
	if got := h.committed("g-release"); !equalOffsets(got, h.produced) {
		t.Errorf("committed %v, want the log ends %v", got, h.produced)
	}
}
