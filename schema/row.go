package schema

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/internal/pqvalue"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// Building a JSON topic's row from a record: each declared column's value converted to its Parquet
// type in place, with the levels a flat or a nested column needs.

// ConvertError says why a record could not become a row.
type ConvertError struct {
	Column string
	Field  string
	Err    error
}

func (e *ConvertError) Error() string {
	return fmt.Sprintf("column %s (field %s): %v", e.Column, e.Field, e.Err)
}

func (e *ConvertError) Unwrap() error { return e.Err }

// Row appends r's row to row[:0] and returns it. Byte values alias r and the field values; the writer
// copies them before the next record. A per-record problem is a *ConvertError.
func (s *Schema) Row(r *record.Record, row parquet.Row) (parquet.Row, error) {
	if s.kind != JSON {
		return nil, errors.New("schema: Row is for format json; use AppendRaw")
	}
	if s.nested {
		return s.nestedRow(r, row)
	}
	// Values are converted into their places and their levels set there: returning each value,
	// then copying it with new levels (Value.Level, not inlined) and appending it, was a third of
	// building a row. Without nested columns, column i is value i.
	n := len(s.cols)
	row = slices.Grow(row[:0], n+metaColumns)[:n]
	for i := range s.cols {
		c := &s.cols[i]
		v := &row[i]
		if err := c.value(v, r.Fields[c.slot], r); err != nil {
			return row[:i], &ConvertError{Column: c.name, Field: c.field, Err: err}
		}
		pqvalue.SetLevels(v, 0, c.defLevel(v), i) // one store, which the writer's copy forwards from
	}
	if err := s.checkKey(r); err != nil {
		return row, err
	}
	return s.appendMeta(row, r, s.meta), nil
}

// nestedRow is Row for a schema with a LIST, MAP or group column, whose leaves are values of their
// own: a column's values start at its first leaf's index, not at its own.
func (s *Schema) nestedRow(r *record.Record, row parquet.Row) (parquet.Row, error) {
	row = slices.Grow(row[:0], s.meta+metaColumns)
	for i := range s.cols {
		c := &s.cols[i]
		if c.nested != nil {
			var err error
			if row, err = c.appendNested(row, r.Fields[c.slot]); err != nil {
				return row, &ConvertError{Column: c.name, Field: c.field, Err: err}
			}
			continue
		}
		row = append(row, parquet.Value{})
		v := &row[len(row)-1]
		if err := c.value(v, r.Fields[c.slot], r); err != nil {
			return row[:len(row)-1], &ConvertError{Column: c.name, Field: c.field, Err: err}
		}
		pqvalue.SetLevels(v, 0, c.defLevel(v), c.leaf)
	}
	if err := s.checkKey(r); err != nil {
		return row, err
	}
	return s.appendMeta(row, r, s.meta), nil
}

// checkKey rejects a key that cannot go into a STRING kafka_key column.
func (s *Schema) checkKey(r *record.Record) error {
	if s.keyString && r.Key != nil && !utf8.Valid(r.Key) {
		return &ConvertError{Column: ColKey, Field: record.KeyName, Err: errNotUTF8}
	}
	return nil
}

// defLevel is the definition level of v, the column's value: 1 unless it is null or the column
// is required.
func (c *column) defLevel(v *parquet.Value) int {
	if c.required || pqvalue.IsNull(v) {
		return 0
	}
	return 1
}

// value converts fv, a field value of r, into *v, levels not set.
func (c *column) value(v *parquet.Value, fv field.Value, r *record.Record) error {
	if fv.IsAbsent() {
		if c.def != nil {
			*v = *c.def
			return nil
		}
		if c.required {
			if fv.Kind == field.Null {
				return errors.New("required, but the field is null")
			}
			return errors.New("required, but the field is missing")
		}
		*v = parquet.NullValue()
		return nil
	}
	// The commonest conversions in place: convert's call and copied result cost more than they.
	// Anything else, or an error, is convert's, which says why.
	switch c.conv {
	case convString:
		if !validText(fv) {
			return errNotUTF8
		}
		*v = parquet.ByteArrayValue(fv.Bytes)
		return nil
	case convInt64:
		if fv.Kind == field.Number {
			if n, ok := parseSimpleInt(fv.Bytes); ok {
				*v = parquet.Int64Value(n)
				return nil
			}
			if n, err := strconv.ParseInt(string(fv.Bytes), 10, 64); err == nil {
				*v = parquet.Int64Value(n)
				return nil
			}
		}
	case convDouble:
		if fv.Kind == field.Number { // a JSON number: no NaN, no hexadecimal
			if x, ok := parseSimpleFloat(fv.Bytes); ok {
				*v = parquet.DoubleValue(x)
				return nil
			}
			if x, err := strconv.ParseFloat(string(fv.Bytes), 64); err == nil {
				*v = parquet.DoubleValue(x)
				return nil
			}
		}
	}
	var err error
	*v, err = c.convert(fv, r)
	return err
}

