package interceptor

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// add_field writes a field that the record does not carry, for later interceptors, the partitioner
// and the schema:
//
//	interceptors:
//	  - type: add_field
//	    field: env
//	    value: prod              # source: static (default)
//	  - type: add_field
//	    field: loaded_by
//	    source: hostname         # the loader's host
//	  - type: add_field
//	    field: loaded_at
//	    source: processing_time  # when the loader read the record
//	    format: epoch_millis     # default rfc3339
//
// A static value keeps its YAML type: a string is a string, an integer or a float a number (written
// canonically, so 0x2A and 42.0 both become 42) and true/false a boolean, so it fits a column of
// that type. Null, maps and lists are refused: a column holds one scalar, and a null static value
// is what not adding the field gives.
//
// processing_time is the wall clock at the moment the record passes, not the Kafka timestamp (that
// is kafka_timestamp) nor the event time. epoch_* formats give a number, rfc3339 (nanosecond
// precision, trailing zeros trimmed) and Go layouts a string, all in UTC.
//
// If the field exists already, the new value replaces it from here on, paths under it included.
// Static and hostname values are computed once, when the chain is built, and shared by every record.
type addField struct {
	slot  record.Slot
	value field.Value // static and hostname
	// timeFormat is the processing_time format's name (field.TimeFormat.String), "" for the others.
	timeFormat string
	now        func() time.Time
}

func buildAddField(c Config, env Env) (Interceptor, error) {
	a := &addField{now: time.Now}
	switch c.Source {
	case "", "static":
		if err := rejectUnused(&c, "add_field source static", "field", "value", "source"); err != nil {
			return nil, err
		}
		v, err := staticValue(c.Value)
		if err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
		a.value = v
	case "hostname":
		if err := rejectUnused(&c, "add_field source hostname", "field", "source"); err != nil {
			return nil, err
		}
		if env.Hostname == "" {
			return nil, fmt.Errorf("source: hostname is unknown on this machine; use source static with the name as value")
		}
		a.value = field.Value{Kind: field.String, Bytes: shared([]byte(env.Hostname))}
	case "processing_time":
		if err := rejectUnused(&c, "add_field source processing_time", "field", "source", "format"); err != nil {
			return nil, err
		}
		tf, err := field.ParseTimeFormat(c.Format, nil)
		if err != nil {
			return nil, fmt.Errorf("format: %w", err)
		}
		if tf.String() == "auto" {
			return nil, fmt.Errorf("format: auto only reads times; add_field writes one: use rfc3339, an epoch format or a layout")
		}
		a.timeFormat = tf.String()
	default:
		return nil, fmt.Errorf("source: %q is not static, hostname or processing_time", c.Source)
	}
	if c.Field == "" {
		return nil, fmt.Errorf("field: add_field needs the name of the field it writes; set field")
	}
	var err error
	if a.slot, err = env.Layout.Define(c.Field); err != nil {
		return nil, fmt.Errorf("field: %w", err)
	}
	return a, nil
}

func (a *addField) Intercept(r *record.Record) (bool, error) {
	if a.timeFormat == "" {
		r.Fields[a.slot] = a.value
		return true, nil
	}
	r.Fields[a.slot] = formatTime(a.now().UTC(), a.timeFormat)
	return true, nil
}

// formatTime writes t in the format named by field.TimeFormat.String. field.TimeFormat only parses,
// and its kind is unexported, so the name is what tells the formats apart: a layout cannot be named
// like a named format, because ParseTimeFormat would have taken it as that format.
func formatTime(t time.Time, format string) field.Value {
	var n int64
	switch format {
	case "epoch_seconds":
		n = t.Unix()
	case "epoch_millis":
		n = t.UnixMilli()
	case "epoch_micros":
		n = t.UnixMicro()
	case "epoch_nanos":
		n = t.UnixNano()
	case "rfc3339":
		return field.Value{Kind: field.String, Bytes: t.AppendFormat(make([]byte, 0, len(time.RFC3339Nano)), time.RFC3339Nano)}
	default:
		return field.Value{Kind: field.String, Bytes: t.AppendFormat(make([]byte, 0, len(format)+8), format)}
	}
	return field.Value{Kind: field.Number, Bytes: strconv.AppendInt(make([]byte, 0, 20), n, 10)}
}

// staticValue converts a YAML scalar, as yaml.v3 decodes it into an any, to the value add_field
// writes. The bytes are shared by every record, so their capacity is clipped.
func staticValue(v any) (field.Value, error) {
	var (
		kind = field.Number
		b    []byte
	)
	switch x := v.(type) {
	case nil:
		return field.Value{}, fmt.Errorf("add_field source static needs a value; set value to a string, number or boolean")
	case string:
		kind, b = field.String, []byte(x)
	case bool:
		kind, b = field.Bool, strconv.AppendBool(nil, x)
	case int:
		b = strconv.AppendInt(nil, int64(x), 10)
	case int8:
		b = strconv.AppendInt(nil, int64(x), 10)
	case int16:
		b = strconv.AppendInt(nil, int64(x), 10)
	case int32:
		b = strconv.AppendInt(nil, int64(x), 10)
	case int64:
		b = strconv.AppendInt(nil, x, 10)
	case uint:
		b = strconv.AppendUint(nil, uint64(x), 10)
	case uint8:
		b = strconv.AppendUint(nil, uint64(x), 10)
	case uint16:
		b = strconv.AppendUint(nil, uint64(x), 10)
	case uint32:
		b = strconv.AppendUint(nil, uint64(x), 10)
	case uint64:
		b = strconv.AppendUint(nil, x, 10)
	case float32:
		if math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) {
			return field.Value{}, fmt.Errorf("%v is not a finite number; JSON and Parquet numbers must be", x)
		}
		b = appendFloat(nil, float64(x), 32)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return field.Value{}, fmt.Errorf("%v is not a finite number; JSON and Parquet numbers must be", x)
		}
		b = appendFloat(nil, x, 64)
	case time.Time:
		// Only an explicit !!timestamp tag makes yaml.v3 decode a time into an any.
		kind, b = field.String, x.AppendFormat(nil, time.RFC3339Nano)
	case map[string]any, map[any]any:
		return field.Value{}, fmt.Errorf("a map is not a scalar; add_field writes one string, number or boolean")
	case []any:
		return field.Value{}, fmt.Errorf("a list is not a scalar; add_field writes one string, number or boolean")
	default:
		return field.Value{}, fmt.Errorf("%T %v is not a string, number or boolean", v, v)
	}
	return field.Value{Kind: kind, Bytes: shared(b)}, nil
}

// appendFloat formats f the way encoding/json does: the shortest decimal that reads back as f, in
// plain notation unless it is very large or small. 42.0 is 42, not 4.2e+01.
func appendFloat(b []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	fmtByte := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmtByte = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmtByte, -1, bits)
	if fmtByte == 'e' {
		// Go writes e-09 where encoding/json writes e-9; match JSON so a value reads the same both ways.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
