package loadercli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "consume continuously as a member of the consumer group",
		Description: `Joins the group and loads the topics until SIGINT or SIGTERM, then drains (flushes and commits),
prints a summary and exits 0.
Scale out by starting more processes with the same group id: partitions are shared among them.`,
		Flags: commonFlags(),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			log := newLogger(cfg, stderr)
			start := time.Now()
			stopNotice := context.AfterFunc(c.Context, func() {
				log.Info("stopping: draining, every partition flushes and commits what it holds, then leaves the group (a second signal exits at once)")
			})
			defer stopNotice()
			sum, err := load(c.Context, cfg, false, log)
			printSummary(c.App.Writer, sum, time.Since(start))
			return err
		},
	}
}

func batchCommand() *cli.Command {
	return &cli.Command{
		Name:  "batch",
		Usage: "load up to the high watermarks seen at start, commit, exit (for cron)",
		Description: `Snapshots each partition's high watermark, loads up to it as a member of the group, and exits 0
once every partition is committed up to its snapshot. Offsets are the same as for run, so cron runs
and a continuous member of the same group never load a record twice, and two overlapping batch runs
of the same group share the partitions instead of loading them twice.

--max-duration and --max-records are time boxes: when one is reached every partition flushes and
commits what it holds, and the run exits 4 if some partition is still short of its snapshot. The
next run continues from the committed offsets.

SIGINT or SIGTERM also stops at a commit boundary (a second one exits at once with 130).

Exit codes: 0 done (every partition at its snapshot), 4 stopped early by --max-duration,
--max-records or a signal, with progress committed, 1 failed, 2 bad configuration or usage.`,
		Flags: append(commonFlags(), timeBoxFlagList()...),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			box, err := timeBoxFlags(c)
			if err != nil {
				return err
			}
			log := newLogger(cfg, stderr)
			start := time.Now()
			res, err := loadBox(c.Context, cfg, true, box, log, nil)
			err = interrupted(c.Context, res, err)
			if err != nil && !errors.Is(err, consumer.ErrStoppedEarly) {
				return err
			}
			printSummary(c.App.Writer, res.Summary, time.Since(start))
			printLag(c.App.Writer, res.Lag)
			return err
		},
	}
}

// interrupted turns a clean stop by a signal into ErrStoppedEarly when partitions are left: for
// cron, a batch that SIGTERM cut short made progress but is not done, like a time box.
func interrupted(ctx context.Context, res result, err error) error {
	if err != nil || ctx.Err() == nil {
		return err
	}
	short := 0
	for _, l := range res.Lag {
		if l.Left() > 0 {
			short++
		}
	}
	if short == 0 {
		return nil
	}
	return fmt.Errorf("%w: interrupted by a signal with %d of %d partition(s) short of the target; progress is committed, the next run continues",
		consumer.ErrStoppedEarly, short, len(res.Lag))
}

// timeBoxFlags reads --max-duration, --max-records, --progress and --progress-every.
func timeBoxFlags(c *cli.Context) (timeBox, error) {
	box := timeBox{duration: c.Duration("max-duration"), records: c.Int64("max-records"),
		progress: c.String("progress"), progressEvery: c.Duration("progress-every")}
	if box.duration < 0 || box.records < 0 {
		return box, configError{fmt.Errorf("--max-duration and --max-records must not be negative")}
	}
	switch box.progress {
	case progressAuto, progressBar, progressLog, progressNone:
	default:
		return box, configError{fmt.Errorf("--progress %q: want auto, bar, log or none", box.progress)}
	}
	if box.progressEvery <= 0 {
		return box, configError{fmt.Errorf("--progress-every must be positive")}
	}
	return box, nil
}

