package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// base is the smallest valid config, one flow-style line per section; a row of the table
// replaces whole sections.
var base = map[string]string{
	"kafka":  `kafka: {brokers: ["k1:9092"]}`,
	"output": `output: {root: /data/out}`,
	"topics": `topics: [{name: clicks, schema: [{name: id, type: string}]}]`,
}

var sections = []string{"kafka", "output", "rotation", "memory", "errors", "log", "metrics", "completeness", "topics"}

// doc is base with some sections replaced ("" drops one).
func doc(over map[string]string) string {
	var b strings.Builder
	for _, s := range sections {
		text, ok := over[s]
		if !ok {
			text = base[s]
		}
		if text != "" {
			b.WriteString(text + "\n")
		}
	}
	return b.String()
}

// load parses, fills defaults and validates, as the commands do.
func load(text string) (*Config, error) {
	c, err := Parse([]byte(text))
	if err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// problems splits a joined error into its lines.
func problems(err error) []string {
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" && l != "config:" {
			out = append(out, l)
		}
	}
	return out
}

func TestBaseIsValid(t *testing.T) {
	if _, err := load(doc(nil)); err != nil {
		t.Fatalf("base config: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		over map[string]string
		// mutate changes the config after defaults, for what YAML cannot express.
		mutate func(*Config)
		// want are substrings of one problem each, in order; there are exactly len(want) problems.
		want []string
	}{
		// kafka
		{name: "no brokers", over: map[string]string{"kafka": ""},
			want: []string{"kafka.brokers: missing; list at least one broker as host:port"}},
		{name: "empty broker list", over: map[string]string{"kafka": "kafka: {brokers: []}"},
			want: []string{"kafka.brokers: missing"}},
		{name: "broker without port", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092", "k2"]}`},
			want: []string{`kafka.brokers[1]: "k2" is not host:port; write it as host:9092`}},
		{name: "broker with empty port", over: map[string]string{"kafka": `kafka: {brokers: ["k1:"]}`},
			want: []string{`kafka.brokers[0]: "k1:" is not host:port`}},
		{name: "broker with a named port", over: map[string]string{"kafka": `kafka: {brokers: ["k1:kafka"]}`},
			want: []string{`kafka.brokers[0]: "k1:kafka" is not host:port`}},
		{name: "broker port out of range", over: map[string]string{"kafka": `kafka: {brokers: ["k1:0", "k2:65536"]}`},
			want: []string{`kafka.brokers[0]: "k1:0"`, `kafka.brokers[1]: "k2:65536"`}},
		{name: "broker without host", over: map[string]string{"kafka": `kafka: {brokers: [":9092"]}`},
			want: []string{`kafka.brokers[0]: ":9092" is not host:port`}},
		{name: "broker bare IPv6", over: map[string]string{"kafka": `kafka: {brokers: ["::1"]}`},
			want: []string{`kafka.brokers[0]: "::1" is not host:port; write it as host:9092 ([::1]:9092 for an IPv6 address)`}},
		{name: "group with a space", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], group: "my group"}`},
			want: []string{`kafka.group: "my group" is not a usable group id; use letters, digits, '.', '_' and '-'`}},
		{name: "group too long", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], group: ` + strings.Repeat("g", 250) + `}`},
			want: []string{`kafka.group: "ggg`}},
		{name: "version not a version", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], version: "2.8"}`},
			want: []string{`kafka.version: "2.8" is not a Kafka version; write it like 2.8.0 or 3.6.0`}},
		{name: "version too old", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], version: "0.10.2.0"}`},
			want: []string{`kafka.version: 0.10.2.0 is older than 0.11.0`}},
		{name: "isolation level", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], isolation_level: committed}`},
			want: []string{`kafka.isolation_level: "committed" is not read_committed or read_uncommitted`}},
		{name: "start", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], start: yesterday}`},
			want: []string{`kafka.start: "yesterday" is not earliest, latest or an RFC3339 time such as 2026-11-22T00:00:00Z`}},
		{name: "start without zone", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], start: "2026-11-22T00:00:00"}`},
			want: []string{`kafka.start: "2026-11-22T00:00:00" is not earliest, latest or an RFC3339 time`}},
		{name: "session timeout short", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], session_timeout: 500ms}`},
			want: []string{"kafka.session_timeout: 500ms is outside 1s..30m"}},
		{name: "session timeout long", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], session_timeout: 31m, rebalance_timeout: 40m}`},
			want: []string{"kafka.session_timeout: 31m0s is outside 1s..30m"}},
		{name: "rebalance shorter than session", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], session_timeout: 2m}`},
			want: []string{"kafka.rebalance_timeout: 1m0s is shorter than session_timeout 2m0s; members need time to flush on rebalance"}},
		{name: "topic refresh short", over: map[string]string{"kafka": `kafka: {brokers: ["k1:9092"], topic_refresh: 10ms}`},
			want: []string{"kafka.topic_refresh: 10ms is too short: each refresh fetches the cluster's metadata; use at least 1s (default 1m)"}},

		// output
		{name: "no root", over: map[string]string{"output": ""},
			want: []string{"output.root: output root is empty; set output.root to "}},
		{name: "root scheme", over: map[string]string{"output": "output: {root: 's3://bucket/x'}"},
			want: []string{`output.root: output root "s3://bucket/x": unsupported scheme s3://; use `}},
		{name: "root relative file url", over: map[string]string{"output": "output: {root: 'file://data/x'}"},
			want: []string{`output.root: output root "file://data/x": `}},
		{name: "compression", over: map[string]string{"output": "output: {root: /data/out, compression: lz5}"},
			want: []string{`output.compression: unknown compression "lz5": use snappy, gzip, zstd or none`}},
		{name: "row group small", over: map[string]string{"output": "output: {root: /data/out, row_group_size: 1KiB}"},
			want: []string{"output.row_group_size: 1024 bytes is too small; use at least 64KiB (default 8MiB)"}},

		// rotation
		{name: "max records", over: map[string]string{"rotation": "rotation: {max_records: -5}"},
			want: []string{"rotation.max_records: -5 must be at least 1"}},
		{name: "max bytes", mutate: func(c *Config) { c.Rotation.MaxBytes = -1 },
			want: []string{"rotation.max_bytes: -1 must be positive"}},
		{name: "max age", over: map[string]string{"rotation": "rotation: {max_age: 50ms}"},
			want: []string{"rotation.max_age: 50ms is too short; use at least 100ms (default 10m)"}},
		{name: "relative spill dir", over: map[string]string{"memory": "memory: {spill_dir: spill}"},
			want: []string{`memory.spill_dir: "spill" is not an absolute path; give a local directory, or off for no spilling`}},

		// memory, errors, log, metrics
		{name: "buffer below row group", over: map[string]string{"memory": "memory: {max_buffered_bytes: 4MiB}"},
			want: []string{"memory.max_buffered_bytes: 4194304 is smaller than output.row_group_size 8388608; one row group must fit"}},
		{name: "open files", over: map[string]string{"memory": "memory: {max_open_files: -1}"},
			want: []string{"memory.max_open_files: -1 must be at least 1"}},
		{name: "memory limit", over: map[string]string{"memory": "memory: {max_buffered_bytes: 256MiB, limit: 100MiB}"},
			want: []string{"memory.limit: 104857600 is below memory.max_buffered_bytes 268435456"}},
		{name: "bad records", over: map[string]string{"errors": "errors: {max_bad_records: -2}"},
			want: []string{"errors.max_bad_records: -2 must be -1 (no limit) or more"}},
		{name: "bad share zero", over: map[string]string{"errors": "errors: {max_bad_share: 0}"},
			want: []string{"errors.max_bad_share: 0 is not a share above 0 and at most 1"}},
		{name: "bad share over one", over: map[string]string{"errors": "errors: {max_bad_share: 1.5}"},
			want: []string{"errors.max_bad_share: 1.5 is not a share above 0 and at most 1"}},
		{name: "log level", over: map[string]string{"log": "log: {level: loud}"},
			want: []string{`log.level: "loud" is not debug, info, warn or error`}},
		{name: "log format", over: map[string]string{"log": "log: {format: xml}"},
			want: []string{`log.format: "xml" is not text or json`}},
		// completeness
		{name: "completeness late policy", over: map[string]string{"completeness": `completeness: {enabled: true, late: drop}`},
			want: []string{`completeness.late: "drop" is not a late-record policy; use into (write into the bucket, noted in its manifest), late_root (under <root>/_late) or dead_letter`}},
		{name: "completeness interval", over: map[string]string{"completeness": `completeness: {interval: 10ms}`},
			want: []string{`completeness.interval: 10ms is too short`}},
		{name: "completeness with a path that does not read back", over: map[string]string{
			"completeness": `completeness: {enabled: true}`,
			"topics":       `topics: [{name: clicks, schema: [{name: id, type: string}, {name: c, type: string}], partitioner: {path: "dt=2006-01-02/h={c}15", fields: [{name: c}]}}]`},
			want: []string{`topics[0].partitioner.path: completeness.enabled needs a path whose time segments name one bucket`}},
		{name: "metrics addr", over: map[string]string{"metrics": `metrics: {addr: "9464"}`},
			want: []string{`metrics.addr: "9464" is not host:port; write it like :9464`}},

		// topics
		{name: "no topics", over: map[string]string{"topics": ""},
			want: []string{"topics: missing; list the topics to load"}},
		{name: "topic listed twice", over: map[string]string{"topics": `topics: [{name: a, format: raw}, {name: b, format: raw}, {name: a, format: raw}]`},
			want: []string{`topics[2].name: "a" is listed twice, also as topics[0]; give each topic one entry`}},
		{name: "topic without name", over: map[string]string{"topics": `topics: [{format: raw}]`},
			want: []string{"topics[0].name: missing; set name (one topic) or pattern"}},
		{name: "topic name and pattern", over: map[string]string{"topics": `topics: [{name: a, pattern: "a.*", format: raw}]`},
			want: []string{"topics[0].name and pattern: set one of them, not both"}},
		{name: "topic pattern", over: map[string]string{"topics": `topics: [{pattern: "a(", format: raw}]`},
			want: []string{`topics[0].pattern: "a(": error parsing regexp: missing closing ): ` + "`^(?:a()$`" + `: use Go RE2 syntax`}},
		{name: "topic format", over: map[string]string{"topics": `topics: [{name: a, format: parquet}]`},
			want: []string{`topics[0].format: "parquet" is not json, raw`}},
		{name: "topic raw with schema", over: map[string]string{"topics": `topics: [{name: a, format: raw, schema: [{name: x, type: string}]}]`},
			want: []string{"topics[0].schema: format raw writes key, value and headers as they are and takes no schema"}},
		{name: "topic json without schema", over: map[string]string{"topics": `topics: [{name: a}]`},
			want: []string{"topics[0].schema: format json needs at least one column"}},
		{name: "schema type", over: map[string]string{"topics": `topics: [{name: a, schema: [{name: x, type: string}, {name: y, type: long}]}]`},
			want: []string{`topics[0].schema[1].type: unknown type "long"; use one of string, int32`}},
		{name: "interceptor", over: map[string]string{"topics": `topics: [{name: a, format: raw}, {name: b, schema: [{name: x, type: string}], interceptors: [{type: mask, field: x, method: md5}]}]`},
			want: []string{`topics[1].interceptors[0] (mask): method: "md5" is not`}},
		{name: "interceptor type", over: map[string]string{"topics": `topics: [{name: a, format: raw, interceptors: [{type: explode}]}]`},
			want: []string{`topics[0].interceptors[0] (explode): type: unknown interceptor "explode"; use one of`}},
		{name: "partitioner", over: map[string]string{"topics": `topics: [{name: a, format: raw, partitioner: {granularity: 7m}}]`},
			want: []string{`topics[0].partitioner.granularity: "7m" does not divide a day; use hour, day or a duration that divides 24h`}},
		{name: "partitioner timezone", over: map[string]string{"topics": `topics: [{name: a, format: raw, partitioner: {timezone: Mars/Olympus}}]`},
			want: []string{"topics[0].partitioner.timezone:"}},

		// everything at once
		{name: "several", over: map[string]string{
			"kafka":   `kafka: {brokers: ["k1"], start: soon}`,
			"output":  "output: {root: /data/out, compression: lz5}",
			"log":     "log: {level: loud, format: xml}",
			"topics":  `topics: [{name: a, schema: [{name: x, type: long}], interceptors: [{type: mask, field: x, method: md5}], partitioner: {granularity: 7m}}]`,
			"metrics": `metrics: {addr: nope}`,
		}, want: []string{
			"kafka.brokers[0]:", "kafka.start:", "output.compression:", "log.level:", "log.format:", "metrics.addr:",
			"topics[0].interceptors[0] (mask): method:", "topics[0].partitioner.granularity:", "topics[0].schema[0].type:",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := doc(c.over)
			cfg, err := Parse([]byte(text))
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, text)
			}
			cfg = cfg.WithDefaults()
			if c.mutate != nil {
				c.mutate(cfg)
			}
			err = cfg.Validate()
			if err == nil {
				t.Fatalf("Validate accepted\n%s", text)
			}
			got := problems(err)
			if len(got) != len(c.want) {
				t.Errorf("%d problems, want %d:\n  %s", len(got), len(c.want), strings.Join(got, "\n  "))
			}
			for i, w := range c.want {
				if i >= len(got) || !strings.Contains(got[i], w) {
					t.Errorf("problem %d does not contain %q; problems:\n  %s", i, w, strings.Join(got, "\n  "))
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		text string
		want []string // substrings of one problem each, in order; exactly len(want) problems
	}{
		{"unknown top-level key", "kafak: {brokers: [k:1]}\n",
			[]string{"kafak: unknown key; check its spelling and place (the keys are listed in docs/configuration.md) (line 1)"}},
		{"unknown nested key", "kafka:\n  brokers: [k:1]\n  brokerz: [k:2]\n",
			[]string{"kafka.brokerz: unknown key; check its spelling and place (the keys are listed in docs/configuration.md) (line 3)"}},
		{"unknown key in a topic", "topics:\n  - name: a\n    schema:\n      - {name: x, typ: string}\n",
			[]string{"topics[0].schema[0].typ: unknown key; check its spelling and place (the keys are listed in docs/configuration.md) (line 4)"}},
		{"unknown key in a partitioner", "topics:\n  - name: a\n    partitioner: {granularity: hour, zone: UTC}\n",
			[]string{"topics[0].partitioner.zone: unknown key"}},
		{"bad duration", "kafka:\n  session_timeout: 30\n",
			[]string{`kafka.session_timeout: "30" is not a duration; write it like 30s, 10m or 1h30m (line 2)`}},
		{"negative duration", "rotation: {max_age: -1m}\n",
			[]string{`rotation.max_age: "-1m" is not a duration`}},
		{"duration not a scalar", "rotation:\n  max_age: [1m]\n",
			[]string{"rotation.max_age: a list is not a duration"}},
		{"bad size", "output:\n  row_group_size: 8 megs\n",
			[]string{`output.row_group_size: "8 megs" is not a size; write it like 1048576, 64KiB, 256MiB or 1GiB (line 2)`}},
		{"size too large", "memory: {max_buffered_bytes: 9000000TiB}\n",
			[]string{`memory.max_buffered_bytes: "9000000TiB" is too large`}},
		{"size not a scalar", "memory: {max_buffered_bytes: {a: 1}}\n",
			[]string{"memory.max_buffered_bytes: a mapping is not a size"}},
		{"wrong type", "rotation:\n  max_records: lots\n",
			[]string{`rotation.max_records: "lots" is not a whole number (line 2)`}},
		{"section not a mapping", "kafka: [k:1]\n",
			[]string{"kafka: a list is not a mapping of keys (line 1)"}},
		{"list not a list", "kafka: {brokers: k:1}\ntopics: {name: a}\n",
			[]string{"kafka.brokers: \"k:1\" is not a list", "topics: a mapping is not a list"}},
		{"several", "kafka:\n  brokers: [k:1]\n  session_timeout: 10x\n  colour: blue\noutput:\n  row_group_size: 12XB\nrotation: {max_age: soon, max_records: many}\n",
			[]string{
				"kafka.session_timeout: \"10x\" is not a duration",
				"kafka.colour: unknown key",
				"output.row_group_size: \"12XB\" is not a size",
				"rotation.max_age: \"soon\" is not a duration",
				"rotation.max_records: \"many\" is not a whole number",
			}},
		{"file not a mapping", "- kafka\n- output\n",
			[]string{"the config file: a list is not a mapping of keys (line 1)"}},
		// Several problems on one line are told apart by the type each value decodes into.
		{"same line", "kafka: {brokers: [k:1, {host: k}, [k, 2]], group: [g]}\ntopics: [{name: a, schema: [{nam: x}, {nam: y}]}]\n",
			[]string{
				"kafka.brokers[1]: a mapping is not text (line 1)",
				"kafka.brokers[2]: a list is not text (line 1)",
				"kafka.group: a list is not text (line 1)",
				"topics[0].schema[0].nam: unknown key",
				"topics[0].schema[1].nam: unknown key",
			}},
		{"bad records", "errors: {max_bad_records: none}\n",
			[]string{`errors.max_bad_records: "none" is not a whole number (line 1)`}},
		{"bool", "topics:\n  - name: a\n    key_as_string: maybe\n",
			[]string{`topics[0].key_as_string: "maybe" is not true or false (line 3)`}},
		{"not yaml", "kafka: {brokers: [\n", []string{"config: "}},
		{"tabs", "kafka:\n\tbrokers: [k:1]\n", []string{"config: "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.text))
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", c.text, cfg)
			}
			got := problems(err)
			if len(got) != len(c.want) {
				t.Errorf("%d problems, want %d:\n  %s", len(got), len(c.want), strings.Join(got, "\n  "))
			}
			for i, w := range c.want {
				if i >= len(got) || !strings.Contains(got[i], w) {
					t.Errorf("problem %d does not contain %q; problems:\n  %s", i, w, strings.Join(got, "\n  "))
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "\n", "# nothing\n"} {
		c, err := Parse([]byte(text))
		if err != nil || !reflect.DeepEqual(c, &Config{}) {
			t.Errorf("Parse(%q) = %+v, %v; want an empty config", text, c, err)
		}
	}
}

// full sets every key, none to its default.
const full = `
kafka:
  brokers: [kafka-1:9092, "[::1]:9093"]
  group: loader.prod-1
  version: 3.6.0
  client_id: loader-7
  start: 2026-11-22T00:00:00Z
  session_timeout: 45s
  rebalance_timeout: 2m
  topic_refresh: 30s
output:
  root: file:///data/k2h
  compression: zstd
  row_group_size: 16MiB
rotation:
  max_records: 5000
  max_bytes: 1GiB
  max_age: 90s
  allowed_lateness: 1h
  min_file_bytes: 32MiB
memory:
  max_buffered_bytes: 512MiB
  max_open_files: 64
  spill_dir: /var/spool/k2h
  max_spill_bytes: 20GiB
errors:
  max_bad_records: 0
log: {level: debug, format: json}
metrics: {addr: ":9464"}
topics:
  - name: clicks
    format: json
    key_as_string: true
    interceptors:
      - {type: filter, field: type, values: [heartbeat], action: drop}
      - {type: mask, field: user.email, method: hmac-sha256, key: secret}
      - {type: timestamp, field: ts, format: rfc3339}
      - {type: add_field, field: loaded_by, source: static, value: me}
    partitioner:
      time: {source: event}
      granularity: 15m
      path: dt=2006-01-02/hour=15/minute=04
      timezone: Europe/Berlin
      fields:
        - {name: country, field: user.geo.country}
    schema:
      - {name: event_id,   type: string,           field: event_id, required: true}
      - {name: event_time, type: timestamp-millis, field: ts, required: true}
      - {name: user_id,    type: int64,            field: user.id}
      - {name: email_hash, type: string,           field: user.email}
      - {name: price,      type: double,           field: cart.price, default: 0}
      - {name: loaded_by,  type: string}
  - pattern: "logs-.*"
    format: raw
`

func TestFullConfig(t *testing.T) {
	c, err := load(full)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.Group != "loader.prod-1" || c.Kafka.Version != "3.6.0" || c.Kafka.ClientID != "loader-7" ||
		c.Kafka.Start != "2026-11-22T00:00:00Z" || time.Duration(c.Kafka.SessionTimeout) != 45*time.Second ||
		time.Duration(c.Kafka.RebalanceTimeout) != 2*time.Minute || time.Duration(c.Kafka.TopicRefresh) != 30*time.Second ||
		!reflect.DeepEqual(c.Kafka.Brokers, []string{"kafka-1:9092", "[::1]:9093"}) {
		t.Errorf("kafka = %+v", c.Kafka)
	}
	if c.Output != (Output{Root: "file:///data/k2h", Compression: "zstd", RowGroupSize: 16 << 20, Permissions: storage.DefaultPerms}) {
		t.Errorf("output = %+v", c.Output)
	}
	if c.Rotation != (Rotation{MaxRecords: 5000, MaxBytes: 1 << 30, MaxAge: Duration(90 * time.Second), AllowedLateness: Duration(time.Hour), MinFileBytes: 32 << 20}) {
		t.Errorf("rotation = %+v", c.Rotation)
	}
	if c.Memory != (Memory{MaxBufferedBytes: 512 << 20, MaxOpenFiles: 64, Limit: 512<<20 + 192<<20, SpillDir: "/var/spool/k2h", MaxSpillBytes: 20 << 30}) {
		t.Errorf("memory = %+v", c.Memory)
	}
	if c.Errors.MaxBadRecords == nil || *c.Errors.MaxBadRecords != 0 {
		t.Errorf("errors.max_bad_records = %v, want 0 (set, not the default -1)", c.Errors.MaxBadRecords)
	}
	if c.Log != (Log{Level: "debug", Format: "json"}) || c.Metrics.Addr != ":9464" {
		t.Errorf("log = %+v, metrics = %+v", c.Log, c.Metrics)
	}
	if len(c.Topics) != 2 {
		t.Fatalf("topics = %+v", c.Topics)
	}
	clicks, logs := c.Topics[0], c.Topics[1]
	if clicks.Name != "clicks" || !clicks.KeyAsString || len(clicks.Interceptors) != 4 || len(clicks.Schema) != 6 ||
		clicks.Interceptors[1].Key != "secret" || clicks.Schema[4].Default != 0 || !clicks.Schema[0].Required {
		t.Errorf("topics[0] = %+v", clicks)
	}
	wantPart := partitioner.Config{
		Time:        partitioner.TimeSource{Source: "event"},
		Granularity: "15m",
		Path:        "dt=2006-01-02/hour=15/minute=04",
		Timezone:    "Europe/Berlin",
		Fields:      []partitioner.PathField{{Name: "country", Field: "user.geo.country", Default: partitioner.HiveDefaultPartition}},
	}
	if !reflect.DeepEqual(clicks.Partitioner, wantPart) {
		t.Errorf("topics[0].partitioner = %+v, want %+v", clicks.Partitioner, wantPart)
	}
	if logs.Pattern != "logs-.*" || logs.Format != consumer.FormatRaw || logs.Partitioner.Granularity != "hour" {
		t.Errorf("topics[1] = %+v", logs)
	}
}

func TestDefaults(t *testing.T) {
	parsed, err := Parse([]byte(doc(nil)))
	if err != nil {
		t.Fatal(err)
	}
	c := parsed.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Kafka{Brokers: []string{"k1:9092"}, Group: "kafka2hdfs", Version: "2.8.0", ClientID: "kafka2hdfs", Start: "earliest",
		SessionTimeout: Duration(30 * time.Second), RebalanceTimeout: Duration(time.Minute), TopicRefresh: Duration(time.Minute),
		IsolationLevel: ReadCommitted}
	if !reflect.DeepEqual(c.Kafka, want) {
		t.Errorf("kafka = %+v, want %+v", c.Kafka, want)
	}
	if want := (Output{Root: "/data/out", Compression: "snappy", RowGroupSize: 8 << 20, Permissions: storage.DefaultPerms}); c.Output != want {
		t.Errorf("output = %+v, want %+v", c.Output, want)
	}
	if want := (Rotation{MaxRecords: 1_000_000, MaxBytes: 256 << 20, MaxAge: Duration(10 * time.Minute), AllowedLateness: Duration(10 * time.Minute), MinFileBytes: 1 << 20}); c.Rotation != want {
		t.Errorf("rotation = %+v, want %+v", c.Rotation, want)
	}
	if want := (Memory{MaxBufferedBytes: 256 << 20, MaxOpenFiles: 256, Limit: 448 << 20, SpillDir: os.TempDir(), MaxSpillBytes: 4 << 30}); c.Memory != want {
		t.Errorf("memory = %+v, want %+v", c.Memory, want)
	}
	if c.Errors.MaxBadRecords == nil || *c.Errors.MaxBadRecords != -1 {
		t.Errorf("errors.max_bad_records = %v, want -1", c.Errors.MaxBadRecords)
	}
	if m := c.Errors.MaxBadShare; m == nil || *m != 0.5 || c.Errors.RetryFor != Duration(2*time.Minute) {
		t.Errorf("errors.max_bad_share = %v, retry_for = %v; want 0.5 and 2m", m, c.Errors.RetryFor)
	}
	if want := (Log{Level: "info", Format: "text"}); c.Log != want || c.Metrics.Addr != "" {
		t.Errorf("log = %+v, metrics = %+v", c.Log, c.Metrics)
	}
	topic := c.Topics[0]
	if topic.Format != consumer.FormatJSON || !reflect.DeepEqual(topic.Partitioner, (partitioner.Config{}).WithDefaults()) {
		t.Errorf("topics[0] = %+v", topic)
	}
	if topic.Partitioner.Time.Source != "event" || topic.Partitioner.Granularity != "hour" ||
		topic.Partitioner.Path != "dt=2006-01-02/hour=15" || topic.Partitioner.Timezone != "UTC" {
		t.Errorf("topics[0].partitioner = %+v", topic.Partitioner)
	}

	// WithDefaults leaves its receiver alone and is idempotent.
	if parsed.Kafka.Group != "" || parsed.Topics[0].Format != "" || parsed.Errors.MaxBadRecords != nil {
		t.Errorf("WithDefaults changed its receiver: %+v", parsed)
	}
	if again := c.WithDefaults(); !reflect.DeepEqual(again, c) {
		t.Errorf("WithDefaults twice = %+v, want %+v", again, c)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	for name, text := range map[string]string{"full": full, "defaults": doc(nil)} {
		t.Run(name, func(t *testing.T) {
			c, err := load(text)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.YAML()
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse([]byte(out))
			if err != nil {
				t.Fatalf("re-parse: %v\n%s", err, out)
			}
			if err := again.Validate(); err != nil {
				t.Fatalf("re-parsed config: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(normalize(again), normalize(c)) {
				t.Errorf("YAML() re-parses to\n%+v\nwant\n%+v\nYAML:\n%s", again, c, out)
			}
			if out2, _ := again.YAML(); out2 != out {
				t.Errorf("YAML() is not stable:\n%s\nthen\n%s", out, out2)
			}
		})
	}
}

// normalize makes empty lists nil: YAML() writes partitioner fields as [], which reads back empty.
// Secrets (mask keys and salts) read back as ***, as YAML() writes them.
func normalize(c *Config) *Config {
	d := *c
	d.secrets = nil
	d.Topics = make([]consumer.TopicSpec, len(c.Topics))
	for i, t := range c.Topics {
		if len(t.Partitioner.Fields) == 0 {
			t.Partitioner.Fields = nil
		}
		t.Interceptors = slices.Clone(t.Interceptors)
		for j := range t.Interceptors {
			for _, v := range []*string{&t.Interceptors[j].Key, &t.Interceptors[j].Salt} {
				if *v != "" {
					*v = "***"
				}
			}
		}
		d.Topics[i] = t
	}
	return &d
}

func TestParseByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ByteSize
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"1B", 1},
		{"64KiB", 64 << 10},
		{"64Ki", 64 << 10},
		{"64KB", 64_000},
		{"64K", 64_000},
		{"256MiB", 256 << 20},
		{"256MB", 256_000_000},
		{"1GiB", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"2TiB", 2 << 40},
		{"3TB", 3e12},
		{" 8 MiB ", 8 << 20},
		{"0.5KiB", 512},
		{"9223372036854774784", math.MaxInt64 - 1023}, // the largest float64 under 2^63
		{"8000000TiB", 8_000_000 << 40},
	} {
		got, err := ParseByteSize(c.in)
		if err != nil {
			t.Errorf("ParseByteSize(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseByteSize(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "-1MiB", "1mb", "1 megabyte", "1e6", "1,000", "1PiB", "0x10", "1MiBB", "1.MiB", ".5MiB",
		"9223372036854775807", "9223372036854775808", "8388608TiB", "99999999999999999999999"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, got)
		} else if !strings.Contains(err.Error(), "256MiB") && !strings.Contains(err.Error(), "too large") {
			t.Errorf("ParseByteSize(%q) error %q shows no example", in, err)
		}
	}
}

