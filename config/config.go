// Package config reads the loader's YAML configuration, applies defaults, and validates all of it
// before any work starts. Every error names the key, the bad value and the fix; all problems are
// reported at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/completeness"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/errlist"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/secret"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Config is the whole file. Field docs end with the default.
type Config struct {
	Kafka    Kafka                `yaml:"kafka"`
	Output   Output               `yaml:"output"`
	Rotation Rotation             `yaml:"rotation"`
	Memory   Memory               `yaml:"memory"`
	Errors   Errors               `yaml:"errors"`
	Topics   []consumer.TopicSpec `yaml:"topics"`
	Log      Log                  `yaml:"log"`
	Metrics  Metrics              `yaml:"metrics"`
	// Completeness writes _SUCCESS and _manifest.json into finished buckets.
	Completeness Completeness `yaml:"completeness"`
	// SchemaRegistry serves the writer schemas of topics in the avro format (docs/schema-registry.md).
	SchemaRegistry registry.Config `yaml:"schema_registry,omitempty"`

	secrets *secret.Set // what ${...} references expanded to, and secret keys' values (security.go)
}

// Completeness marks finished time buckets for downstream jobs (docs/completeness.md).
type Completeness struct {
	// Enabled writes _manifest.json and _SUCCESS into a bucket once every partition of its topic
	// has committed past the bucket's end plus rotation.allowed_lateness, or is caught up.
	// Default: false.
	Enabled bool `yaml:"enabled"`
	// Late is what happens to a record for a bucket already marked complete: into (write it
	// into the bucket; the manifest lists its file under late_files), late_root (under
	// <root>/_late/<topic>/<bucket>/) or dead_letter (the topic's dead letters, reason "late for
	// completed bucket"). Default: into.
	Late string `yaml:"late"`
	// Interval between checks for complete buckets in run mode; batch runs check again at the
	// end. Default: 1m.
	Interval Duration `yaml:"interval"`
}

// Kafka is where records come from.
type Kafka struct {
	// Brokers to bootstrap from. Required.
	Brokers []string `yaml:"brokers"`
	// Group is the consumer group id; its committed offsets are the loader's progress.
	// Default: kafka2hdfs.
	Group string `yaml:"group"`
	// Version is the Kafka protocol version to speak. Default: 2.8.0.
	Version string `yaml:"version"`
	// ClientID identifies the loader in broker logs. Default: kafka2hdfs.
	ClientID string `yaml:"client_id"`
	// Start is where partitions with no committed offset and no files begin: earliest, latest, or
	// an RFC3339 time. Default: earliest.
	Start string `yaml:"start"`
	// SessionTimeout of the group membership. Default: 30s.
	SessionTimeout Duration `yaml:"session_timeout"`
	// RebalanceTimeout bounds how long members take to flush when partitions move. Default: 60s.
	RebalanceTimeout Duration `yaml:"rebalance_timeout"`
	// TopicRefresh is how often topic patterns are re-resolved. Default: 1m.
	TopicRefresh Duration `yaml:"topic_refresh"`
	// IsolationLevel is read_committed (records of aborted transactions are never loaded, and
	// those of open ones only once committed) or read_uncommitted (every record, as written).
	// Default: read_committed, as Kafka Connect's sinks read.
	IsolationLevel string `yaml:"isolation_level"`
	// GroupInstanceID turns on static group membership (KIP-345): a member that restarts with
	// the same id takes its partitions back at once instead of waiting for the dead member's
	// session to time out. "auto" is an id of the host and group; "none" turns it off.
	// Default: auto for `batch`, none otherwise.
	GroupInstanceID string `yaml:"group_instance_id,omitempty"`
	// TLS and SASL secure the connections to the brokers (docs/security.md).
	TLS  kafkasec.TLS  `yaml:"tls"`
	SASL kafkasec.SASL `yaml:"sasl"`
}

// Output is where files go.
type Output struct {
	// Root is the output root: a local path, file:///path (later hdfs://...). Required.
	Root string `yaml:"root"`
	// Compression: snappy, gzip, zstd or none. Default: snappy.
	Compression string `yaml:"compression"`
	// RowGroupSize ends a Parquet row group at this many buffered bytes. Default: 8MiB.
	RowGroupSize ByteSize `yaml:"row_group_size"`
	// HDFS configures the client for hdfs:// roots: user, HADOOP_CONF_DIR, Kerberos.
	HDFS storage.HDFSOptions `yaml:"hdfs,omitempty"`
	// Permissions of the files and directories the loader creates, data and _errors alike.
	// Default: {file: "0640", dir: "0750"} (no access for others).
	Permissions storage.Perms `yaml:"permissions"`
}