// timeBoxFlagList are the batch and backfill flags read by timeBoxFlags.
func timeBoxFlagList() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "max-duration", EnvVars: []string{"KAFKA2HDFS_MAX_DURATION"}, Usage: "stop after this long (plus the drain), at a commit boundary; exit 4 if not done, e.g. 50m"},
		&cli.Int64Flag{Name: "max-records", EnvVars: []string{"KAFKA2HDFS_MAX_RECORDS"}, Usage: "stop after consuming this many records, at a commit boundary; exit 4 if not done"},
		&cli.StringFlag{Name: "progress", Value: progressAuto, EnvVars: []string{"KAFKA2HDFS_PROGRESS"}, Usage: "auto (a bar on a terminal, log lines otherwise), bar, log or none"},
		&cli.DurationFlag{Name: "progress-every", Value: 30 * time.Second, EnvVars: []string{"KAFKA2HDFS_PROGRESS_EVERY"}, Usage: "how often to log progress when not showing a bar"},
	}
}

// timeBox limits a batch run, and says how to show its progress.
type timeBox struct {
	duration time.Duration
	records  int64

	progress      string // "" for none
	progressEvery time.Duration
}

// result is what a load did: the counters and, in batch mode, what is left per partition.
type result struct {
	consumer.Summary
	Lag []consumer.PartitionLag
}

// load builds a group member from cfg and runs it.
func load(ctx context.Context, cfg *config.Config, batch bool, log *slog.Logger) (consumer.Summary, error) {
	res, err := loadBox(ctx, cfg, batch, timeBox{}, log, nil)
	return res.Summary, err
}

// loadBox is load with a time box and progress display; adjust, if not nil, changes the member's
// options last (backfill sets its group, root and ranges there).
func loadBox(ctx context.Context, cfg *config.Config, batch bool, box timeBox, log *slog.Logger, adjust func(*consumer.Options)) (_ result, err error) {
	// main prints the error: it must not show a secret (a token command's stderr, say).
	defer func() { err = cfg.Secrets().Err(err) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts, err := cfg.GroupOptions(batch, log, reg)
	if err != nil {
		return result{}, configError{err}
	}
	opts.CreatedBy = "kafka2hdfs " + version
	tuneGC(int64(cfg.Memory.Limit))
	opts.MaxDuration, opts.MaxRecords = box.duration, box.records
	if adjust != nil {
		adjust(&opts)
	}
	if batch && opts.Ranges == nil && cfg.Kafka.GroupInstanceID == "" {
		// Static membership by default for batch: a cron run that follows a crashed one takes
		// the partitions back at once instead of waiting for the dead member's session.
		opts.InstanceID = consumer.AutoInstanceID(opts.Group)
	}
	if c, ok := opts.FS.(io.Closer); ok {
		// The HDFS client is shared per process; this releases our share.
		defer c.Close()
	}
	stopMetrics, err := serveMetrics(cfg.Metrics.Addr, reg, log)
	if err != nil {
		return result{}, err
	}
	defer stopMetrics()
	g, err := consumer.New(opts)
	if err != nil {
		return result{}, err
	}
	defer g.Close()
	stopProgress := func() {}
	if batch && box.progress != "" {
		stopProgress = startProgress(box.progress, box.progressEvery, stderr, log, g)
	}
	err = g.Run(ctx)
	stopProgress()
	res := result{Summary: g.Stats().Summary()}
	if batch {
		// Read after the run, from Kafka: with other members in the group, what is left depends
		// on their commits too. A failure here only loses the lag lines of the summary.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		var lagErr error
		if res.Lag, lagErr = g.Lag(lctx); lagErr != nil {
			log.Warn("reading the lag left for the summary", "err", lagErr)
		}
	}
	return res, err
}

// metricsListenAddr binds an address without a host (":9464") to the loopback interface only:
// the metrics name topics, groups and paths, and leave the host only when the config says so
// (0.0.0.0:9464).
func metricsListenAddr(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// serveMetrics serves /metrics until the returned stop is called.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", metricsListenAddr(addr))
	if err != nil {
		return nil, configError{fmt.Errorf("metrics.addr %q: %w", addr, err)}
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
