package partitioner

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Time sources, the values of TimeSource.Source.
const (
	// SourceEvent buckets by record.EventTime: the Kafka timestamp unless a timestamp interceptor
	// set it from a field or header.
	SourceEvent = "event"
	// SourceKafka buckets by the Kafka timestamp, whatever the interceptors did.
	SourceKafka = "kafka"
	// SourceField buckets by a field of the record, read with TimeSource.Format.
	SourceField = "field"
	// SourceProcessing buckets by the time the loader handles the record.
	SourceProcessing = "processing"
)

// HiveDefaultPartition is the value Hive and Spark write, and read back as NULL, for a partition
// column without a value.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// Config is a topic's `partitioner:` block.
type Config struct {
	// Time says which instant a record is bucketed by.
	Time TimeSource `yaml:"time"`
	// Granularity is the bucket length: hour, day, or a Go duration of whole minutes that divides
	// 24h (10m, 15m, 2h, 6h...). Buckets align to local midnight. Default: hour.
	Granularity string `yaml:"granularity"`
	// Path is the bucket's directory, relative to the topic's: Go time layout text, formatted at the
	// bucket's start in Timezone, with {name} placeholders for entries of Fields. Layout tokens are
	// recognised anywhere in the literal text (a "1" is the month), so keep column names to letters.
	// Default: dt=2006-01-02/hour=15 (dt=2006-01-02 for day buckets, and /minute=04 added for
	// buckets that are not whole hours, so that no two buckets of a day share a directory).
	Path string `yaml:"path"`
	// Timezone is the IANA zone of the bucket boundaries and of the path. Default: UTC.
	Timezone string `yaml:"timezone"`
	// Fields are partition columns taken from the record. Those not placed in Path with {name}
	// come first, as name=value directories in this order. Values are escaped: every byte but
	// letters, digits, . _ and - becomes %XX, which Hive and Spark decode, so a value can never
	// add a directory; a value that opens a directory name has a leading . or _ escaped too, so
	// it can be neither . nor .. nor hidden from Hadoop readers.
	Fields []PathField `yaml:"fields"`
}

// TimeSource is the `time:` block of a partitioner config.
type TimeSource struct {
	// Source is event, kafka, field or processing (see the Source constants). Default: event.
	Source string `yaml:"source"`
	// Field is the record field holding the time, for source field.
	Field string `yaml:"field"`
	// Format is how Field is read: a field.ParseTimeFormat name. Layouts without a zone are read
	// in Timezone. Default: rfc3339.
	Format string `yaml:"format"`
}

// PathField is one partition column taken from a record field.
type PathField struct {
	// Name is the Hive partition column, e.g. country.
	Name string `yaml:"name"`
	// Field is the record field holding the value, e.g. geo.country. Default: Name.
	Field string `yaml:"field"`
	// Default is the value for a record where the field is missing, null or empty; it is
	// escaped like any value. Default: __HIVE_DEFAULT_PARTITION__, which Hive reads as NULL.
	Default string `yaml:"default"`
}

// WithDefaults fills in what the config leaves out. It does not validate: New does, and calls
// WithDefaults itself.
func (c Config) WithDefaults() Config {
	if c.Time.Source == "" {
		c.Time.Source = SourceEvent
	}
	// Only the field source reads a format; filling it in for the others would hide a
	// misplaced format from validation.
	if c.Time.Source == SourceField && c.Time.Format == "" {
		c.Time.Format = "rfc3339"
	}
	if c.Granularity == "" {
		c.Granularity = "hour"
	}
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.Path == "" {
		g, err := parseGranularity(c.Granularity)
		if err != nil {
			g = time.Hour
		}
		c.Path = DefaultPath(g)
	}
	if c.Fields != nil {
		// A copy, so that the caller's config keeps what the user wrote.
		fs := make([]PathField, len(c.Fields))
		for i, f := range c.Fields {
			if f.Field == "" {
				f.Field = f.Name
			}
			if f.Default == "" {
				f.Default = HiveDefaultPartition
			}
			fs[i] = f
		}
		c.Fields = fs
	}
	return c
}

// DefaultPath is the path used for a granularity when the config names none: fine enough that
// every bucket of a day has a directory of its own.
func DefaultPath(g time.Duration) string {
	switch {
	case g >= 24*time.Hour:
		return "dt=2006-01-02"
	case g%time.Hour == 0:
		return "dt=2006-01-02/hour=15"
	default:
		return "dt=2006-01-02/hour=15/minute=04"
	}
}

const granularityHint = "use hour, day or a duration that divides 24h such as 10m, 15m, 2h"

