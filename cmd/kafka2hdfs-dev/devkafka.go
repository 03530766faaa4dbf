package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/internal/bench"
	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
)

func devKafkaCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev-kafka",
		Usage: "run a small in-memory Kafka broker (kfake), optionally seeded with sample events, for trying the loader; needs nothing installed",
		Description: `Serves the Kafka protocol on --addr until SIGINT, with one topic of --partitions partitions.
With --seed-records it first fills the topic with clickstream JSON events (the demo's, padded to
--seed-size bytes) through franz-go in 1 MiB batches, event times spread over --seed-span ending at
the current hour. Everything is in memory and gone on exit; for development and benchmarks only.

It prints "broker: ADDR" once listening and "seeded: {...}" (JSON) once the seed is acknowledged.
With --seed-avro-topic (and --seed-event bench) it then serves an embedded schema registry
("registry: URL"), creates that topic too and seeds it with the same events as Avro in the
Confluent wire format ("seeded-avro: {...}"): the bench's Avro comparison.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:9092", Usage: "listen address (port 0: a free port)"},
			&cli.StringFlag{Name: "topic", Value: "clicks", Usage: "topic to create"},
			&cli.IntFlag{Name: "partitions", Value: 8, Usage: "partitions of the topic"},
			&cli.IntFlag{Name: "seed-records", Usage: "sample events to produce at start"},
			&cli.IntFlag{Name: "seed-size", Value: 1024, Usage: "pad each event to at least this many bytes (0: the events' own ~750 bytes)"},
			&cli.DurationFlag{Name: "seed-span", Value: 4 * time.Hour, Usage: "event times spread over this span"},
			&cli.BoolFlag{Name: "seed-spread", Usage: "event times at random over the span instead of in order (every partition writes every time bucket)"},
			&cli.StringFlag{Name: "seed-event", Value: bench.EventSample, Usage: "shape of the seeded events: sample (the demo's clickstream events, ~750 bytes) or bench (exactly the bench schema's fields, ~200 bytes)"},
			&cli.StringFlag{Name: "seed-compression", Value: "none", Usage: "compression of the seeded batches: none, snappy, lz4 or zstd"},
			&cli.StringFlag{Name: "seed-avro-topic", Usage: "also create this topic and seed it with the same bench events as Avro (Confluent wire format), the schema registered in an embedded registry (needs --seed-event bench)"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "broker log level: debug, info, warn or error"},
		},
		Action: devKafka,
	}
}

func devKafka(c *cli.Context) error {
	level, err := config.ParseLevel(c.String("log-level"))
	if err != nil {
		return loadercli.ConfigError(fmt.Errorf("--log-level: %w", err))
	}
	if c.Int("partitions") < 1 || c.Int("seed-records") < 0 || c.Duration("seed-span") <= 0 {
		return loadercli.ConfigError(fmt.Errorf("--partitions must be at least 1, --seed-records not negative, --seed-span positive"))
	}
	avroTopic := c.String("seed-avro-topic")
	if avroTopic != "" && c.String("seed-event") != bench.EventBench {
		return loadercli.ConfigError(fmt.Errorf("--seed-avro-topic needs --seed-event %s", bench.EventBench))
	}
	topics := []string{c.String("topic")}
	if avroTopic != "" {
		topics = append(topics, avroTopic)
	}
	addr := c.String("addr")
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(c.Int("partitions")), topics...),
		kfake.GroupMinSessionTimeout(time.Second),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, addr) }),
		kfake.WithLogger(kfakeLogger{slog.New(slog.NewTextHandler(loadercli.Stderr(), &slog.HandlerOptions{Level: level}))}))
	if err != nil {
		return fmt.Errorf("start kafka on %s: %w; pick a free address with --addr", addr, err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()
	w := c.App.Writer
	fmt.Fprintf(w, "broker: %s\n", brokers[0])
	seeded, err := bench.Seed(c.Context, brokers, bench.SeedOptions{
		Topic: c.String("topic"), Partitions: c.Int("partitions"), Records: c.Int("seed-records"),
		Size: c.Int("seed-size"), Span: c.Duration("seed-span"), Spread: c.Bool("seed-spread"),
		Compression: c.String("seed-compression"), Seed: 1, Event: c.String("seed-event"),
	})
	if err != nil {
		return err
	}
	js, _ := json.Marshal(seeded)
	fmt.Fprintf(w, "seeded: %s\n", js)
	if avroTopic != "" {
		// The same events (same seed) as Avro, for the bench's Avro-beside-JSON comparison.
		reg := fakeregistry.Start()
		defer reg.Close()
		id := reg.Register(avroTopic+"-value", "", bench.AvroSchema)
		fmt.Fprintf(w, "registry: %s\n", reg.URL())
		s, err := bench.Seed(c.Context, brokers, bench.SeedOptions{
			Topic: avroTopic, Partitions: c.Int("partitions"), Records: c.Int("seed-records"),
			Size: c.Int("seed-size"), Span: c.Duration("seed-span"), Spread: c.Bool("seed-spread"),
			Compression: c.String("seed-compression"), Seed: 1, Event: bench.EventBench, AvroID: id,
		})
		if err != nil {
			return err
		}
		js, _ := json.Marshal(s)
		fmt.Fprintf(w, "seeded-avro: %s\n", js)
	}
	fmt.Fprintf(w, `Kafka running in memory (gone on exit); Ctrl-C stops it
  topic %s: %d partitions, %d records (%.1f MB) seeded in %s

load it:
  kafka2hdfs batch --brokers %s --output ./out --config config.yaml
`, c.String("topic"), c.Int("partitions"), seeded.Records, float64(seeded.Bytes)/1e6, seeded.Elapsed.Round(time.Millisecond), brokers[0])
	<-c.Context.Done()
	fmt.Fprintln(w, "stopping Kafka")
	return nil
}

// kfakeLogger adapts slog to kfake's logger.
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	lv := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	case kfake.LogLevelInfo:
		lv = slog.LevelInfo
	}
	if !k.l.Enabled(context.Background(), lv) {
		return // kfake logs every request at info: do not format what is dropped
	}
	k.l.Log(context.Background(), lv, fmt.Sprintf(msg, args...), "component", "kfake")
}
