package loadercli

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

// What the dev binary's commands (cmd/kafka2hdfs-dev) share with the loader's: the demo runs the
// loader in process and prints the batch summary the way `batch` does.

// ConfigError marks err as "fix the configuration or the command line": exit code 2.
func ConfigError(err error) error { return configError{err} }

// Load builds a group member from cfg and runs it, as `run` (batch false) or `batch` do.
func Load(ctx context.Context, cfg *config.Config, batch bool, log *slog.Logger) (consumer.Summary, error) {
	return load(ctx, cfg, batch, log)
}

// NewLogger is the loader's process logger for cfg, writing to stderr.
func NewLogger(cfg *config.Config) *slog.Logger { return newLogger(cfg, stderr) }

// PrintSummary prints a batch run's summary as `batch` does.
func PrintSummary(w io.Writer, s consumer.Summary, took time.Duration) { printSummary(w, s, took) }

// Stderr is where the loader writes logs, the progress bar and errors.
func Stderr() io.Writer { return stderr }

// RedirectStderr sends what would go to Stderr to w until the returned restore is called (tests).
func RedirectStderr(w io.Writer) (restore func()) {
	saved := stderr
	stderr = &terminal{w: w}
	return func() { stderr = saved }
}

// NewApp is the command line Main runs with opts.
func NewApp(opts ...Option) *cli.App {
	var s settings
	for _, o := range opts {
		o(&s)
	}
	return newApp(s)
}
