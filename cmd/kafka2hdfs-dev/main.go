// Command kafka2hdfs-dev is kafka2hdfs plus its development and test commands: demo (an embedded
// Kafka and, with --sink hdfs, an embedded HDFS), dev-hdfs and dev-kafka (the stand-in servers),
// and bench and bench-consume (the benchmark, which runs this binary again as each of its
// parties). They link test stand-ins (kfake, hdfstest, franz-go, arrow-go through the benchmark's
// checks) that the release binary, cmd/kafka2hdfs, must not carry.
package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

func main() {
	os.Exit(run(os.Args))
}

// The development binary audits with arrow-go, so `audit --deep` there checks parquet-go's
// output with a second, independent implementation, as the tests do.
func run(args []string) int {
	return loadercli.Main(args, loadercli.WithCommands(devCommands()...), loadercli.WithDeepReader(verify.AuditReader{}))
}

func devCommands() []*cli.Command {
	return []*cli.Command{
		demoCommand(),
		devHDFSCommand(),
		devKafkaCommand(),
		benchCommand(),
		benchConsumeCommand(),
	}
}