var errNotUTF8 = errors.New("not valid UTF-8")

// validText reports whether fv's bytes are valid UTF-8, as a STRING column (or a nested column's
// JSON text) needs: without looking when the JSON scanner read them (it checked every byte).
func validText(fv field.Value) bool { return fv.KnownUTF8() || utf8.Valid(fv.Bytes) }

// HeaderKeyField is the Field of a ConvertError about a header key.
const HeaderKeyField = "@header key"

// convert converts fv, a field value of r (nil for a default), into the column's type.
func (c *column) convert(fv field.Value, r *record.Record) (parquet.Value, error) {
	b := fv.Bytes
	switch c.conv {
	case convString:
		// Numbers, booleans and nested JSON are kept as their exact text: lossless, and common
		// for ids that are sometimes numbers and for free-form property bags.
		if !validText(fv) {
			return parquet.Value{}, errNotUTF8
		}
		return parquet.ByteArrayValue(b), nil
	case convBytes:
		if c.base64 {
			if fv.Kind != field.String {
				return parquet.Value{}, fmt.Errorf("want a base64 string, got %s", fv.Kind)
			}
			d, err := base64.StdEncoding.DecodeString(string(b))
			if err != nil {
				return parquet.Value{}, fmt.Errorf("not base64: %w", err)
			}
			return parquet.ByteArrayValue(d), nil
		}
		return parquet.ByteArrayValue(b), nil
	case convDecimal:
		return c.dec.value(fv)
	case convInt32, convInt64:
		bits := 64
		if c.conv == convInt32 {
			bits = 32
		}
		n, err := parseInt(fv, bits)
		if err != nil {
			return parquet.Value{}, err
		}
		if bits == 32 {
			return parquet.Int32Value(int32(n)), nil
		}
		return parquet.Int64Value(n), nil
	case convFloat, convDouble:
		bits := 64
		if c.conv == convFloat {
			bits = 32
		}
		x, err := parseFloat(fv, bits)
		if err != nil {
			return parquet.Value{}, err
		}
		if bits == 32 {
			return parquet.FloatValue(float32(x)), nil
		}
		return parquet.DoubleValue(x), nil
	case convBoolean:
		if fv.Kind != field.Bool {
			return parquet.Value{}, fmt.Errorf("want a boolean, got %s %s", fv.Kind, quote(b))
		}
		return parquet.BooleanValue(b[0] == 't'), nil
	case convTimestampMillis, convTimestampMicros:
		if c.timeFmt == nil && fv.Kind == field.Number {
			// A bare number is already in the column's unit: no ×1000 surprises.
			n, err := parseInt(fv, 64)
			if err != nil {
				return parquet.Value{}, fmt.Errorf("timestamp in %s: %w", c.typ[len("timestamp-"):], err)
			}
			lo, hi := c.unitRange()
			if n < lo || n > hi {
				return parquet.Value{}, fmt.Errorf("timestamp %d in %s is outside the years 1970 to 9999", n, c.typ[len("timestamp-"):])
			}
			return parquet.Int64Value(n), nil
		}
		tf := field.TimeFormat{}
		if c.timeFmt != nil {
			tf = *c.timeFmt
		}
		t, ok := time.Time{}, false
		if r != nil {
			t, ok = r.RecallTime(fv, tf) // the timestamp interceptor read it already
		}
		if !ok {
			var err error
			if t, err = tf.Parse(fv); err != nil {
				return parquet.Value{}, err
			}
		}
		if err := checkTimestampRange(t); err != nil {
			return parquet.Value{}, err
		}
		return c.fromTime(t)
	case convDate:
		if c.timeFmt == nil && fv.Kind == field.Number {
			n, err := parseInt(fv, 32)
			if err != nil {
				return parquet.Value{}, fmt.Errorf("date in days since 1970-01-01: %w", err)
			}
			return parquet.Int32Value(int32(n)), nil
		}
		var t time.Time
		if c.timeFmt != nil {
			var err error
			if t, err = c.timeFmt.Parse(fv); err != nil {
				return parquet.Value{}, err
			}
		} else {
			if fv.Kind != field.String {
				return parquet.Value{}, fmt.Errorf("want a date string 2006-01-02 or days since 1970-01-01, got %s %s", fv.Kind, quote(b))
			}
			var err error
			if t, err = time.Parse(time.DateOnly, string(b)); err != nil {
				return parquet.Value{}, fmt.Errorf("not a date 2006-01-02: %s", quote(b))
			}
		}
		return c.fromTime(t)
	}
	return parquet.Value{}, fmt.Errorf("unknown type %s", c.typ)
}

