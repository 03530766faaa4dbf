package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/colinmarc/hdfs/v2"

	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// The real tier's scenarios (K2H_REAL=1, see realenv_test.go). Each injects its fault, proves the
// fault fired, and ends with proveReal: every offset exactly once through the HDFS client, the
// committed offsets at the log ends, a clean deep audit, and parquet-mr agreeing with our reader
// on every data file.
//
// The scenarios whose faults hit the shared servers (a DataNode killed, the NameNode restarted) run
// alone; the others run in parallel (-parallel), each on a topic, groups and root of its own.

// The binary is SIGKILLed at every failpoint of the commit protocol and inside recovery, against
// the real broker's offset commits and the real NameNode's renames.
func TestRealFailpointSequence(t *testing.T) {
	t.Parallel()
	markStart(t)
	failpointSequenceScenario(t, newRealHarness(t, "clicks", 3), "")
}

// Random SIGKILLs (at least 20) in one load.
func TestRealRandomKill(t *testing.T) {
	t.Parallel()
	markStart(t)
	randomKillScenario(t, newRealHarness(t, "clicks", 3), "")
}

// Members join and leave, gracefully and by SIGKILL, while records are produced: the real group
// coordinator's rebalances.
func TestRealRebalanceStorm(t *testing.T) {
	t.Parallel()
	markStart(t)
	rebalanceStormScenario(t, newRealHarness(t, "clicks", 6), "")
}

// A member paused past its session holding staged files, or a prepared step: the real broker must
// refuse its commits by the generation check.
func TestRealZombieIsFenced(t *testing.T) {
	theRealEnv(t)
	zombieScenarios(t, func(t *testing.T) *harness { return newRealHarness(t, "clicks", 3) }, "")
}

// A transactional producer's topic in batch mode: the batch ends at the last stable offset
// although that offset is a marker, and aborted records are not loaded.
func TestRealTransactionalBatch(t *testing.T) {
	t.Parallel()
	markStart(t)
	txnBatchScenario(t, newRealHarness(t, "payments", 2))
}

// A DataNode dies while members write: with three DataNodes and replication 3 every open block's
// pipeline includes it, so every file open at that moment loses a pipeline member mid-write.
func TestRealDataNodeKilled(t *testing.T) {
	markStart(t)
	h := newRealHarness(t, "clicks", 3)
	e := h.real
	group := h.g("g-real-dn")
	// Steps of a few seconds, so files stay open while the DataNode dies.
	cfg := h.configEdited(group, func(y string) string {
		return strings.Replace(y, "max_records: 700\n  max_age: 300ms", "max_records: 100000\n  max_age: 3s", 1)
	})
	m := h.startLogged("loader", cfg, false)
	h.more(3_000, 100)
	h.waitCommitted(group, 0.3, 2*time.Minute)

	// Keep producing while the DataNode dies, so files are open and being written.
	var wg sync.WaitGroup
	var prodErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20 && prodErr == nil; i++ {
			time.Sleep(150 * time.Millisecond)
			prodErr = h.produceNext(300, 100)
		}
	}()
	time.Sleep(time.Second)
	status := e.hdfsControl(t, "kill-datanode?n=1")
	t.Cleanup(func() { e.hdfsControl(t, "restart-datanode?n=1") })
	wg.Wait()
	if prodErr != nil {
		t.Fatal(prodErr)
	}
	h.waitCommitted(group, 1, 3*time.Minute)
	m.stop(t)
	if !strings.Contains(e.hdfsControl(t, "status"), `"alive":false`) {
		t.Fatalf("the killed DataNode is not reported dead; status: %s (kill answered %s)", e.hdfsControl(t, "status"), status)
	}
	// Every pipeline includes the dead DataNode until the NameNode declares it dead, and the Go
	// client does not recover a pipeline: the open files' steps must have failed and been replayed.
	failed := m.count("partition stopped")
	if failed == 0 {
		t.Errorf("no step failed after the DataNode died: the fault did not reach an open file")
	}
	h.prove(t, group, "DataNode killed mid-file (in-process member, run mode)",
		fmt.Sprintf("1 of 3 DataNodes stopped while files were open; %d failed steps replayed", failed))
}

