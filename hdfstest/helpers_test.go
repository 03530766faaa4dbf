package hdfstest

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

// startCluster starts a cluster that logs to t (warnings and up; debug with HDFSTEST_DEBUG=1)
// and is closed when the test ends, after its clients (cleanups run last-in, first-out).
func startCluster(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Logger == nil {
		level := slog.LevelWarn
		if os.Getenv("HDFSTEST_DEBUG") != "" {
			level = slog.LevelDebug
		}
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
	}
	c, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	return c
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// newClient connects the real client to c; it is closed when the test ends.
func newClient(t testing.TB, c *Cluster) *hdfs.Client {
	t.Helper()
	cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// testData is n deterministic pseudo-random bytes.
func testData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// writeFile creates name and writes data in writes of chunk bytes.
func writeFile(t testing.TB, cl *hdfs.Client, name string, data []byte, chunk int) {
	t.Helper()
	w, err := cl.Create(name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	for off := 0; off < len(data); off += chunk {
		if _, err := w.Write(data[off:min(off+chunk, len(data))]); err != nil {
			t.Fatalf("write %s at %d: %v", name, off, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func readFile(t testing.TB, cl *hdfs.Client, name string) []byte {
	t.Helper()
	b, err := cl.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func checkBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Fatalf("%s: got %d bytes, want %d; first difference at byte %d", what, len(got), len(want), i)
}

// checkErr fails unless err matches target (errors.Is).
func checkErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// exception returns the Java exception class of a NameNode error, or "".
func exception(err error) string {
	var herr hdfs.Error
	if errors.As(err, &herr) {
		return herr.Exception()
	}
	return ""
}

// blockCount is the number of blocks the NameNode holds for a file.
func blockCount(t testing.TB, c *Cluster, name string) int {
	t.Helper()
	c.ns.mu.Lock()
	defer c.ns.mu.Unlock()
	parts, err := parsePath(name)
	if err != nil {
		t.Fatal(err)
	}
	n := c.ns.lookup(parts)
	if n == nil {
		t.Fatalf("%s does not exist", name)
	}
	return len(n.blocks)
}

// eventually retries f until it returns nil or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
