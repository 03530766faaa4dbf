package main

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
		Description: `Joins the group and loads the topics until SIGINT or SIGTERM, then flushes, commits and exits 0.
Scale out by starting more processes with the same group id: partitions are shared among them.`,
		Flags: commonFlags(),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			_, err = load(c.Context, cfg, false, newLogger(cfg, stderr))
			return err
		},
	}
}

func batchCommand() *cli.Command {
	return &cli.Command{
		Name:  "batch",
		Usage: "load up to the high watermarks seen at start, commit, exit 0 (for cron)",
		Description: `Snapshots each partition's high watermark, loads up to it as a member of the group, and exits 0
once every partition is committed up to its snapshot. Offsets are the same as for run, so cron runs
and a continuous member of the same group never load a record twice.`,
		Flags: commonFlags(),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			log := newLogger(cfg, stderr)
			start := time.Now()
			sum, err := load(c.Context, cfg, true, log)
			if err != nil {
				return err
			}
			printSummary(c.App.Writer, sum, time.Since(start))
			return nil
		},
	}
}

// load builds a group member from cfg and runs it.
func load(ctx context.Context, cfg *config.Config, batch bool, log *slog.Logger) (consumer.Summary, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	opts, err := cfg.GroupOptions(batch, log, reg)
	if err != nil {
		return consumer.Summary{}, configError{err}
	}
	opts.CreatedBy = "kafka2hdfs " + version
	if c, ok := opts.FS.(io.Closer); ok {
		// The HDFS client is shared per process; this releases our share.
		defer c.Close()
	}
	stopMetrics, err := serveMetrics(cfg.Metrics.Addr, reg, log)
	if err != nil {
		return consumer.Summary{}, err
	}
	defer stopMetrics()
	g, err := consumer.New(opts)
	if err != nil {
		return consumer.Summary{}, err
	}
	defer g.Close()
	err = g.Run(ctx)
	return g.Stats().Summary(), err
}

// serveMetrics serves /metrics until the returned stop is called.
func serveMetrics(addr string, reg *prometheus.Registry, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
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