// The NameNode restarts while a member loads: every call fails until it is back, and the load
// must finish with nothing lost or duplicated.
func TestRealNameNodeRestart(t *testing.T) {
	markStart(t)
	h := newRealHarness(t, "clicks", 3)
	e := h.real
	group := h.g("g-real-nn")
	m := h.startLogged("loader", h.config(group), false)
	h.more(3_000, 100)
	h.waitCommitted(group, 0.3, 2*time.Minute)
	h.more(3_000, 100)
	began := time.Now()
	e.hdfsControl(t, "restart-namenode")
	took := time.Since(began)
	h.more(2_000, 100)
	h.waitCommitted(group, 1, 3*time.Minute)
	m.stop(t)
	t.Logf("NameNode restart took %s; member log lines with errors: %d", took.Round(time.Millisecond), m.count("err="))
	h.prove(t, group, "NameNode restart mid-load (in-process member, run mode)",
		fmt.Sprintf("NameNode restarted (%s down) while loading", took.Round(100*time.Millisecond)))
}

// The binary is killed while it holds an open HDFS file (a staging file with a row group written,
// whose lease the dead process keeps until the NameNode's soft limit). The next run must not wait
// for the lease: it removes the file and replays the step.
func TestRealKilledHoldingOpenFile(t *testing.T) {
	t.Parallel()
	markStart(t)
	h := newRealHarness(t, "wide", 2)
	h.more(8_000, 100)
	group := h.g("g-real-lease")
	cfgPath := h.writeConfig(t, group, 2*time.Second, func(y string) string {
		y = strings.Replace(y, "max_records: 700\n  max_age: 300ms", "max_records: 100000\n  max_age: 1h", 1)
		return strings.Replace(y, "output:\n", "output:\n  row_group_size: 64KiB\n", 1)
	})
	p := spawn(t, "holder", "batch", cfgPath, "after-row-group:3")
	if err := p.wait(2 * time.Minute); !p.killedBy(syscall.SIGKILL) {
		t.Fatalf("the run was not killed at after-row-group (exit %v); output:\n%s", err, p.tail(6000))
	}
	// Prove the dead process's lease: the NameNode refuses to let anyone else append to the file.
	_, root := h.outputFS()
	open := openStagingFiles(t, h, root)
	if open == 0 {
		t.Fatalf("no staging file under %s is still under construction after the kill", root)
	}
	began := time.Now()
	final := spawn(t, "after", "batch", cfgPath, "")
	if err := final.wait(3 * time.Minute); err != nil {
		t.Fatalf("the run after the kill: %v; output:\n%s", err, final.tail(8000))
	}
	took := time.Since(began)
	if took > 55*time.Second {
		t.Errorf("the run after the kill took %s: it waited for the dead process's lease (soft limit 60s)", took)
	}
	if len(final.lines("removed orphan staging file")) == 0 {
		t.Errorf("the run after the kill removed no orphan staging file; output:\n%s", final.tail(6000))
	}
	h.prove(t, group, "SIGKILL holding an open HDFS file (batch binary)",
		fmt.Sprintf("1 SIGKILL at after-row-group:3; %d staging files still under the dead process's lease; the next run finished in %s",
			open, took.Round(100*time.Millisecond)))
}

// openStagingFiles counts the staging files under root (a path on the real HDFS) whose lease a
// dead writer still holds: an append by another client is refused while the NameNode considers
// the file being written.
func openStagingFiles(t *testing.T, h *harness, root string) int {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{h.real.namenode}, User: u.Username})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	n := 0
	err = cl.Walk(root+"/_staging", func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		w, aerr := cl.Append(path)
		if aerr == nil {
			t.Logf("%s: append allowed: not under a lease", path)
			return w.Close()
		}
		t.Logf("%s: append refused: %v", path, aerr)
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s/_staging: %v", root, err)
	}
	return n
}

