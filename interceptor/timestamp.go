package interceptor

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// timestamp sets the record's event time, which the partitioner's "event" time source buckets by,
// from a field, the key or a header:
//
//	interceptors:
//	  - type: timestamp
//	    field: "@header.event_time"   # or a JSON path, or @key
//	    format: epoch_millis          # see field.ParseTimeFormat; default auto: an RFC3339 string or epoch millis
//	    if_missing: keep              # keep (default) or error
//
// Until a timestamp interceptor runs, the event time is the Kafka timestamp. A missing or null field
// keeps it (if_missing: keep: producers that omit the field still land, in the hour they were
// written to Kafka) or dead-letters the record (if_missing: error: every file must be bucketed by
// the real event time). A value that is present but does not parse is always an error: silently
// falling back would put the record in the wrong partition with no trace. Go layouts without a zone
// are read in UTC.
type timestamp struct {
	slot         record.Slot
	name         string
	format       field.TimeFormat
	errIfMissing bool
}

// DefaultTimestampFormat is the timestamp interceptor's format when none is given: it reads what a
// timestamp column reads without one, an RFC3339 string or a JSON number of epoch milliseconds,
// so a topic with numeric event times is not sent to dead letters by a default.
const DefaultTimestampFormat = "auto"

func buildTimestamp(c Config, env Env) (Interceptor, error) {
	if err := rejectUnused(&c, "timestamp", "field", "format", "if_missing"); err != nil {
		return nil, err
	}
	ts := &timestamp{name: c.Field}
	var err error
	if ts.format, err = field.ParseTimeFormat(cmp.Or(c.Format, DefaultTimestampFormat), nil); err != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	switch c.IfMissing {
	case "", "keep":
	case "error":
		ts.errIfMissing = true
	default:
		return nil, fmt.Errorf("if_missing: %q is not keep or error; keep leaves the Kafka timestamp, error dead-letters the record", c.IfMissing)
	}
	if ts.slot, err = readField(env.Layout, "field", c.Field, "timestamp"); err != nil {
		return nil, err
	}
	return ts, nil
}

func (ts *timestamp) Intercept(r *record.Record) (bool, error) {
	v := r.Fields[ts.slot]
	if v.IsAbsent() {
		if ts.errIfMissing {
			return false, fmt.Errorf("timestamp: field %q is %s and if_missing is error", ts.name, v.Kind)
		}
		return true, nil
	}
	t, err := ts.format.Parse(v)
	if err != nil {
		return false, fmt.Errorf("timestamp: field %q: %s is not a time in format %s: %s",
			ts.name, show(v), ts.format, reason(err))
	}
	// The range the partitioner buckets and the columns store. Checked here too because Go's zero
	// time (year 1) would otherwise read as "no event time" downstream and the record would be
	// bucketed by its Kafka timestamp instead.
	if t.Before(minTime) || !t.Before(maxTime) { // the UTC years 1970 to 9999; Year() costs more
		return false, fmt.Errorf("timestamp: field %q: %s is outside the years 1970 to 9999", ts.name, t.UTC().Format(time.RFC3339Nano))
	}
	r.EventTime = t
	r.RememberTime(v, ts.format, t)
	return true, nil
}

var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive
)

// reason is err's message cut short: field.TimeFormat.Parse quotes the whole value in some of its
// messages, and the value is already shown, truncated.
func reason(err error) string {
	msg := err.Error()
	if len(msg) > 2*maxShown {
		return strings.ToValidUTF8(msg[:2*maxShown], "") + "…"
	}
	return msg
}