func TestByteSizeYAML(t *testing.T) {
	for _, c := range []struct {
		b    ByteSize
		want any
	}{
		{8 << 20, "8MiB"}, {1 << 30, "1GiB"}, {64 << 10, "64KiB"}, {3 << 40, "3072GiB"}, {1000, int64(1000)}, {0, int64(0)}, {1<<20 + 1, int64(1<<20 + 1)},
	} {
		got, err := c.b.MarshalYAML()
		if err != nil || got != c.want {
			t.Errorf("ByteSize(%d).MarshalYAML() = %v (%T), %v; want %v", c.b, got, got, err, c.want)
		}
		var text string
		switch v := got.(type) {
		case string:
			text = v
		case int64:
			text = strconv.FormatInt(v, 10)
		}
		if back, err := ParseByteSize(text); err != nil || back != c.b {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", text, back, err, c.b)
		}
	}
}

func TestSarama(t *testing.T) {
	c, err := load(full)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.Sarama()
	if err != nil {
		t.Fatal(err)
	}
	if sc.Version != sarama.V3_6_0_0 {
		t.Errorf("version = %v, want 3.6.0", sc.Version)
	}
	if sc.ClientID != "loader-7" {
		t.Errorf("client id = %q", sc.ClientID)
	}
	if sc.Consumer.Group.Session.Timeout != 45*time.Second || sc.Consumer.Group.Heartbeat.Interval != 4500*time.Millisecond ||
		sc.Consumer.Group.Rebalance.Timeout != 2*time.Minute || sc.Metadata.RefreshFrequency != 30*time.Second {
		t.Errorf("timeouts: session %v, heartbeat %v, rebalance %v, metadata refresh %v", sc.Consumer.Group.Session.Timeout,
			sc.Consumer.Group.Heartbeat.Interval, sc.Consumer.Group.Rebalance.Timeout, sc.Metadata.RefreshFrequency)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("sarama rejects the config: %v", err)
	}

	d, err := load(doc(nil))
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = d.Sarama(); err != nil {
		t.Fatal(err)
	}
	if sc.Version != sarama.V2_8_0_0 || sc.Consumer.Group.Session.Timeout != 30*time.Second || sc.Consumer.Group.Heartbeat.Interval != 3*time.Second ||
		sc.Consumer.Group.Rebalance.Timeout != time.Minute || sc.ClientID != "kafka2hdfs" {
		t.Errorf("defaults: version %v, session %v, heartbeat %v, rebalance %v, client %q", sc.Version, sc.Consumer.Group.Session.Timeout,
			sc.Consumer.Group.Heartbeat.Interval, sc.Consumer.Group.Rebalance.Timeout, sc.ClientID)
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("sarama rejects the default config: %v", err)
	}

	d.Kafka.Version = "x"
	if _, err := d.Sarama(); err == nil || !strings.Contains(err.Error(), "kafka.version") {
		t.Errorf("Sarama with a bad version: %v", err)
	}
}