// Timestamp columns hold the years 1970 to 9999 (UTC), the range the partitioner buckets. Past it,
// readers fail: DuckDB cannot convert a millisecond timestamp beyond ±294,000 years to micros and
// refuses the whole file; and a conversion past int64 (epoch millis into a micros column) would wrap
// silently. Before 1970 is rejected too, so that Go's zero time (year 1) is never stored as a value.
// The lower bound is the Unix epoch itself (Unix seconds 0).
var maxTimestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // exclusive

func checkTimestampRange(t time.Time) error {
	// Unix seconds are floored (the nanoseconds within them are never negative) and the bounds
	// are whole seconds, so this is t.Before(1970-01-01) || !t.Before(maxTimestamp).
	if sec := t.Unix(); sec < 0 || sec >= maxTimestampUnix {
		return fmt.Errorf("timestamp %s is outside the years 1970 to 9999", t.UTC().Format(time.RFC3339Nano))
	}
	return nil
}

var maxTimestampUnix = maxTimestamp.Unix()

// unitRange is the range of a timestamp column's values, in its unit.
func (c *column) unitRange() (lo, hi int64) {
	if c.conv == convTimestampMicros {
		return 0, maxTimestamp.UnixMicro() - 1
	}
	return 0, maxTimestamp.UnixMilli() - 1
}

func (c *column) isTime() bool {
	return c.typ == TypeTimestampMillis || c.typ == TypeTimestampMicros || c.typ == TypeDate
}

// fromTime is the value of instant t in a timestamp column (whole units, floored: UnixMilli and
// UnixMicro floor, unlike UnixNano they do not overflow past 1678..2262) or a date column (the UTC
// day that contains t).
func (c *column) fromTime(t time.Time) (parquet.Value, error) {
	switch c.conv {
	case convTimestampMillis:
		return parquet.Int64Value(t.UnixMilli()), nil
	case convTimestampMicros:
		return parquet.Int64Value(t.UnixMicro()), nil
	case convDate:
		days := t.Unix() / 86400
		if t.Unix() < 0 && t.Unix()%86400 != 0 {
			days--
		}
		// Epoch formats reach far beyond what an int32 of days holds; wrapping would be silent.
		if days < math.MinInt32 || days > math.MaxInt32 {
			return parquet.Value{}, fmt.Errorf("date %s is out of range", t.Format(time.RFC3339))
		}
		return parquet.Int32Value(int32(days)), nil
	}
	return parquet.Value{}, fmt.Errorf("type %s does not hold a time", c.typ)
}

func parseInt(fv field.Value, bits int) (int64, error) {
	// Strings that hold an integer are accepted because protobuf's JSON mapping and JavaScript
	// producers quote 64-bit integers; "4.5" and "1e3" are still rejected.
	if fv.Kind != field.Number && fv.Kind != field.String {
		return 0, fmt.Errorf("want an integer, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	n, err := strconv.ParseInt(string(fv.Bytes), 10, bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s overflows int%d", quote(fv.Bytes), bits)
		}
		return 0, fmt.Errorf("want an integer, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	return n, nil
}

func parseFloat(fv field.Value, bits int) (float64, error) {
	if fv.Kind != field.Number && fv.Kind != field.String {
		return 0, fmt.Errorf("want a number, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	x, err := strconv.ParseFloat(string(fv.Bytes), bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%s overflows a %d-bit float", quote(fv.Bytes), bits)
		}
		return 0, fmt.Errorf("want a number, got %s %s", fv.Kind, quote(fv.Bytes))
	}
	if fv.Kind == field.String && (math.IsNaN(x) || math.IsInf(x, 0)) && !strings.ContainsAny(string(fv.Bytes), "NI") {
		return 0, fmt.Errorf("want a number, got %s", quote(fv.Bytes))
	}
	// strconv also reads hexadecimal floats ("0x1p4" is 16) and digit separators in them: a quoted
	// number must be decimal, as a JSON number is.
	if fv.Kind == field.String && strings.ContainsAny(string(fv.Bytes), "xX_") {
		return 0, fmt.Errorf("want a decimal number, got %s", quote(fv.Bytes))
	}
	return x, nil
}

func quote(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
