package e2e

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
)

// The README's exit-code table is what scripts, systemd units and cron wrappers rely on. Every code
// it lists is produced here by the real binary in a situation the table names, and every code
// produced here is in the table.
func TestExitCodeTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []int
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\d+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		n, _ := strconv.Atoi(m[1])
		documented = append(documented, n)
	}
	if len(documented) < 5 {
		t.Fatalf("the README's exit-code table has %v; want a row per code", documented)
	}

	h := newHarness(t, "orders", 2)
	h.produce(1_000, 0)
	dir := t.TempDir()
	write := func(name, yaml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", h.configYAML("g-codes"))
	file := write("a-file", "")
	unwritable := write("unwritable.yaml", strings.Replace(h.configYAML("g-codes-unwritable"), "root: "+h.root, "root: "+filepath.Join(file, "out"), 1))
	typo := write("typo.yaml", strings.Replace(h.configYAML("g-codes-typo"), "  - name: orders\n", "  - name: ordres\n", 1))
	// Its own root: a new group resumes after the files it finds.
	allBad := write("all-bad.yaml", strings.Replace(strings.Replace(h.configYAML("g-codes-bad"), "    schema:", "    schema:\n      - {name: userid, type: string, required: true}", 1),
		"root: "+h.root, "root: "+filepath.Join(dir, "all-bad"), 1))

	run := func(args ...string) (int, string) {
		cmd := exec.Command(binary(t), args...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	batch := func(cfg string, extra ...string) func() (int, string) {
		return func() (int, string) {
			return run(append([]string{"batch", "--config", cfg, "--progress", "none", "--log-level", "warn"}, extra...)...)
		}
	}
	scenarios := []struct {
		name string
		want int
		run  func() (int, string)
	}{
		{"batch stopped by --max-records with progress committed", 4, batch(good, "--max-records", "300")},
		{"batch done", 0, batch(good)},
		{"output root under a regular file", 1, batch(unwritable, "--max-duration", "30s")},
		{"every record a dead letter", 1, batch(allBad)},
		{"namenode unreachable", 1, batch(good, "--output", "hdfs://"+deadAddr(t)+"/out")},
		{"unknown flag", 2, batch(good, "--nope")},
		{"unknown command", 2, func() (int, string) { return run("frobnicate") }},
		{"unparsable flag value", 2, batch(good, "--max-records", "abc")},
		{"configured topic not in the cluster", 2, batch(typo)},
		{"config file missing", 2, batch(filepath.Join(dir, "missing.yaml"))},
		{"audit of a damaged file", 3, func() (int, string) {
			damageOneFile(t, h.root)
			return run("audit", "--deep", "--output", h.root)
		}},
		{"second signal while draining", 130, func() (int, string) { return secondSignal(t, good) }},
	}
	produced := map[int]bool{}
	for _, sc := range scenarios {
		code, out := sc.run()
		t.Logf("%s: exit %d\n%s", sc.name, code, lastLines(out, 6))
		if code != sc.want {
			t.Errorf("%s: exit %d, want %d; output:\n%s", sc.name, code, sc.want, lastLines(out, 30))
		}
		if !slices.Contains(documented, sc.want) {
			t.Errorf("%s exits %d, which the README's table does not list", sc.name, sc.want)
		}
		produced[sc.want] = true
	}
	for _, c := range documented {
		if !produced[c] {
			t.Errorf("the README documents exit %d, but no scenario here produces it", c)
		}
	}
}

// damageOneFile truncates the first final Parquet file under root.
func damageOneFile(t *testing.T, root string) {
	t.Helper()
	var victim string
	_ = filepath.WalkDir(filepath.Join(root, "orders"), func(p string, d os.DirEntry, err error) error {
		if err == nil && victim == "" && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
			victim = p
		}
		return nil
	})
	if victim == "" {
		t.Fatal("no final file to damage")
	}
	if err := os.Truncate(victim, 100); err != nil {
		t.Fatal(err)
	}
}

// secondSignal starts a batch whose first commit is held for a minute, signals it once (it starts
// draining, which waits for that commit) and again: the second signal exits at once with 130.
func secondSignal(t *testing.T, cfg string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), "batch", "--config", cfg, "--progress", "none", "--log-level", "info", "--group", "g-codes-signal",
		"--output", t.TempDir())
	cmd.Env = append(os.Environ(), failpoint.EnvVar+"=before-prepare:1:sleep=60s")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer func() { _ = cmd.Process.Kill(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "msg=assigned") {
		if time.Now().After(deadline) {
			t.Fatalf("not assigned within 30s:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // consuming; the first flush is now held in the failpoint
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit within 20s of the second signal:\n%s", out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// deadAddr is a local address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