// Rotation says when a partition's open files are closed and committed.
type Rotation struct {
	// MaxRecords consumed since the last flush. Default: 1000000.
	MaxRecords int64 `yaml:"max_records"`
	// MaxBytes of input since the last flush. Default: 256MiB.
	MaxBytes ByteSize `yaml:"max_bytes"`
	// MaxAge of the oldest unflushed record. Default: 10m.
	MaxAge Duration `yaml:"max_age"`
	// AllowedLateness past a time bucket's end before it is closed. Default: 10m.
	AllowedLateness Duration `yaml:"allowed_lateness"`
	// MinFileBytes is the size under which a data file counts as small (metric
	// kafka2hdfs_small_files_total, by the cut that made it). Memory pressure spills to
	// memory.spill_dir rather than cut one, unless it cannot spill. Default: 1MiB.
	MinFileBytes ByteSize `yaml:"min_file_bytes"`
}

// SpillOff as memory.spill_dir turns spilling off.
const SpillOff = "off"

// Memory bounds what the whole process holds.
type Memory struct {
	// MaxBufferedBytes across all open files. Default: 256MiB.
	MaxBufferedBytes ByteSize `yaml:"max_buffered_bytes"`
	// MaxOpenFiles across all partitions. Default: 256.
	MaxOpenFiles int `yaml:"max_open_files"`
	// Limit is the Go runtime's soft memory limit: the garbage collector works harder as the
	// process nears it instead of letting the heap double. Default: max_buffered_bytes + 192MiB
	// (Kafka fetch responses, encoders, the runtime); GOMEMLIMIT in the environment wins.
	Limit ByteSize `yaml:"limit"`
	// SpillDir is a local directory for rows the budget moves out of memory instead of cutting
	// files early; its files have no name (or lose it at creation), so nothing is left after a
	// crash. "off": no spilling (over budget, a partition is flushed). Default: the system temp
	// directory.
	SpillDir string `yaml:"spill_dir"`
	// MaxSpillBytes bounds the spilled rows across partitions; past it the budget flushes.
	// Default: 4GiB.
	MaxSpillBytes ByteSize `yaml:"max_spill_bytes"`
}

// Errors is the bad-record policy.
type Errors struct {
	// MaxBadRecords stops the job when more records than this went to dead letters; -1 means no
	// limit. Default: -1.
	MaxBadRecords *int64 `yaml:"max_bad_records"`
	// MaxBadShare fails the job when more than this share of a topic's records in a run went to
	// dead letters (judged from 100 records on, and at a batch's end, whatever the count); 1 means
	// no limit. Default: 0.5.
	MaxBadShare *float64 `yaml:"max_bad_share"`
	// RetryFor is how long a failure may repeat (every session in a row failing: the filesystem
	// refusing writes, a NameNode down) before the job fails with exit 1. Default: 2m.
	RetryFor Duration `yaml:"retry_for"`
}

// DefaultMaxBadShare is errors.max_bad_share's default: a run where most records of a topic are
// dead letters is broken (a schema that matches nothing), not unlucky.
const DefaultMaxBadShare = 0.5

// Log configures logging.
type Log struct {
	// Level: debug, info, warn or error. Default: info.
	Level string `yaml:"level"`
	// Format: text or json. Default: text.
	Format string `yaml:"format"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Addr to serve /metrics on, e.g. :9464; empty turns it off. Without a host (":9464") it binds
	// 127.0.0.1 only: the metrics name topics and paths, and need not leave the host unless asked
	// to; write 0.0.0.0:9464 for every interface. Default: off.
	Addr string `yaml:"addr"`
}

// Duration is a time.Duration written as "10m" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return nodeError(n, "%s is not a duration; write it like 30s, 10m or 1h30m", valueText(n))
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ByteSize is a size in bytes written as 256MiB, 1GB or a plain number in YAML.
type ByteSize int64

var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$`)

