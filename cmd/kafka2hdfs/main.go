// Command kafka2hdfs loads Kafka topics into time-bucketed Parquet files on HDFS or a local
// filesystem, exactly once: the loader and its operator commands, nothing else (the demo, the test
// HDFS and Kafka, and the benchmark are cmd/kafka2hdfs-dev). See the README for a quick start and
// docs/ for the design.
package main

import (
	"os"

	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
)

func main() {
	os.Exit(loadercli.Main(os.Args))
}
