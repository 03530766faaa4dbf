package hdfstest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

func TestFailWriteAfter(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	// The failure hits the second block: the first one is finished and committed.
	data := testData(2<<20, 6)
	c.FailWriteAfter(1<<20 + 100000)
	w, err := cl.Create("/failing")
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for off := 0; off < len(data) && werr == nil; off += 100000 {
		_, werr = w.Write(data[off:min(off+100000, len(data))])
	}
	if werr == nil {
		werr = w.Close()
	}
	if werr == nil {
		t.Fatal("write and close succeeded despite the injected failure")
	}
	t.Logf("the client saw: %v", werr)

	// The file is still under construction, with the first block readable.
	fi, err := cl.Stat("/failing")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1<<20 {
		t.Errorf("size after the failure: got %d, want %d", fi.Size(), 1<<20)
	}
	checkBytes(t, "after the failure", readFile(t, cl, "/failing"), data[:1<<20])
	if _, err := newClient(t, c).Append("/failing"); exception(err) != classBeingCreated {
		t.Errorf("append by another client: got %v, want %s", err, classBeingCreated)
	}

	// The broken block never reaches a finalized replica, so Close cannot complete the file:
	// after the client has reported the stream error, a repeated Close gets ErrReplicating.
	for i := 0; ; i++ {
		err := w.Close()
		if hdfs.IsErrReplicating(err) {
			break
		}
		if i == 3 {
			t.Fatalf("repeated Close: got %v, want ErrReplicating", err)
		}
	}
	if err := cl.Remove("/failing"); err != nil {
		t.Fatalf("remove the broken file: %v", err)
	}

	// One-shot: the next write works.
	writeFile(t, cl, "/after", data, 1<<16)
	checkBytes(t, "after", readFile(t, cl, "/after"), data)
}

func TestFailWriteAfterZero(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	c.FailWriteAfter(0)
	w, err := cl.Create("/small")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("ten bytes!")); err != nil {
		t.Fatal(err) // buffered by the client: nothing reached the DataNode yet
	}
	err = w.Close()
	if err == nil || !strings.Contains(err.Error(), "ERROR") {
		t.Fatalf("close: got %v, want the DataNode's error ack", err)
	}
	if fi, err := cl.Stat("/small"); err != nil || fi.Size() != 0 {
		t.Errorf("stat after the failure: %v, %v", fi, err)
	}
}

func TestCompleteReplicating(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	data := testData(1<<20+5000, 7)
	c.CompleteReplicating(2)
	w, err := cl.Create("/replicating")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := w.Close(); !hdfs.IsErrReplicating(err) {
			t.Fatalf("close %d: got %v, want ErrReplicating", i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("third close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close after success: %v", err)
	}
	checkBytes(t, "replicating", readFile(t, cl, "/replicating"), data)
}

func TestRefuseConnections(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	live := newClient(t, c)
	// A call makes sure the server has accepted live's connection: refusal happens at accept
	// time, so a connection still in the listen backlog would be refused too.
	if _, err := live.Stat("/"); err != nil {
		t.Fatal(err)
	}

	const window = 500 * time.Millisecond
	c.RefuseConnections(window)
	end := time.Now().Add(window)

	// The handshake only writes, so NewClient may still succeed; then the first call fails.
	refused, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
	if err == nil {
		_, err = refused.Stat("/")
		refused.Close()
	}
	if err == nil {
		t.Error("a client connecting during the window could make a call")
	}
	// An established NameNode connection is not affected, but block transfers need new
	// DataNode connections.
	if _, err := live.Stat("/"); err != nil {
		t.Errorf("established connection during the window: %v", err)
	}
	w, err := live.Create("/during")
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write([]byte("data"))
	if werr == nil {
		werr = w.Close()
	}
	if werr == nil {
		t.Error("a block write during the window succeeded")
	}

	time.Sleep(time.Until(end) + 50*time.Millisecond)
	fresh := newClient(t, c)
	writeFile(t, fresh, "/after", []byte("after"), 10)
	if got := readFile(t, live, "/after"); string(got) != "after" {
		t.Errorf("after the window: got %q", got)
	}
}

func TestSetLatency(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	const d = 300 * time.Millisecond
	c.SetLatency(d)
	start := time.Now()
	if _, err := cl.Stat("/"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d {
		t.Errorf("Stat with %v latency took %v", d, took)
	}
	c.SetLatency(0)
	start = time.Now()
	if _, err := cl.Stat("/"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= d {
		t.Errorf("Stat without latency took %v", took)
	}

	// Close cuts a pending delay short instead of waiting it out.
	c.SetLatency(time.Hour)
	go cl.Stat("/")
	time.Sleep(50 * time.Millisecond)
	start = time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close with a delayed reply took %v", took)
	}
}

// TestCloseStopsGoroutines closes a cluster in the middle of everything (a block being
// written, a delayed NameNode reply, idle connections) and checks that none of its goroutines
// survive. It is not parallel, so the only cluster goroutines around are its own.
func TestCloseStopsGoroutines(t *testing.T) {
	c, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	w, err := cl.Create("/open")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(testData(200000, 8)); err != nil {
		t.Fatal(err)
	}
	idle, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	c.SetLatency(time.Hour)
	go idle.Stat("/")
	time.Sleep(50 * time.Millisecond)

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	eventually(t, time.Second, func() error {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "hdfstest.(*Cluster)") || strings.Contains(g, "hdfstest.(*dnConn)") {
				return fmt.Errorf("goroutine left after Close:\n%s", g)
			}
		}
		return nil
	})
}