// ParseByteSize reads 256MiB, 64KB, 1.5GiB or 1048576.
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size; write it like 1048576, 64KiB, 256MiB or 1GiB", s)
	}
	x, _ := strconv.ParseFloat(m[1], 64)
	unit := strings.TrimSuffix(m[2], "B")
	mult := map[string]float64{"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[unit]
	if v := x * mult; v < math.MaxInt64 {
		return ByteSize(v), nil
	}
	// Converting a larger float to int64 does not fail: it wraps to a negative size.
	return 0, fmt.Errorf("%q is too large; sizes go up to 8EiB", s)
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "%s is not a size; write it like 1048576, 64KiB, 256MiB or 1GiB", valueText(n))
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (b ByteSize) MarshalYAML() (any, error) {
	for _, u := range []struct {
		s string
		n int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if int64(b) >= u.n && int64(b)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.n, u.s), nil
		}
	}
	return int64(b), nil
}

// Load reads and strictly decodes a config file (unknown keys are errors). An empty path gives
// an empty config for flags and environment to fill.
func Load(path string) (*Config, error) {
	c := &Config{}
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err = Parse(b)
	if err != nil {
		return nil, err
	}
	// Secrets are expanded before anything validates or prints the values.
	if err := c.expandSecrets(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes YAML strictly. Problems with keys and values are all reported, one per line, each
// naming its key, e.g. "kafka.session_timeout: "10x" is not a duration; ... (line 3)".
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return c, nil
	}
	if err == nil {
		var doc yaml.Node
		_ = yaml.Unmarshal(b, &doc) // it parsed above
		var errs parseErrors
		checkStrict(&doc, "", reflect.TypeOf(c), &errs)
		if len(errs) > 0 {
			return nil, errs
		}
		return c, nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// Not YAML at all: yaml.v3 stops at the first syntax error.
		return nil, fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(b, &doc) // it parsed above
	var nodes []keyNode
	collectKeys(&doc, "", reflect.TypeOf(c), 0, &nodes)
	var errs parseErrors
	for _, msg := range te.Errors {
		errs = append(errs, errors.New(describe(msg, nodes)))
	}
	return nil, errs
}

// WithDefaults fills every unset value with its default.
func (c *Config) WithDefaults() *Config {
	d := *c
	if d.Kafka.Group == "" {
		d.Kafka.Group = "kafka2hdfs"
	}
	if d.Kafka.Version == "" {
		d.Kafka.Version = consumer.DefaultKafkaVersion.String()
	}
	if d.Kafka.ClientID == "" {
		d.Kafka.ClientID = "kafka2hdfs"
	}
	if d.Kafka.Start == "" {
		d.Kafka.Start = consumer.StartEarliest
	}
	if d.Kafka.IsolationLevel == "" {
		d.Kafka.IsolationLevel = ReadCommitted
	}
	setDur(&d.Kafka.SessionTimeout, 30*time.Second)
	setDur(&d.Kafka.RebalanceTimeout, 60*time.Second)
	setDur(&d.Kafka.TopicRefresh, time.Minute)
	if d.Output.Compression == "" {
		d.Output.Compression = "snappy"
	}
	d.Output.Permissions = d.Output.Permissions.WithDefaults()
	if d.Output.RowGroupSize == 0 {
		d.Output.RowGroupSize = writer.DefaultRowGroupSize
	}
	if d.Rotation.MaxRecords == 0 {
		d.Rotation.MaxRecords = consumer.DefaultMaxRecords
	}
	if d.Rotation.MaxBytes == 0 {
		d.Rotation.MaxBytes = consumer.DefaultMaxBytes
	}
	setDur(&d.Rotation.MaxAge, consumer.DefaultMaxAge)
	setDur(&d.Rotation.AllowedLateness, consumer.DefaultAllowedLateness)
	if d.Rotation.MinFileBytes == 0 {
		d.Rotation.MinFileBytes = consumer.DefaultMinFileBytes
	}
	if d.Memory.MaxBufferedBytes == 0 {
		d.Memory.MaxBufferedBytes = writer.DefaultMaxBufferedBytes
	}
	if d.Memory.MaxOpenFiles == 0 {
		d.Memory.MaxOpenFiles = writer.DefaultMaxOpenFiles
	}
	if d.Memory.Limit == 0 {
		d.Memory.Limit = d.Memory.MaxBufferedBytes + 192<<20
	}
	if d.Memory.SpillDir == "" {
		d.Memory.SpillDir = os.TempDir()
	}
	if d.Memory.MaxSpillBytes == 0 {
		d.Memory.MaxSpillBytes = writer.DefaultMaxSpillBytes
	}
	if d.Errors.MaxBadShare == nil {
		v := DefaultMaxBadShare
		d.Errors.MaxBadShare = &v
	}
	if d.Errors.MaxBadRecords == nil {
		v := int64(-1)
		d.Errors.MaxBadRecords = &v
	}
	setDur(&d.Errors.RetryFor, consumer.DefaultRetryFor)
	if d.Completeness.Late == "" {
		d.Completeness.Late = string(completeness.Into)
	}
	setDur(&d.Completeness.Interval, completeness.DefaultInterval)
	if d.Log.Level == "" {
		d.Log.Level = "info"
	}
	if d.Log.Format == "" {
		d.Log.Format = "text"
	}
	d.Topics = make([]consumer.TopicSpec, len(c.Topics))
	for i, t := range c.Topics {
		if t.Format == "" {
			t.Format = consumer.FormatJSON
		}
		t.Partitioner = t.Partitioner.WithDefaults()
		t.Interceptors = slices.Clone(t.Interceptors)
		for j := range t.Interceptors {
			t.Interceptors[j] = t.Interceptors[j].WithDefaults()
		}
		d.Topics[i] = t
	}
	return &d
}

func setDur(d *Duration, def time.Duration) {
	if *d == 0 {
		*d = Duration(def)
	}
}

// Validate checks everything, compiling each topic the way the loader will, and returns all
// problems joined; call it on the result of WithDefaults.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if len(c.Kafka.Brokers) == 0 {
		bad("kafka.brokers", "missing; list at least one broker as host:port (flag --brokers, env KAFKA2HDFS_BROKERS)")
	}
	for i, b := range c.Kafka.Brokers {
		host, port, err := net.SplitHostPort(b)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			bad(fmt.Sprintf("kafka.brokers[%d]", i), "%q is not host:port; write it as host:9092 ([::1]:9092 for an IPv6 address)", b)
		}
	}
	if !validGroup(c.Kafka.Group) {
		bad("kafka.group", "%q is not a usable group id; use letters, digits, '.', '_' and '-'", c.Kafka.Group)
	}
	if v, err := sarama.ParseKafkaVersion(c.Kafka.Version); err != nil {
		bad("kafka.version", "%q is not a Kafka version; write it like 2.8.0 or 3.6.0", c.Kafka.Version)
	} else if !v.IsAtLeast(sarama.V0_11_0_0) {
		// Older protocol versions carry no record headers, which the raw format and
		// @header.NAME fields read, and sarama's consumer groups need 0.10.2 anyway.
		bad("kafka.version", "%s is older than 0.11.0, the oldest protocol kafka2hdfs speaks; set the brokers' version, such as 2.8.0", c.Kafka.Version)
	}
	if l := c.Kafka.IsolationLevel; l != "" && l != ReadCommitted && l != ReadUncommitted {
		bad("kafka.isolation_level", "%q is not %s or %s", l, ReadCommitted, ReadUncommitted)
	}
	switch c.Kafka.Start {
	case consumer.StartEarliest, consumer.StartLatest:
	default:
		if _, err := time.Parse(time.RFC3339, c.Kafka.Start); err != nil {
			bad("kafka.start", "%q is not earliest, latest or an RFC3339 time such as 2026-11-22T00:00:00Z", c.Kafka.Start)
		}
	}
	if st, rt := time.Duration(c.Kafka.SessionTimeout), time.Duration(c.Kafka.RebalanceTimeout); st < time.Second || st > 30*time.Minute {
		// Brokers enforce their own range (6s..30m by default) and say so; this only catches
		// values no broker takes.
		bad("kafka.session_timeout", "%s is outside 1s..30m; brokers accept 6s..30m by default (group.min/max.session.timeout.ms)", st)
	} else if rt < st {
		bad("kafka.rebalance_timeout", "%s is shorter than session_timeout %s; members need time to flush on rebalance", rt, st)
	}
	errs = append(errs, c.securityErrors()...)
	errs = append(errs, c.registryErrors()...)
	if r := time.Duration(c.Kafka.TopicRefresh); r < time.Second {
		bad("kafka.topic_refresh", "%s is too short: each refresh fetches the cluster's metadata; use at least 1s (default 1m)", r)
	}
	if err := storage.CheckRoot(c.Output.Root, c.Output.HDFS); err != nil {
		bad("output.root", "%v", err)
	}
	compression := c.Output.Compression
	if _, err := schema.Codec(compression); err != nil {
		bad("output.compression", "%v", err)
		compression = "" // reported once here, not again by every topic
	}
	if c.Output.RowGroupSize < 64<<10 {
		bad("output.row_group_size", "%d bytes is too small; use at least 64KiB (default 8MiB)", c.Output.RowGroupSize)
	}
	if c.Rotation.MaxRecords < 1 {
		bad("rotation.max_records", "%d must be at least 1", c.Rotation.MaxRecords)
	}
	if c.Rotation.MaxBytes < 1 {
		bad("rotation.max_bytes", "%d must be positive", c.Rotation.MaxBytes)
	}
	if a := time.Duration(c.Rotation.MaxAge); a < 100*time.Millisecond {
		bad("rotation.max_age", "%s is too short; use at least 100ms (default 10m)", a)
	}
	if c.Memory.MaxBufferedBytes < c.Output.RowGroupSize {
		bad("memory.max_buffered_bytes", "%d is smaller than output.row_group_size %d; one row group must fit", c.Memory.MaxBufferedBytes, c.Output.RowGroupSize)
	}
	if c.Memory.Limit < c.Memory.MaxBufferedBytes {
		bad("memory.limit", "%d is below memory.max_buffered_bytes %d; leave room for Kafka fetches and the runtime (default max_buffered_bytes + 192MiB)", c.Memory.Limit, c.Memory.MaxBufferedBytes)
	}
	if c.Memory.MaxOpenFiles < 1 {
		bad("memory.max_open_files", "%d must be at least 1", c.Memory.MaxOpenFiles)
	}
	if c.Rotation.MinFileBytes < 0 {
		bad("rotation.min_file_bytes", "%d must not be negative", c.Rotation.MinFileBytes)
	}
	if c.Memory.MaxSpillBytes < 0 {
		bad("memory.max_spill_bytes", "%d must not be negative (default 4GiB; spill_dir: off for no spilling)", c.Memory.MaxSpillBytes)
	}
	if d := c.Memory.SpillDir; d != SpillOff && !filepath.IsAbs(d) {
		bad("memory.spill_dir", "%q is not an absolute path; give a local directory, or off for no spilling", d)
	}
	if m := c.Errors.MaxBadShare; m != nil && (*m <= 0 || *m > 1 || math.IsNaN(*m)) {
		bad("errors.max_bad_share", "%g is not a share above 0 and at most 1 (0.5: fail when over half of a topic's records are dead letters; 1: no limit)", *m)
	}
	if m := c.Errors.MaxBadRecords; m != nil && *m < -1 {
		bad("errors.max_bad_records", "%d must be -1 (no limit) or more", *m)
	}
	if _, err := ParseLevel(c.Log.Level); err != nil {
		bad("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	if a := c.Metrics.Addr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			bad("metrics.addr", "%q is not host:port; write it like :9464 (127.0.0.1 only), 0.0.0.0:9464 (every interface), or leave it empty for no metrics", a)
		}
	}
	if _, err := completeness.ParsePolicy(c.Completeness.Late); err != nil {
		bad("completeness.late", "%v", err)
	}
	if iv := time.Duration(c.Completeness.Interval); iv < 100*time.Millisecond {
		bad("completeness.interval", "%s is too short: each check lists every bucket directory of the topics; use at least 100ms (default 1m)", iv)
	}
	if len(c.Topics) == 0 {
		bad("topics", "missing; list the topics to load, each with a name (or pattern), format and schema")
	}
	names := map[string]int{}
	for i, t := range c.Topics {
		if j, dup := names[t.Name]; dup && t.Name != "" {
			// Only the first entry would ever be used.
			bad(fmt.Sprintf("topics[%d].name", i), "%q is listed twice, also as topics[%d]; give each topic one entry", t.Name, j)
		} else {
			names[t.Name] = i
		}
		if _, err := consumer.CompileTopic(t, consumer.CompileOptions{Compression: compression}); err != nil {
			for _, e := range errlist.Flatten(err) {
				errs = append(errs, fmt.Errorf("topics[%d].%w", i, e))
			}
		}
		if c.Completeness.Enabled {
			if _, err := completeness.NewBuckets(t.Partitioner); err != nil && errors.Is(err, completeness.ErrUnparsable) {
				bad(fmt.Sprintf("topics[%d].partitioner.path", i), "completeness.enabled needs a path whose time segments name one bucket: %v; keep {field} placeholders in segments of their own (country={country}/dt=2006-01-02/hour=15), or set completeness.enabled: false", err)
			}
		}
	}
	return errors.Join(errs...)
}

var groupRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

func validGroup(g string) bool { return groupRE.MatchString(g) }
