package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// The whole pipeline into HDFS through the unmodified colinmarc client and the in-process test HDFS,
// with the faults real clusters have: a DataNode that fails a write mid-file, and a NameNode whose
// `complete` says the last block is still replicating. Every offset must be read back exactly once
// through the HDFS client, and no half-written file may be published.
func TestHDFSSinkExactlyOnceUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(c *hdfstest.Cluster)
	}{
		{"no faults", func(*hdfstest.Cluster) {}},
		{"datanode write fails mid-file", func(c *hdfstest.Cluster) { c.FailWriteAfter(150_000) }},
		{"complete reports still replicating", func(c *hdfstest.Cluster) { c.CompleteReplicating(5) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nn, err := hdfstest.Start(hdfstest.Options{BlockSize: 256 << 10})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = nn.Close() })
			h := newHarness(t, "clicks", 3)
			h.produce(6_000, 200)
			root := "hdfs://" + nn.NameNodeAddr() + "/warehouse"
			cfg := h.config("g-hdfs")
			cfg.Output.Root = root
			cfg.Output.HDFS.User = "loader"
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			tc.fault(nn)
			m := h.start("hdfs", cfg, true)
			m.finish(t, 90*time.Second)
			if w, r := nn.Pending(); w || r > 0 {
				t.Fatalf("the injected fault did not fire (write failure armed %v, replicating answers left %d)", w, r)
			}
			fsys, p, err := storage.Open(root, storage.HDFSOptions{User: "checker"})
			if err != nil {
				t.Fatal(err)
			}
			defer fsys.(interface{ Close() error }).Close()
			rep, err := verify.OutputFS(context.Background(), fsys, p)
			if err != nil {
				t.Fatalf("read back through the HDFS client: %v", err)
			}
			if err := rep.Check(h.produced, nil); err != nil {
				t.Fatalf("exactly-once check of the HDFS output: %v", err)
			}
			nbad := 0
			for _, f := range rep.DeadLetters {
				nbad += len(f.Offsets)
			}
			if want := 6_000 / 200; nbad != want {
				t.Errorf("%d dead letters in HDFS, want %d", nbad, want)
			}
			for _, s := range rep.Staging {
				if !strings.HasSuffix(s, ".parquet") {
					t.Errorf("unexpected staging leftover %s", s)
				}
			}
			t.Logf("%d data files, %d dead-letter files, staging leftovers %d, flushes %v",
				len(rep.Files), len(rep.DeadLetters), len(rep.Staging), m.g.Stats().Summary().Flushes)
		})
	}
}
