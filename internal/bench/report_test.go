package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMarkdownServers checks what the report says about the servers: a kfake run links to the
// real-server report and shows the broker's CPU; a run against external servers says what they
// were and that the broker's CPU is not measured, never a number.
func TestMarkdownServers(t *testing.T) {
	run := Result{Usage: Usage{Wall: time.Second, CPU: time.Second, MaxRSS: 100 << 20}, Records: 1000, Bytes: 1e6, BrokerCPU: 1234 * time.Millisecond}
	base := func() *Report {
		return &Report{Options: Defaults(), Seed: SeedReport{Records: 1000, Bytes: 1e6, Partitions: 2, Took: time.Second},
			Parties: []Party{{Name: PartyCeiling, Runs: []Result{run}}, {Name: PartyLocal, Runs: []Result{run}}}}
	}
	external := base()
	external.Broker = BrokerInfo{External: true, Addrs: []string{"127.0.0.1:9092"}, Desc: "Apache Kafka 4.4.0 (real broker, KRaft, loopback)",
		APIGuess: "v4.4", Topic: "bench-1", CoordinatorWait: 3 * time.Second}
	external.HDFS = HDFSInfo{External: true, NameNode: "127.0.0.1:8020", Desc: "Apache HDFS 3.4.2 MiniDFSCluster (3 DataNodes, replication 3)",
		ReplicationMin: 3, ReplicationMax: 3}
	external.Parties = append(external.Parties, Party{Name: PartyExternalHDFS, Runs: []Result{run}})

	for _, tc := range []struct {
		name      string
		rep       *Report
		want, not []string
	}{
		{"kfake", base(), []string{"# Performance\n", "[performance-real.md](performance-real.md)", "| 1.23s |"},
			[]string{"## Servers", "n/a (external)"}},
		{"external", external, []string{"# Performance against real servers", "## Servers",
			"| Source | Apache Kafka 4.4.0 (real broker, KRaft, loopback) at 127.0.0.1:9092 |",
			"| HDFS sink | Apache HDFS 3.4.2 MiniDFSCluster (3 DataNodes, replication 3), NameNode at 127.0.0.1:8020 |",
			"as the NameNode lists them | 3 |", "| " + PartyExternalHDFS + " |", "≥ 50%", "| n/a (external) |", "Broker CPU is not measured"},
			[]string{"1.23s", "dev-kafka` (an in-memory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var md bytes.Buffer
			tc.rep.Markdown(&md)
			for _, s := range tc.want {
				if !strings.Contains(md.String(), s) {
					t.Errorf("report has no %q", s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(md.String(), s) {
					t.Errorf("report has %q", s)
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s", md.String())
			}
		})
	}
}

// A report written with --json reads back (Load) into the same Markdown, and an appendix lands
// after the case tables.
func TestLoadRewritesTheSameReport(t *testing.T) {
	run := Result{Usage: Usage{Wall: time.Second, CPU: time.Second, MaxRSS: 100 << 20}, Records: 1000, Bytes: 1e6,
		Output: &Output{Rows: 1000, Files: 3, fileStats: fileStats{PartitionBuckets: 2, Sizes: []int64{1000, 2000, 3000}}}}
	ceil := Result{Usage: Usage{Wall: time.Second / 2, CPU: time.Second / 2}, Records: 1000, Bytes: 1e6}
	rep := &Report{Options: Defaults(), Seed: SeedReport{Records: 1000, Bytes: 1e6, Partitions: 2, Took: time.Second},
		Parties: []Party{{Name: PartyCeiling, Runs: []Result{ceil}}, {Name: PartyLocal, Runs: []Result{run}}},
		Cases:   []CaseReport{{Case: Case{Records: 1000, Size: 200, Partitions: 8}, Seed: SeedReport{Records: 1000, Bytes: 2e5, Partitions: 8}, Parties: []Party{{Name: PartyCeiling, Runs: []Result{ceil}}, {Name: PartyLocal, Runs: []Result{run}}}}}}
	var want bytes.Buffer
	rep.Markdown(&want)
	for _, s := range []string{"### 1000 × 200 B, 8 partitions", "| 1.50 (3 files, 2 pairs) |", "| 50.0% | 1000.00 | 2.00× |"} {
		if !strings.Contains(want.String(), s) {
			t.Errorf("report lacks %q", s)
		}
	}
	path := t.TempDir() + "/rep.json"
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, js, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	back.Markdown(&got)
	if got.String() != want.String() {
		t.Errorf("the report read back writes another Markdown:\n%s\nwant:\n%s", got.String(), want.String())
	}
	back.Appendix = "## Analysis\n\nby hand"
	got.Reset()
	back.Markdown(&got)
	if i, j := strings.Index(got.String(), "## Analysis"), strings.Index(got.String(), "### 1000 × 200 B"); i < 0 || i < j {
		t.Errorf("appendix at %d, after the cases (at %d) wanted", i, j)
	}
}
