package e2e

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/config"
)

// `kafka2hdfs run` holds everything in open files (no limit is reached), then gets SIGTERM: it must
// stop fetching, flush, commit and exit 0, with every record in the output.
func TestRunDrainsOnSIGTERM(t *testing.T) {
	h := newHarness(t, "clicks", 3)
	h.produce(3_000, 100)
	addr := freeAddr(t)
	cfgYAML := strings.Replace(h.configYAML("g-drain"), "max_records: 700\n  max_age: 300ms\n  allowed_lateness: 1m",
		"max_records: 1000000\n  max_age: 1h\n  allowed_lateness: 100h", 1)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "run", "--config", cfgPath, "--metrics-addr", addr)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Wait until everything is consumed (and so held in open, unflushed files).
	deadline := time.Now().Add(60 * time.Second)
	for metric(t, addr, "kafka2hdfs_records_consumed_total") < float64(h.total()) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("not everything consumed within 60s; output:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := metric(t, addr, "kafka2hdfs_files_published_total"); n != 0 {
		t.Fatalf("%v files published before the signal; the test wants everything held open", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run exited with %v after SIGTERM, want 0; output:\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("run did not exit within 60s of SIGTERM; output:\n%s", out.String())
	}
	// It says it is draining, and what it did.
	for _, want := range []string{"draining", "records consumed: 3000", "rows published:   "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run's output lacks %q:\n%s", want, out.String())
		}
	}
	h.check()
	if got := h.committed("g-drain"); !equalOffsets(got, h.produced) {
		t.Errorf("committed %v, want %v", got, h.produced)
	}
}

// Events spread over two days fill an hourly bucket each, with a budget far below what the load
// needs. With a spill directory the budget moves rows to disk instead of cutting files: every
// partition commits once, at the end, one file per bucket, and no flush is forced by memory.
// Without one, the partition must flush early and wait. Either way the budget is never exceeded
// by more than what a partition adds before it sees it is over, and nothing is lost or duplicated.
func TestMemoryBudgetHolds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spill bool
	}{{"spill", true}, {"no spill", false}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "wide", 2)
			h.seed++
			if err := h.produceWith(20_000, 0, 48*time.Hour); err != nil {
				t.Fatal(err)
			}
			cfg := h.config("g-budget")
			cfg.Rotation.MaxRecords = 1_000_000
			cfg.Rotation.MaxAge = config.Duration(time.Hour)
			cfg.Rotation.AllowedLateness = config.Duration(1000 * time.Hour) // buckets never close by time
			cfg.Output.RowGroupSize = 128 << 10
			cfg.Memory.MaxBufferedBytes = 2 << 20
			cfg.Memory.SpillDir = config.SpillOff
			if tc.spill {
				cfg.Memory.SpillDir = t.TempDir()
			}
			m := h.start("budget", cfg, true)
			if err := <-m.done; err != nil {
				t.Fatal(err)
			}
			m.cancel = nil
			h.check()
			sum := m.g.Stats().Summary()
			if tc.spill {
				if sum.Spills == 0 || len(sum.Flushes) != 1 || sum.Flushes["caught up"] != 2 {
					t.Errorf("spilled %d segments, flushes %v; want spills and only the final flush of each partition", sum.Spills, sum.Flushes)
				}
				if left, _ := os.ReadDir(string(cfg.Memory.SpillDir)); len(left) != 0 {
					t.Errorf("%d entries left in the spill directory", len(left))
				}
				if b := m.g.Budget(); b.Spill() != 0 {
					t.Errorf("%d spilled bytes still on the budget after the run", b.Spill())
				}
				// Every file is small here (a few hundred rows per partition and hour), and
				// every one was cut by the end of the run, none by memory.
				if len(sum.SmallFiles) != 1 || sum.SmallFiles["caught up"] != sum.Files {
					t.Errorf("small files by cut %v of %d files; want all cut by the end of the run", sum.SmallFiles, sum.Files)
				}
			} else if sum.Flushes["memory"] == 0 || sum.Spills != 0 || sum.SmallFiles["memory"] == 0 {
				t.Errorf("no flush was triggered by the memory budget (flushes %v, %d spills, small files %v)", sum.Flushes, sum.Spills, sum.SmallFiles)
			}
			// What may go past the budget before a partition sees it is over, per partition: a
			// row group's growth, an arena chunk and one newly opened writer (well under 512 KiB
			// at this row group size).
			budget := m.g.Budget()
			slack := int64(2 * (128<<10 + 256<<10 + 512<<10))
			if peak := budget.PeakBytes(); peak > int64(cfg.Memory.MaxBufferedBytes)+slack {
				t.Errorf("peak buffered %d bytes, budget %d (+%d slack)", peak, cfg.Memory.MaxBufferedBytes, slack)
			}
			t.Logf("flushes %v, %d files, spilled %d bytes in %d segments (peak %d), peak open files %d, peak buffered bytes %d of %d",
				sum.Flushes, sum.Files, sum.Spilled, sum.Spills, sum.PeakSpill, budget.PeakFiles(), budget.PeakBytes(), cfg.Memory.MaxBufferedBytes)
		})
	}
}

// A new group over the same output root has no committed offsets: it must resume after the
// highest offset in the final file names, not load everything again.
func TestNewGroupResumesFromFileNames(t *testing.T) {
	h := newHarness(t, "clicks", 2)
	h.produce(2_000, 50)
	a := h.start("a", h.config("g-first"), true)
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	a.cancel = nil
	b := h.start("b", h.config("g-second"), true)
	if err := <-b.done; err != nil {
		t.Fatal(err)
	}
	b.cancel = nil
	if n := b.g.Stats().Summary().Consumed; n != 0 {
		t.Errorf("the second group consumed %d records, want 0 (all are in files already)", n)
	}
	h.check()
	if got := h.committed("g-second"); !equalOffsets(got, h.produced) {
		t.Errorf("second group committed %v, want %v", got, h.produced)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// metric reads one unlabelled-or-summed counter from a Prometheus text endpoint (0 if absent).
func metric(t *testing.T, addr, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}