// Kafka caps commit metadata (offset.metadata.max.bytes, 4096 by default). The real broker must
// refuse a commit over it, so the loader's inline limit must stay under it, and a step too large
// for it must be prepared through a manifest file that recovery reads back.
func TestRealCommitMetadataLimit(t *testing.T) {
	t.Parallel()
	markStart(t)
	h := newRealHarness(t, "wide", 1)
	group := h.g("g-real-manifest")

	// The broker's limit, seen directly: 4096 bytes pass, 4097 are refused.
	cl := newClient(t, h.brokers)
	for _, tc := range []struct {
		size int
		want error
	}{{4096, nil}, {4097, sarama.ErrOffsetMetadataTooLarge}} {
		err := commitWithMetadata(t, cl, "g-real-limit-"+uniq(), h.topic, strings.Repeat("x", tc.size))
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Fatalf("a commit with %d bytes of metadata: %v, want %v", tc.size, err, tc.want)
		}
	}

	// One step across 120 hourly buckets: 120 files, too many for inline metadata.
	h.seed++
	if err := h.produceWith(6_000, 0, 120*time.Hour); err != nil {
		t.Fatal(err)
	}
	cfgPath := h.writeConfig(t, group, 2*time.Second, func(y string) string {
		return strings.Replace(y, "max_records: 700\n  max_age: 300ms\n  allowed_lateness: 1m", "max_records: 100000\n  max_age: 1h\n  allowed_lateness: 1000h", 1)
	})
	p := spawn(t, "prepare", "batch", cfgPath, "after-prepare:1")
	if err := p.wait(2 * time.Minute); !p.killedBy(syscall.SIGKILL) {
		t.Fatalf("the run was not killed after its prepare (exit %v); output:\n%s", err, p.tail(6000))
	}
	md := committedMetadata(t, h, group, 0)
	if !strings.HasPrefix(md, "k2h1 m=") {
		t.Fatalf("the prepared step's metadata is %q, want a manifest reference (k2h1 m=...)", tail(md, 200))
	}
	final := spawn(t, "finish", "batch", cfgPath, "")
	if err := final.wait(3 * time.Minute); err != nil {
		t.Fatalf("the run after the prepare: %v; output:\n%s", err, final.tail(8000))
	}
	if len(final.lines("rolled forward a prepared step")) == 0 {
		t.Errorf("the next run did not roll the manifest's step forward; output:\n%s", final.tail(6000))
	}
	h.prove(t, group, "Commit metadata over Kafka's 4 KiB limit (batch binary)",
		fmt.Sprintf("the broker refused 4097 bytes of metadata and took 4096; a 120-file step prepared as %q, killed, rolled forward", md))
}

// commitWithMetadata commits offset 0 of topic/0 for a new group with the given metadata, outside
// any generation (as a standalone consumer may), and returns the partition's error.
func commitWithMetadata(t *testing.T, cl sarama.Client, group, topic, md string) error {
	t.Helper()
	coord, err := cl.Coordinator(group)
	if err != nil {
		t.Fatal(err)
	}
	req := &sarama.OffsetCommitRequest{Version: 2, ConsumerGroup: group, ConsumerGroupGeneration: -1,
		RetentionTime: -1}
	req.AddBlock(topic, 0, 0, 0, md)
	resp, err := coord.CommitOffset(req)
	if err != nil {
		t.Fatal(err)
	}
	if kerr := resp.Errors[topic][0]; kerr != sarama.ErrNoError {
		return kerr
	}
	return nil
}

// committedMetadata reads the group's committed metadata of h.topic/partition.
func committedMetadata(t *testing.T, h *harness, group string, partition int32) string {
	t.Helper()
	cl := newClient(t, h.brokers)
	tp := offsets.TP{Topic: h.topic, Partition: partition}
	got, err := kafkaoffsets.FetchCommitted(context.Background(), cl, cl.Config(), group, []offsets.TP{tp})
	if err != nil {
		t.Fatal(err)
	}
	return got[tp].Metadata
}
