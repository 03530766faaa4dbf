// Package loadercli is the kafka2hdfs command line: the loader and its operator commands (run,
// batch, backfill, offsets, validate, audit, version), their flags, logging, exit codes and
// progress display. cmd/kafka2hdfs is this and nothing else; cmd/kafka2hdfs-dev adds the dev and
// test commands (demo, dev-hdfs, dev-kafka, bench) that link test stand-ins the loader must not.
package loadercli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailed   = 1 // the job failed: Kafka, the filesystem, too many bad records
	exitConfig   = 2 // the configuration or the command line is wrong; nothing was done
	exitProblems = 3 // audit: the output has gaps, overlaps or damaged files
	exitPartial  = 4 // batch: a time box stopped the run early; what was loaded is committed
	exitSignals  = 130
)

// version is set at build time with
// -ldflags "-X github.com/kafka2hdfs/kafka2hdfs/internal/loadercli.version=...".
var version = "dev"

// configError marks errors that mean "fix the config", for the exit code.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// An Option extends the command line: the development binary adds its commands and audits with
// an independent Parquet reader; the release binary takes none.
type Option func(*settings)

type settings struct {
	commands   []*cli.Command
	deepReader audit.FileReader // nil: audit's default, parquet-go
}

// WithCommands adds commands beside the loader's own.
func WithCommands(cmds ...*cli.Command) Option {
	return func(s *settings) { s.commands = append(s.commands, cmds...) }
}

// WithDeepReader makes `audit --deep` read the files with r.
func WithDeepReader(r audit.FileReader) Option {
	return func(s *settings) { s.deepReader = r }
}

// Main runs the command line with args (os.Args) and returns the process exit code.
func Main(args []string, opts ...Option) int {
	return run(args, NewApp(opts...))
}

func run(args []string, app *cli.App) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A second signal while draining means "now": exit without waiting.
	go func() {
		<-ctx.Done()
		stop()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		fmt.Fprintln(os.Stderr, "kafka2hdfs: second signal, exiting without draining")
		os.Exit(exitSignals)
	}()
	err := app.RunContext(ctx, args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafka2hdfs:", err)
	}
	return exitCode(err)
}

// exitCode maps a command's error to the process exit code (the README's table).
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce configError
	switch {
	case errors.Is(err, storage.ErrUnavailable), errors.Is(err, storage.ErrRefused), errors.Is(err, kafkasec.ErrRefused):
		// Checked first: a NameNode that does not answer fails a start, but it is not the
		// configuration's fault, and a restart or the next cron run may find it up. A refused
		// Kerberos login (an expired ticket cache, a stale keytab) exits 1 like a refused Kafka
		// login: the cure is a credential, not an edit of the configuration.
		return exitFailed
	case errors.As(err, &ce), errors.Is(err, consumer.ErrUnknownTopic):
		return exitConfig
	case errors.Is(err, errAuditProblems):
		return exitProblems
	case errors.Is(err, consumer.ErrStoppedEarly):
		return exitPartial
	case errors.Is(err, consumer.ErrTooManyBadRecords):
		return exitFailed
	}
	return exitFailed
}

func newApp(s settings) *cli.App {
	app := &cli.App{
		Name:    "kafka2hdfs",
		Usage:   "load Kafka topics into time-bucketed Parquet on HDFS or a local filesystem, exactly once",
		Version: readBuildInfo().String(),
		Description: `A consumer-group member reads topics, runs each record through the topic's interceptors,
buckets it by time, writes Parquet files, and commits Kafka offsets only through a two-phase,
generation-fenced protocol, so every record lands exactly once across crashes and rebalances.

Settings come from a YAML file (--config), overridden by flags and KAFKA2HDFS_* variables.
Exit codes: 0 done, 1 the job failed, 2 bad configuration or usage, 3 audit found problems,
4 batch or backfill stopped early with its progress committed, 130 a second signal while draining.`,
		Commands: []*cli.Command{
			runCommand(),
			batchCommand(),
			backfillCommand(),
			offsetsCommand(),
			validateCommand(),
			auditCommand(s.deepReader),
			versionCommand(),
		},
		Flags:          profileFlags(),
		Before:         startProfiles,
		After:          stopProfiles,
		ExitErrHandler: func(*cli.Context, error) {}, // main decides exit codes
	}
	app.Commands = append(app.Commands, s.commands...)
	strictUsage(app)
	return app
}
