package config

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
)

// Sarama builds the Kafka client config. The consumer turns auto-commit off itself.
func (c *Config) Sarama() (*sarama.Config, error) {
	v, err := sarama.ParseKafkaVersion(c.Kafka.Version)
	if err != nil {
		return nil, fmt.Errorf("kafka.version: %w", err)
	}
	sc := sarama.NewConfig()
	sc.Version = v
	sc.ClientID = c.Kafka.ClientID
	sc.Consumer.Group.Session.Timeout = time.Duration(c.Kafka.SessionTimeout)
	sc.Consumer.Group.Heartbeat.Interval = time.Duration(c.Kafka.SessionTimeout) / 10
	sc.Consumer.Group.Rebalance.Timeout = time.Duration(c.Kafka.RebalanceTimeout)
	// Sticky assignment keeps partitions where they are across rebalances: fewer flushes of
	// half-full files when members come and go.
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky(), sarama.NewBalanceStrategyRange()}
	// A fetch response stays in memory until its last record is converted, and sarama keeps up to
	// two per broker (one being handed out, one queued): the response cap, not the per-partition
	// size, is what bounds Kafka's share of the memory when many partitions are assigned.
	// A partition waiting for memory keeps up to two rounds of its fetches alive (its queue and
	// the response being fed to it), so the per-partition size times the partitions is Kafka's
	// share of the memory. 1 MiB holds a whole default-sized batch (a broker returns a larger one
	// only to the first partition of a response that has data).
	sc.Consumer.Fetch.Default = 1 << 20
	// Measured with 64 partitions waiting on the memory budget: 16 MiB responses kept 287 MB of
	// fetch buffers alive at the peak, 4 MiB responses 10 MB, with no loss of throughput.
	sc.Consumer.Fetch.MaxBytes = 4 << 20
	sc.Consumer.MaxProcessingTime = time.Second
	sc.Metadata.RefreshFrequency = time.Duration(c.Kafka.TopicRefresh)
	if c.Kafka.IsolationLevel != ReadUncommitted {
		sc.Consumer.IsolationLevel = sarama.ReadCommitted
	}
	// Every client the loader makes (group, commits, offsets, audit, backfill) is built from this
	// config, so all of them connect with the same TLS and SASL settings.
	if err := kafkasec.Apply(sc, c.Kafka.TLS, c.Kafka.SASL); err != nil {
		return nil, err
	}
	return sc, nil
}

// The kafka.isolation_level values.
const (
	ReadCommitted   = "read_committed"
	ReadUncommitted = "read_uncommitted"
)

func (k Kafka) warnings() []string { return kafkasec.Warnings(k.TLS, k.SASL) }

// ParseLevel reads a log level name.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// YAML renders the effective config, defaults included, for `validate`. Secrets show as ***:
// values of secret keys (passwords, client secrets, mask keys and salts) and every value that
// came from a ${env:...} or ${file:...} reference.
func (c *Config) YAML() (string, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return "", err
	}
	c.maskSecrets(&n)
	b, err := yaml.Marshal(&n)
	return string(b), err
}