func TestParseLevel(t *testing.T) {
	for in, ok := range map[string]bool{"debug": true, "INFO": true, "": true, "warn": true, "warning": true, "error": true, "trace": false, "fatal": false} {
		if _, err := ParseLevel(in); (err == nil) != ok {
			t.Errorf("ParseLevel(%q): %v", in, err)
		}
	}
}

func TestLoad(t *testing.T) {
	if c, err := Load(""); err != nil || !reflect.DeepEqual(c, &Config{}) {
		t.Errorf(`Load("") = %+v, %v; want an empty config`, c, err)
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "k2h.yaml")
	if err := os.WriteFile(name, []byte(full), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(name)
	if err != nil || c.Kafka.Group != "loader.prod-1" {
		t.Errorf("Load = %+v, %v", c, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "read config") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestDocumentedExample(t *testing.T) {
	b, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Skip("no docs/configuration.md:", err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Skip("docs/configuration.md has no yaml example")
	}
	if _, err := load(example); err != nil {
		t.Errorf("the example in docs/configuration.md does not validate: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(full)
	f.Add(doc(nil))
	f.Add("kafka:\n  session_timeout: 10x\n  colour: blue\nrotation: {max_records: many, max_age: [1]}\n")
	f.Add("kafka: [1]\ntopics: {a: b}\n")
	f.Add("a: &x {b: *x}\n<<: {c: 1}\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse([]byte(text))
		if err != nil {
			return
		}
		c = c.WithDefaults()
		_ = c.Validate()
		_, _ = c.YAML()
	})
}

// A spill directory that cannot take a file is refused at start, naming the key, not deep into a
// run when the budget first needs it.
func TestSpillDirChecked(t *testing.T) {
	dir := t.TempDir()
	if err := checkSpillDir(filepath.Join(dir, "new", "spill")); err != nil {
		t.Errorf("a directory that can be created: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := checkSpillDir(filepath.Join(file, "spill"))
	if err == nil || !strings.Contains(err.Error(), "memory.spill_dir") || !strings.Contains(err.Error(), "off for no spilling") {
		t.Errorf("a path under a file: %v, want an error naming memory.spill_dir and the way out", err)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "new", "spill")); len(left) != 0 {
		t.Errorf("the check left %d files behind", len(left))
	}
}

// validate prints the effective settings, defaults included: an interceptor's defaults too (the
// timestamp interceptor's format was invisible, and it was the surprising one).
func TestEffectiveSettingsShowInterceptorDefaults(t *testing.T) {
	c, err := Parse([]byte(`kafka: {brokers: [k:9092]}
output: {root: /data/out}
topics:
  - name: clicks
    interceptors:
      - {type: timestamp, field: ts}
      - {type: mask, field: email}
      - {type: filter, field: kind, values: [a]}
      - {type: add_field, field: at, source: processing_time}
    schema: [{name: id, type: string}]
`))
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"format: auto", "if_missing: keep", "method: sha256", "action: keep", "format: rfc3339"} {
		if !strings.Contains(out, want) {
			t.Errorf("effective settings lack %q:\n%s", want, out)
		}
	}
}

// Integers are integers, booleans are YAML booleans, and a 0 that would silently mean "the default"
// is an error naming the key.
func TestStrictScalars(t *testing.T) {
	base := "kafka: {brokers: [k:9092]}\noutput: {root: /data/out}\ntopics: [{name: a, schema: [{name: x, type: string}]}]\n"
	for _, c := range []struct {
		name, text, want string
	}{
		{"fraction for an integer", "rotation: {max_records: 1.5}\n", `rotation.max_records: 1.5 is not a whole number (line 4)`},
		{"float for an integer", "memory: {max_open_files: 2.0}\n", `memory.max_open_files: 2.0 is not a whole number`},
		{"fraction for a pointer integer", "errors: {max_bad_records: 1.5}\n", `errors.max_bad_records: 1.5 is not a whole number`},
		{"yes for a boolean", "completeness: {enabled: yes}\n", `completeness.enabled: "yes" is not true or false`},
		{"off for a nested boolean", "topics: [{name: a, key_as_string: off, schema: [{name: x, type: string}]}]\n", `topics[0].key_as_string: "off" is not true or false`},
		{"quoted true", "completeness: {enabled: \"true\"}\n", `completeness.enabled: "true" is not true or false`},
		{"zero records", "rotation: {max_records: 0}\n", `rotation.max_records: 0 would mean the default (1000000); omit the key for the default, or give a positive value`},
		{"zero duration", "rotation: {max_age: 0s}\n", `rotation.max_age: 0s would mean the default`},
		{"zero size", "memory: {max_spill_bytes: 0}\n", `memory.max_spill_bytes: 0 would mean the default`},
		{"zero lateness", "rotation: {allowed_lateness: 0s}\n", `rotation.allowed_lateness: 0s would mean the default`},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := base + c.text
			if strings.HasPrefix(c.text, "topics:") {
				text = "kafka: {brokers: [k:9092]}\noutput: {root: /data/out}\n" + c.text
			}
			cfg, err := Parse([]byte(text))
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", c.text, cfg)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse(%q) = %v, want it to contain %q", c.text, err, c.want)
			}
		})
	}
	// What stays accepted.
	for _, ok := range []string{"completeness: {enabled: true}\n", "completeness: {enabled: False}\n", "rotation: {max_records: 10}\n",
		"errors: {max_bad_records: 0}\n", "errors: {max_bad_records: -1}\n", "rotation: {max_bytes: 1.5MiB}\n", "memory: {max_open_files: 0x10}\n"} {
		if _, err := Parse([]byte(base + ok)); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
}
