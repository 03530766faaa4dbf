package config

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// GroupOptions builds a consumer group member's options from a validated config. Errors are
// configuration errors.
func (cfg *Config) GroupOptions(batch bool, log *slog.Logger, reg prometheus.Registerer) (consumer.Options, error) {
	fsys, root, err := storage.OpenWith(cfg.Output.Root, cfg.Output.HDFS, cfg.Output.Permissions)
	if err != nil {
		instance := ""
		switch id := cfg.Kafka.GroupInstanceID; id {
		case "", InstanceNone:
		case InstanceAuto:
			instance = consumer.AutoInstanceID(cfg.Kafka.Group)
		default:
			instance = id
		}
		return consumer.Options{
			InstanceID: instance}, fmt.Errorf("output.root: %w", err)
	}
	sc, err := cfg.Sarama()
	if err != nil {
		return consumer.Options{}, err
	}
	src, err := cfg.registryClient()
	if err != nil {
		return consumer.Options{}, err
	}
	var topics []*consumer.Topic
	for i, spec := range cfg.Topics {
		t, err := consumer.CompileTopic(spec, consumer.CompileOptions{Compression: cfg.Output.Compression, Registry: src})
		if err != nil {
			return consumer.Options{}, fmt.Errorf("topics[%d]: %w", i, err)
		}
		topics = append(topics, t)
	}
	budget := &writer.Budget{MaxBytes: int64(cfg.Memory.MaxBufferedBytes), MaxFiles: cfg.Memory.MaxOpenFiles,
		MaxSpillBytes: int64(cfg.Memory.MaxSpillBytes)}
	if d := cfg.Memory.SpillDir; d != SpillOff {
		if err := checkSpillDir(d); err != nil {
			return consumer.Options{}, err
		}
		budget.SpillDir = d
	}
	return consumer.Options{
		Brokers: cfg.Kafka.Brokers,
		Group:   cfg.Kafka.Group,
		Topics:  topics,
		Start:   cfg.Kafka.Start,
		Sarama:  sc,
		FS:      fsys,
		Root:    root,
		Rotation: consumer.Rotation{
			MaxRecords:      cfg.Rotation.MaxRecords,
			MaxBytes:        int64(cfg.Rotation.MaxBytes),
			MaxAge:          time.Duration(cfg.Rotation.MaxAge),
			AllowedLateness: time.Duration(cfg.Rotation.AllowedLateness),
			MinFileBytes:    int64(cfg.Rotation.MinFileBytes),
		},
		Budget:        budget,
		RowGroupBytes: int64(cfg.Output.RowGroupSize),
		MaxBadRecords: *cfg.Errors.MaxBadRecords,
		MaxBadShare:   *cfg.Errors.MaxBadShare,
		RetryFor:      time.Duration(cfg.Errors.RetryFor),
		Batch:         batch,
		TopicRefresh:  time.Duration(cfg.Kafka.TopicRefresh),
		Completeness: completeness.Options{
			Enabled:  cfg.Completeness.Enabled,
			Late:     completeness.Policy(cfg.Completeness.Late),
			Interval: time.Duration(cfg.Completeness.Interval),
		},
		Log:      log,
		Registry: reg,
	}, nil
}

// Values of kafka.group_instance_id with a meaning of their own.
const (
	InstanceAuto = "auto"
	InstanceNone = "none"
)

// checkSpillDir makes sure the spill directory can take a file now rather than when the budget
// first runs out, and clears what killed runs left there.
func checkSpillDir(dir string) error {
	if _, err := writer.PrepareSpillDir(dir); err != nil {
		return fmt.Errorf("memory.spill_dir: %w; give a writable local directory, or off for no spilling", err)
	}
	return nil
}
