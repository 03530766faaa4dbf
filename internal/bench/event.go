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

// benchEvent appends event i of the bench shape to dst and returns it with its key. Hand-built
// (no fmt, no encoding/json) so that seeding millions of records stays cheap.
func benchEvent(r *rand.Rand, i int, ts time.Time, dst []byte) (key, value []byte) {
	user := r.IntN(50_000) + 1
	key = append([]byte("user-"), strconv.Itoa(user)...)
	b := append(dst[:0], `{"event_id":"`...)
	b = appendHex(b, r.Uint32()^uint32(i))
	b = append(b, `","type":"`...)
	b = append(b, benchTypes[r.IntN(len(benchTypes))]...)
	b = append(b, `","ts":"`...)
	b = ts.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","user":{"id":`...)
	b = strconv.AppendInt(b, int64(user), 10)
	b = append(b, `,"geo":{"country":"`...)
	b = append(b, benchCountries[user%len(benchCountries)]...)
	b = append(b, `"}},"session_id":"`...)
	b = strconv.AppendUint(b, uint64(r.Uint32()>>8), 36)
	b = append(b, `","page":{"url":"`...)
	b = append(b, benchPaths[r.IntN(len(benchPaths))]...)
	b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
	b = append(b, `"},"device":{"os":"`...)
	b = append(b, benchOSes[user%len(benchOSes)]...)
	b = append(b, `"},"cart":{"price":`...)
	b = strconv.AppendFloat(b, float64(100+r.IntN(9900))/100, 'f', 2, 64)
	b = append(b, `}}`...)
	return key, b
}

func appendHex(b []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for s := 28; s >= 0; s -= 4 {
		b = append(b, digits[(v>>uint(s))&0xf])
	}
	return b
}
