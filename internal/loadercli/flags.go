package loadercli

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
)

// commonFlags are the settings every loading command accepts; each overrides the config file and
// has a KAFKA2HDFS_* variable.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, EnvVars: []string{"KAFKA2HDFS_CONFIG"}, Usage: "YAML config file"},
		&cli.StringFlag{Name: "brokers", EnvVars: []string{"KAFKA2HDFS_BROKERS"}, Usage: "comma-separated Kafka brokers, host:port (kafka.brokers)"},
		&cli.StringFlag{Name: "group", EnvVars: []string{"KAFKA2HDFS_GROUP"}, Usage: "consumer group id (kafka.group)"},
		&cli.StringFlag{Name: "start", EnvVars: []string{"KAFKA2HDFS_START"}, Usage: "where partitions with nothing committed begin: earliest, latest or an RFC3339 time (kafka.start)"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, EnvVars: []string{"KAFKA2HDFS_OUTPUT"}, Usage: "output root: a local path, file:///path, or hdfs://namenode:8020/path (HA: hdfs://nn1:8020,nn2:8020/path or hdfs://nameservice/path) (output.root)"},
		&cli.StringFlag{Name: "hdfs-user", EnvVars: []string{"KAFKA2HDFS_HDFS_USER"}, Usage: "HDFS user for hdfs:// roots (output.hdfs.user; default $HADOOP_USER_NAME, else the OS user)"},
		&cli.StringFlag{Name: "compression", EnvVars: []string{"KAFKA2HDFS_COMPRESSION"}, Usage: "snappy, gzip, zstd or none (output.compression)"},
		&cli.Int64Flag{Name: "max-bad-records", Value: -2, DefaultText: "from config, else -1", EnvVars: []string{"KAFKA2HDFS_MAX_BAD_RECORDS"}, Usage: "stop when more records than this went to dead letters; -1 for no limit (errors.max_bad_records)"},
		&cli.StringFlag{Name: "log-level", EnvVars: []string{"KAFKA2HDFS_LOG_LEVEL"}, Usage: "debug, info, warn or error (log.level)"},
		&cli.StringFlag{Name: "log-format", EnvVars: []string{"KAFKA2HDFS_LOG_FORMAT"}, Usage: "text or json (log.format)"},
		&cli.StringFlag{Name: "metrics-addr", EnvVars: []string{"KAFKA2HDFS_METRICS_ADDR"}, Usage: "serve Prometheus /metrics here, e.g. :9464 (127.0.0.1 only) or 0.0.0.0:9464 (metrics.addr)"},
	}
}

// loadConfig reads the file, applies flags over it, fills defaults and validates.
func loadConfig(c *cli.Context) (*config.Config, error) {
	cfg, err := config.Load(c.String("config"))
	if err != nil {
		return nil, configError{err}
	}
	applyFlags(c, cfg)
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		// A message quoting a bad value must not show a secret that value holds.
		msg := cfg.Secrets().Redact(strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return nil, configError{fmt.Errorf("invalid configuration:\n  %s", msg)}
	}
	return cfg, nil
}

func applyFlags(c *cli.Context, cfg *config.Config) {
	if v := c.String("brokers"); v != "" {
		cfg.Kafka.Brokers = nil
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				cfg.Kafka.Brokers = append(cfg.Kafka.Brokers, b)
			}
		}
	}
	set := func(dst *string, name string) {
		if v := c.String(name); v != "" {
			*dst = v
		}
	}
	set(&cfg.Kafka.Group, "group")
	set(&cfg.Kafka.Start, "start")
	set(&cfg.Output.Root, "output")
	set(&cfg.Output.Compression, "compression")
	set(&cfg.Output.HDFS.User, "hdfs-user")
	set(&cfg.Log.Level, "log-level")
	set(&cfg.Log.Format, "log-format")
	set(&cfg.Metrics.Addr, "metrics-addr")
	if v := c.Int64("max-bad-records"); v != -2 {
		cfg.Errors.MaxBadRecords = &v
	}
}

// newLogger builds the process logger and routes sarama's logs into it at debug level. Every line
// passes through the config's secret redaction, and the config's warnings (insecure TLS, secret
// files others can read) are logged first, at every start.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	w = cfg.Secrets().Writer(w)
	level, _ := config.ParseLevel(cfg.Log.Level)
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	saramaLog.to(h.WithAttrs([]slog.Attr{slog.String("component", "sarama")}))
	log := slog.New(h)
	for _, warning := range cfg.Warnings() {
		log.Warn(warning)
	}
	return log
}

// saramaLog carries sarama's logs into the process logger. sarama.Logger is a package global
// that sarama's goroutines read without a lock, some of them (asynchronous broker closes) after
// their client is gone, so the global is set once, at init, and never again: a new logger only
// swaps the handler behind it, atomically.
var saramaLog = func() *saramaSink {
	s := &saramaSink{}
	sarama.Logger = log.New(s, "", 0)
	return s
}()

type saramaSink struct{ h atomic.Pointer[slog.Handler] }

func (s *saramaSink) to(h slog.Handler) { s.h.Store(&h) }

// Write logs one line of sarama's at debug level; nothing until a logger is set.
func (s *saramaSink) Write(p []byte) (int, error) {
	hp := s.h.Load()
	if hp == nil || !(*hp).Enabled(context.Background(), slog.LevelDebug) {
		return len(p), nil
	}
	r := slog.NewRecord(time.Now(), slog.LevelDebug, strings.TrimSuffix(string(p), "\n"), 0)
	return len(p), (*hp).Handle(context.Background(), r)
}

// stderr is where logs, the progress bar and errors go. The bar redraws its line in place, and a
// log line written meanwhile would land in the middle of it; stderr clears the bar's line first.
var stderr = &terminal{w: os.Stderr}
