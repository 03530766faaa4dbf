package loadercli

import (
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// writeConfig writes a minimal valid config for one JSON topic and returns its path.
func writeConfig(t *testing.T, brokers, root string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	yaml := `kafka:
  brokers: [` + brokers + `]
  group: g
output:
  root: ` + root + `
topics:
  - name: clicks
    format: json
    schema:
      - {name: id, type: string}
`
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runApp(t *testing.T, args ...string) error {
	t.Helper()
	app := newApp(settings{})
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	return app.RunContext(t.Context(), append([]string{"kafka2hdfs"}, args...))
}

// A NameNode that cannot be reached is a failed job (exit 1: systemd restarts it, cron alerts
// "failed"), not a configuration error (exit 2: "nothing to retry").
func TestUnreachableNameNodeExits1(t *testing.T) {
	cfg := writeConfig(t, deadAddr(t), "hdfs://"+deadAddr(t)+"/out")
	for _, args := range [][]string{{"batch", "--progress", "none"}, {"run"}, {"offsets", "show"}} {
		err := runApp(t, append(args, "--config", cfg, "--log-level", "error")...)
		if got := exitCode(err); got != exitFailed {
			t.Errorf("%s: exit %d (%v), want %d", args[0], got, err, exitFailed)
		}
	}
}

// validate proves the output root and the staging area take a file (exit 1 naming the path and
// the OS error when not), unless --offline.
func TestValidateChecksOutputWritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := writeConfig(t, "localhost:9092", filepath.Join(file, "out"))
	err := runApp(t, "validate", "--config", bad)
	if got := exitCode(err); got != exitFailed || !strings.Contains(fmt.Sprint(err), file) || !strings.Contains(fmt.Sprint(err), "not a directory") {
		t.Errorf("validate, root under a file: exit %d (%v), want %d naming %s and the OS error", got, err, exitFailed, file)
	}
	if err := runApp(t, "validate", "--offline", "--config", bad); err != nil {
		t.Errorf("validate --offline: %v, want no check of the root", err)
	}
	root := filepath.Join(t.TempDir(), "out")
	if err := runApp(t, "validate", "--config", writeConfig(t, "localhost:9092", root)); err != nil {
		t.Fatalf("validate, writable root: %v", err)
	}
	var left []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("validate left files behind: %v", left)
	}
}
