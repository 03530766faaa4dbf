package bench

import (
	"bytes"
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
