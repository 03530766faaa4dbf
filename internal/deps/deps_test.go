// Package deps guards the import graph: what may link what.
package deps

import (
	"os/exec"
	"strings"
	"testing"
)

// kafkaClients are module path prefixes of Kafka client libraries.
var kafkaClients = []string{"github.com/IBM/sarama", "github.com/twmb/franz-go"}

// The packages that turn records into files know nothing of Kafka's wire: the step types they share
// with the commit protocol are in offsets, which imports no client; the Kafka side of the protocol
// is kafkaoffsets. A Kafka client in their dependencies means a type or helper leaked back.
func TestNoKafkaClientBelowTheConsumer(t *testing.T) {
	for _, pkg := range []string{"writer", "partitioner", "schema", "completeness", "offsets", "storage", "record", "field", "interceptor"} {
		for _, dep := range listDeps(t, "github.com/kafka2hdfs/kafka2hdfs/"+pkg) {
			for _, client := range kafkaClients {
				if strings.HasPrefix(dep, client) {
					t.Errorf("%s links the Kafka client package %s", pkg, dep)
				}
			}
		}
	}
}

// The release binary links no test stand-in: no in-memory Kafka (kfake, or franz-go at all: the
// loader speaks sarama), no test HDFS or schema registry, no benchmark, and no second Parquet
// implementation (arrow-go, with grpc behind it, is the tests' independent reader; the loader's
// audit --deep reads with parquet-go).
func TestReleaseBinaryLinksNoStandIns(t *testing.T) {
	forbidden := []string{
		"github.com/twmb/franz-go",
		"github.com/apache/arrow-go",
		"google.golang.org/grpc",
		"github.com/kafka2hdfs/kafka2hdfs/hdfstest",
		"github.com/kafka2hdfs/kafka2hdfs/internal/bench",
		"github.com/kafka2hdfs/kafka2hdfs/internal/sample",
		"github.com/kafka2hdfs/kafka2hdfs/internal/verify",
		"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry",
	}
	for _, dep := range listDeps(t, "github.com/kafka2hdfs/kafka2hdfs/cmd/kafka2hdfs") {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("cmd/kafka2hdfs links %s", dep)
			}
		}
	}
}

func listDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 2 {
		t.Fatalf("go list -deps %s listed %d packages: not a real listing", pkg, len(deps))
	}
	return deps
}
