package schema

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/pqvalue"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// The metadata columns every file has, and the raw rows of format raw and of dead letters.

// metaColumns is the number of metadata columns appendMeta appends.
const metaColumns = 5

func (s *Schema) appendMeta(row parquet.Row, r *record.Record, first int) parquet.Row {
	n := len(row)
	row = slices.Grow(row, metaColumns)[:n+metaColumns]
	m := row[n : n+metaColumns : n+metaColumns]
	m[0] = parquet.ByteArrayValue(s.topicBytes(r.Topic))
	m[1] = parquet.Int32Value(r.Partition)
	m[2] = parquet.Int64Value(r.Offset)
	m[3] = parquet.Int64Value(r.Timestamp.UnixMilli())
	keyDef := 0
	if r.Key == nil {
		m[4] = parquet.NullValue()
	} else {
		m[4] = parquet.ByteArrayValue(r.Key)
		keyDef = 1
	}
	for i := range m[:4] {
		pqvalue.SetLevels(&m[i], 0, 0, first+i)
	}
	pqvalue.SetLevels(&m[4], 0, keyDef, first+4)
	return row
}

// topicBytes is the topic's name as bytes for kafka_topic, made once per topic the schema serves
// rather than once per record. The bytes are shared and never written: the writer copies them.
func (s *Schema) topicBytes(topic string) []byte {
	if s.topic == nil {
		return []byte(topic)
	}
	if t := s.topic.Load(); t != nil && t.name == topic {
		return t.b
	}
	t := &topicName{name: topic, b: []byte(topic)}
	s.topic.Store(t)
	return t.b
}

type topicName struct {
	name string
	b    []byte
}

// AppendRaw appends r's raw row (format raw, or a dead letter when reason is not empty) to row[:0].
// For format raw, a key (with KeyAsString) or a header key that is not valid UTF-8 is a
// *ConvertError, as both are STRING columns; a dead letter never fails.
//
// The schema decides how the key is stored (Options.KeyAsString of NewRaw; dead letters always store
// bytes). A dead letter never fails: a header key that
// is not valid UTF-8 has its bad bytes replaced by U+FFFD there, while format raw rejects it.
func (s *Schema) AppendRaw(r *record.Record, reason, stage string, row parquet.Row) (parquet.Row, error) {
	if s.kind == JSON {
		return row[:0], errors.New("schema: AppendRaw is for format raw and dead letters; use Row")
	}
	if err := s.checkKey(r); err != nil {
		return row[:0], err
	}
	if s.kind == Raw {
		for _, h := range r.Headers {
			if !utf8.ValidString(h.Key) {
				return row[:0], &ConvertError{Column: "headers", Field: HeaderKeyField, Err: fmt.Errorf("header key %s: %w", quote([]byte(h.Key)), errNotUTF8)}
			}
		}
	}
	row = s.appendMeta(row[:0], r, 0)
	if r.Value == nil {
		row = append(row, parquet.NullValue().Level(0, 0, 5))
	} else {
		row = append(row, parquet.ByteArrayValue(r.Value).Level(0, 1, 5))
	}
	// headers: LIST of {key, value}; max definition level 1 for key (list entry present) and 2 for
	// value (entry present and value not null). No headers is one null at definition level 0 in
	// each leaf: headers is a required list, so readers see an empty list, not a null.
	if len(r.Headers) == 0 {
		row = append(row, parquet.NullValue().Level(0, 0, 6), parquet.NullValue().Level(0, 0, 7))
	} else {
		for i, h := range r.Headers {
			k := h.Key
			if !utf8.ValidString(k) {
				k = strings.ToValidUTF8(k, "\uFFFD")
			}
			row = append(row, parquet.ByteArrayValue(copyBytes(k)).Level(min(i, 1), 1, 6))
		}
		for i, h := range r.Headers {
			if h.Value == nil {
				row = append(row, parquet.NullValue().Level(min(i, 1), 1, 7))
			} else {
				row = append(row, parquet.ByteArrayValue(h.Value).Level(min(i, 1), 2, 7))
			}
		}
	}
	if s.kind == DeadLetter {
		if !utf8.ValidString(reason) {
			reason = strings.ToValidUTF8(reason, "\uFFFD")
		}
		row = append(row,
			parquet.ByteArrayValue([]byte(reason)).Level(0, 0, 8),
			parquet.ByteArrayValue([]byte(stage)).Level(0, 0, 9))
	}
	return row, nil
}

// copyBytes is []byte(s): a copy, not an unsafe view. Header keys arrive from the wire as bytes and
// are kept as strings; the copy back is what the writer would make anyway.
func copyBytes(s string) []byte { return []byte(s) }
