// Package codec decodes Kafka values written in the Confluent schema-registry wire format (Avro,
// JSON Schema) and derives a topic's columns from the writer schema.
//
// A decoded value is handed on as field.Values, exactly as the JSON path hands them on, so that
// interceptors, the partitioner and the schema's conversions see one record representation
// whatever the format.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic is the first byte of the wire format.
const Magic = 0

// HeaderLen is the magic byte plus the 4-byte schema id.
const HeaderLen = 5

// ErrWire means a value is not in the wire format: too short, or a magic byte other than 0.
var ErrWire = errors.New("not in the schema registry wire format")

// Split returns the schema id of a wire-format value and the encoded body after it.
func Split(v []byte) (id int, body []byte, err error) {
	if len(v) < HeaderLen {
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than the 5-byte header", ErrWire, len(v))
	}
	if v[0] != Magic {
		return 0, nil, fmt.Errorf("%w: magic byte %d, want 0", ErrWire, v[0])
	}
	return int(int32(binary.BigEndian.Uint32(v[1:HeaderLen]))), v[HeaderLen:], nil
}

// AppendHeader appends the wire format's header for schema id to b.
func AppendHeader(b []byte, id int) []byte {
	return binary.BigEndian.AppendUint32(append(b, Magic), uint32(id))
}
