package schema

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// FieldsJSON appends to dst a JSON object of the record's column values as the topic's
// interceptors left them: {"column": value, ...} in schema order, missing fields left out. It is
// the masked form of a dead letter: a field a mask interceptor hid appears hidden here, where the
// Kafka value would show it in clear. Values are not converted to the column types (the record
// may have failed exactly that), so numbers, booleans and nested JSON keep their text.
func (s *Schema) FieldsJSON(r *record.Record, dst []byte) ([]byte, error) {
	if s.kind != JSON {
		return dst, errors.New("schema: FieldsJSON is for format json")
	}
	dst = append(dst, '{')
	first := true
	for i := range s.cols {
		c := &s.cols[i]
		v := r.Fields[c.slot]
		if v.Kind == field.Missing {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, c.name)
		dst = append(dst, ':')
		switch v.Kind {
		case field.Null:
			dst = append(dst, "null"...)
		case field.String:
			dst = appendJSONString(dst, string(v.Bytes))
		default:
			// Numbers, booleans, objects and arrays hold their JSON text as written; anything else
			// (a value an interceptor defined from a header, say) is written as a string.
			if json.Valid(v.Bytes) {
				dst = append(dst, v.Bytes...)
			} else {
				dst = appendJSONString(dst, string(v.Bytes))
			}
		}
	}
	return append(dst, '}'), nil
}

func appendJSONString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // invalid bytes become U+FFFD, as encoding/json would write them
	}
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
