package bench

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Event shapes of the seeded messages.
const (
	// EventSample is internal/sample's clickstream event (~750 bytes, many fields the bench schema
	// does not read, cart only on a quarter of the events): what dev-kafka serves for the demo.
	EventSample = "sample"
	// EventBench is the bench's own event: exactly the fields Schema reads, every one on every
	// event, 200 bytes on average (at most 215) before padding, so that a 200-byte case is possible and every column the
	// loader builds has a value to convert.
	EventBench = "bench"
)

var (
	benchTypes     = []string{"view", "click", "cart", "buy", "find"}
	benchCountries = []string{"US", "DE", "FR", "GB", "IN", "BR", "JP", "NL", "ES", "CA"}
	benchOSes      = []string{"iOS", "Android", "Windows", "macOS", "Linux"}
	benchPaths     = []string{"/", "/s/", "/p/", "/cart/"}
)

// benchFields are the values of one bench event, drawn once so that the JSON and the Avro
// encodings of event i (same seed) carry the same values.
type benchFields struct {
	user     int
	eventID  uint32
	typ      string
	ts       time.Time
	session  uint64
	path     string
	page     int
	priceCts int
}

func drawBench(r *rand.Rand, i int, ts time.Time) benchFields {
	f := benchFields{user: r.IntN(50_000) + 1, ts: ts}
	f.eventID = r.Uint32() ^ uint32(i)
	f.typ = benchTypes[r.IntN(len(benchTypes))]
	f.session = uint64(r.Uint32() >> 8)
	f.path = benchPaths[r.IntN(len(benchPaths))]
	f.page = r.IntN(1000)
	f.priceCts = 100 + r.IntN(9900)
	return f
}

func (f *benchFields) key() []byte { return append([]byte("user-"), strconv.Itoa(f.user)...) }

// benchEvent appends event i of the bench shape to dst and returns it with its key. Hand-built
// (no fmt, no encoding/json) so that seeding millions of records stays cheap.
func benchEvent(r *rand.Rand, i int, ts time.Time, dst []byte) (key, value []byte) {
	f := drawBench(r, i, ts)
	b := append(dst[:0], `{"event_id":"`...)
	b = appendHex(b, f.eventID)
	b = append(b, `","type":"`...)
	b = append(b, f.typ...)
	b = append(b, `","ts":"`...)
	b = f.ts.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","user":{"id":`...)
	b = strconv.AppendInt(b, int64(f.user), 10)
	b = append(b, `,"geo":{"country":"`...)
	b = append(b, benchCountries[f.user%len(benchCountries)]...)
	b = append(b, `"}},"session_id":"`...)
	b = strconv.AppendUint(b, f.session, 36)
	b = append(b, `","page":{"url":"`...)
	b = append(b, f.path...)
	b = strconv.AppendInt(b, int64(f.page), 10)
	b = append(b, `"},"device":{"os":"`...)
	b = append(b, benchOSes[f.user%len(benchOSes)]...)
	b = append(b, `"},"cart":{"price":`...)
	b = strconv.AppendFloat(b, float64(f.priceCts)/100, 'f', 2, 64)
	b = append(b, `}}`...)
	return f.key(), b
}

func appendHex(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for s := 28; s >= 0; s -= 4 {
		b = append(b, digits[(v>>uint(s))&0xf])
	}
	return b
}
