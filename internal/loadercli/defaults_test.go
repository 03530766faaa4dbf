package loadercli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// The settings `validate` prints for a config that leaves them out are the defaults of the
// packages that own them: each default is defined once, in its package, and config fills unset
// keys from there.
func TestValidateShowsThePackagesDefaults(t *testing.T) {
	var out bytes.Buffer
	app := newApp(settings{})
	app.Writer, app.ErrWriter = &out, io.Discard
	err := app.RunContext(t.Context(), []string{"kafka2hdfs", "validate", "--offline", "--config", writeConfig(t, "localhost:9092", t.TempDir())})
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out.String())
	}
	yaml, ok := strings.CutPrefix(out.String()[strings.Index(out.String(), "# configuration is valid"):], "# configuration is valid")
	if !ok {
		t.Fatalf("no effective settings in:\n%s", out.String())
	}
	yaml = yaml[strings.Index(yaml, "\n")+1:]
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("validate's output does not parse back: %v\n%s", err, yaml)
	}
	for _, c := range []struct {
		key       string
		got, want any
	}{
		{"kafka.version", cfg.Kafka.Version, consumer.DefaultKafkaVersion.String()},
		{"output.row_group_size", int64(cfg.Output.RowGroupSize), int64(writer.DefaultRowGroupSize)},
		{"rotation.max_records", int64(cfg.Rotation.MaxRecords), int64(consumer.DefaultMaxRecords)},
		{"rotation.max_bytes", int64(cfg.Rotation.MaxBytes), int64(consumer.DefaultMaxBytes)},
		{"rotation.max_age", time.Duration(cfg.Rotation.MaxAge), consumer.DefaultMaxAge},
		{"rotation.allowed_lateness", time.Duration(cfg.Rotation.AllowedLateness), consumer.DefaultAllowedLateness},
		{"rotation.min_file_bytes", int64(cfg.Rotation.MinFileBytes), int64(consumer.DefaultMinFileBytes)},
		{"memory.max_buffered_bytes", int64(cfg.Memory.MaxBufferedBytes), int64(writer.DefaultMaxBufferedBytes)},
		{"memory.max_open_files", int64(cfg.Memory.MaxOpenFiles), int64(writer.DefaultMaxOpenFiles)},
		{"memory.max_spill_bytes", int64(cfg.Memory.MaxSpillBytes), int64(writer.DefaultMaxSpillBytes)},
		{"errors.retry_for", time.Duration(cfg.Errors.RetryFor), consumer.DefaultRetryFor},
		{"completeness.interval", time.Duration(cfg.Completeness.Interval), completeness.DefaultInterval},
	} {
		if c.got != c.want {
			t.Errorf("validate shows %s: %v, the package's default is %v", c.key, c.got, c.want)
		}
	}
}