func parseGranularity(s string) (time.Duration, error) {
	switch s {
	case "hour":
		return time.Hour, nil
	case "day":
		return 24 * time.Hour, nil
	}
	g, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("granularity: %q is not hour, day or a Go duration; %s", s, granularityHint)
	case g <= 0:
		return 0, fmt.Errorf("granularity: %q must be positive; %s", s, granularityHint)
	case g > 24*time.Hour:
		// Multi-day buckets would need an epoch to align to, and nobody partitions by one.
		return 0, fmt.Errorf("granularity: %q is longer than a day; %s", s, granularityHint)
	case g%time.Minute != 0:
		// Sub-minute buckets make tens of thousands of directories a day, each with tiny files.
		return 0, fmt.Errorf("granularity: %q is not a whole number of minutes; %s", s, granularityHint)
	case (24*time.Hour)%g != 0:
		// Otherwise the last bucket of every day would be a stub, a different length each day.
		return 0, fmt.Errorf("granularity: %q does not divide a day; %s", s, granularityHint)
	}
	return g, nil
}

// columnName is what Hive, Spark and Trino all accept unquoted as a partition column.
var columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// piece is a run of the path template: time layout text, or a placeholder for fields[field].
type piece struct {
	layout string
	field  int // -1 for layout text
	// segStart says the placeholder opens a directory name, where its value's first character
	// is escaped if it is . or _ (see appendEscaped).
	segStart bool
}

// parseTemplate splits the path on its {name} placeholders before anything is formatted, so a
// field value never reaches time.Format. index maps field names to their index in fields.
func parseTemplate(tmpl string, index map[string]int) ([]piece, error) {
	if tmpl == "" {
		return nil, fmt.Errorf("path: must not be empty")
	}
	if strings.HasPrefix(tmpl, "/") || strings.HasSuffix(tmpl, "/") {
		return nil, fmt.Errorf("path: %q must not start or end with /; it is relative to the topic's directory", tmpl)
	}
	if strings.Contains(tmpl, "//") {
		return nil, fmt.Errorf("path: %q has an empty directory name (//)", tmpl)
	}
	if strings.Contains(tmpl, "..") {
		return nil, fmt.Errorf("path: %q must not contain \"..\"; it could climb out of the topic directory", tmpl)
	}
	var ps []piece
	rest := tmpl
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if close := strings.IndexByte(rest, '}'); close >= 0 && (open < 0 || close < open) {
			return nil, fmt.Errorf("path: %q has a } without a {", tmpl)
		}
		if open < 0 {
			ps = append(ps, piece{layout: rest, field: -1})
			break
		}
		if open > 0 {
			ps = append(ps, piece{layout: rest[:open], field: -1})
		}
		close := strings.IndexByte(rest[open:], '}')
		if close < 0 {
			return nil, fmt.Errorf("path: %q has a { without a }", tmpl)
		}
		name := rest[open+1 : open+close]
		i, ok := index[name]
		if !ok {
			return nil, fmt.Errorf("path: {%s} is not the name of an entry in fields", name)
		}
		at := len(tmpl) - len(rest) + open
		ps = append(ps, piece{field: i, segStart: at == 0 || tmpl[at-1] == '/'})
		rest = rest[open+close+1:]
	}
	return ps, nil
}

// checkFormatted formats the template at sample instants, with placeholders standing for a plain
// value, and rejects what would make a bad directory: characters HDFS refuses (":") or Hive must
// escape, names Hadoop readers skip as hidden, and names longer than HDFS allows.
func checkFormatted(tmpl string, ps []piece, loc *time.Location) error {
	// Two instants, so that padded tokens (_2, __2) show both their short and long forms.
	for _, t := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6, loc),
		time.Date(2026, 12, 25, 23, 59, 58, 999999999, loc),
	} {
		var b strings.Builder
		for _, pc := range ps {
			if pc.field >= 0 {
				b.WriteString("x")
				continue
			}
			b.WriteString(t.Format(pc.layout))
		}
		out := b.String()
		for _, seg := range strings.Split(out, "/") {
			if seg == "" {
				return fmt.Errorf("path: %q formats to %q, which has an empty directory name", tmpl, out)
			}
			if seg[0] == '.' || seg[0] == '_' {
				return fmt.Errorf("path: %q formats to %q, whose directory %q starts with %q: Hadoop readers skip it as hidden", tmpl, out, seg, seg[0])
			}
			if len(seg) > maxComponent {
				return fmt.Errorf("path: %q formats to a directory name of %d bytes; HDFS allows %d", tmpl, len(seg), maxComponent)
			}
			for _, c := range seg {
				if c >= utf8.RuneSelf || !safe[c] && c != '=' && c != '+' {
					return fmt.Errorf("path: %q formats to %q, which contains %q; use letters, digits and . _ - = + (HDFS refuses :, and Hive escapes most others)", tmpl, out, c)
				}
			}
		}
	}
	return nil
}

// templateColumns returns the partition columns the template's literal text names: the part
// before = of each directory without a placeholder before its =.
func templateColumns(tmpl string) []string {
	var cols []string
	for _, seg := range strings.Split(tmpl, "/") {
		key, _, ok := strings.Cut(seg, "=")
		if ok && !strings.Contains(key, "{") {
			cols = append(cols, key)
		}
	}
	return cols
}
