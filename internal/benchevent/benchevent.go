// Package benchevent is the benchmark's event: exactly the fields its nine columns read, every one
// on every event, ~200 bytes of JSON before padding. The project benchmark (internal/bench) seeds it
// into Kafka and consumer's in-process pipeline benchmark feeds it to a pipeline; it lives here, with
// no dependencies, because internal/bench imports consumer and so cannot be imported by its tests.
package benchevent

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

var (
	types     = []string{"view", "click", "cart", "buy", "find"}
	countries = []string{"US", "DE", "FR", "GB", "IN", "BR", "JP", "NL", "ES", "CA"}
	oses      = []string{"iOS", "Android", "Windows", "macOS", "Linux"}
	paths     = []string{"/", "/s/", "/p/", "/cart/"}
)

// Fields are the values of one event, drawn once so that the JSON and the Avro encodings of event
// i (same seed) carry the same values.
type Fields struct {
	User     int
	EventID  uint32
	Type     string
	TS       time.Time
	Session  uint64
	Path     string
	Page     int
	PriceCts int
}

// Draw draws event i's values from r.
func Draw(r *rand.Rand, i int, ts time.Time) Fields {
	f := Fields{User: r.IntN(50_000) + 1, TS: ts}
	f.EventID = r.Uint32() ^ uint32(i)
	f.Type = types[r.IntN(len(types))]
	f.Session = uint64(r.Uint32() >> 8)
	f.Path = paths[r.IntN(len(paths))]
	f.Page = r.IntN(1000)
	f.PriceCts = 100 + r.IntN(9900)
	return f
}

// Key is the event's Kafka key.
func (f *Fields) Key() []byte { return append([]byte("user-"), strconv.Itoa(f.User)...) }

// Country is the user's country.
func (f *Fields) Country() string { return countries[f.User%len(countries)] }

// OS is the user's device OS.
func (f *Fields) OS() string { return oses[f.User%len(oses)] }

// JSON appends event i to dst[:0] and returns it with its key. Hand-built (no fmt, no
// encoding/json) so that seeding millions of records stays cheap.
func JSON(r *rand.Rand, i int, ts time.Time, dst []byte) (key, value []byte) {
	f := Draw(r, i, ts)
	b := append(dst[:0], `{"event_id":"`...)
	b = AppendHex(b, f.EventID)
	b = append(b, `","type":"`...)
	b = append(b, f.Type...)
	b = append(b, `","ts":"`...)
	b = f.TS.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","user":{"id":`...)
	b = strconv.AppendInt(b, int64(f.User), 10)
	b = append(b, `,"geo":{"country":"`...)
	b = append(b, f.Country()...)
	b = append(b, `"}},"session_id":"`...)
	b = strconv.AppendUint(b, f.Session, 36)
	b = append(b, `","page":{"url":"`...)
	b = append(b, f.Path...)
	b = strconv.AppendInt(b, int64(f.Page), 10)
	b = append(b, `"},"device":{"os":"`...)
	b = append(b, f.OS()...)
	b = append(b, `"},"cart":{"price":`...)
	b = strconv.AppendFloat(b, float64(f.PriceCts)/100, 'f', 2, 64)
	b = append(b, `}}`...)
	return f.Key(), b
}

// AppendHex appends v as eight hex digits.
func AppendHex(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for s := 28; s >= 0; s -= 4 {
		b = append(b, digits[(v>>uint(s))&0xf])
	}
	return b
}

// Pad grows a JSON object to at least size bytes with a trailing "pad" string field no column reads.
func Pad(value []byte, size int) []byte {
	const field = `,"pad":""}`
	if len(value)+len(field)-1 > size || len(value) == 0 || value[len(value)-1] != '}' {
		return value
	}
	n := size - (len(value) - 1) - len(field)
	var b bytes.Buffer
	b.Grow(size)
	b.Write(value[:len(value)-1])
	b.WriteString(`,"pad":"`)
	b.Write(bytes.Repeat([]byte{'x'}, n))
	b.WriteString(`"}`)
	return b.Bytes()
}

// columns are the benchmark's nine columns over these events.
var columns = []string{
	`{name: event_id,   type: string,           field: event_id, required: true}`,
	`{name: event_type, type: string,           field: type, required: true}`,
	`{name: event_time, type: timestamp-millis, field: ts, required: true}`,
	`{name: user_id,    type: int64,            field: user.id, required: true}`,
	`{name: country,    type: string,           field: user.geo.country}`,
	`{name: session_id, type: string,           field: session_id}`,
	`{name: url,        type: string,           field: page.url}`,
	`{name: device_os,  type: string,           field: device.os}`,
	`{name: price,      type: double,           field: cart.price}`,
}

// Schema is the nine columns as the YAML list of a topic's schema:, each line starting with a
// newline and indent.
func Schema(indent string) string {
	var b strings.Builder
	for _, c := range columns {
		b.WriteString("\n" + indent + "- " + c)
	}
	return b.String()
}
