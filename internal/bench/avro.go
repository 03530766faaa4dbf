package bench

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"

	regcodec "github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/internal/benchevent"
)

// AvroSchema is the bench event as an Avro record, registered under "<topic>-value": the fields of
// the JSON bench event with the same nesting, ts as a timestamp-millis, and the padding as a last
// string field no column reads (as the JSON events' "pad").
const AvroSchema = `{"type":"record","name":"BenchEvent","namespace":"kafka2hdfs.bench","fields":[
 {"name":"event_id","type":"string"},
 {"name":"type","type":"string"},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"user","type":{"type":"record","name":"User","fields":[
   {"name":"id","type":"long"},
   {"name":"geo","type":{"type":"record","name":"Geo","fields":[{"name":"country","type":"string"}]}}]}},
 {"name":"session_id","type":"string"},
 {"name":"page","type":{"type":"record","name":"Page","fields":[{"name":"url","type":"string"}]}},
 {"name":"device","type":{"type":"record","name":"Device","fields":[{"name":"os","type":"string"}]}},
 {"name":"cart","type":{"type":"record","name":"Cart","fields":[{"name":"price","type":"double"}]}},
 {"name":"pad","type":"string","default":""}]}`

var avroSchema = avro.MustParse(AvroSchema)

type avroBenchEvent struct {
	EventID string `avro:"event_id"`
	Type    string `avro:"type"`
	TS      int64  `avro:"ts"`
	User    struct {
		ID  int64 `avro:"id"`
		Geo struct {
			Country string `avro:"country"`
		} `avro:"geo"`
	} `avro:"user"`
	SessionID string `avro:"session_id"`
	Page      struct {
		URL string `avro:"url"`
	} `avro:"page"`
	Device struct {
		OS string `avro:"os"`
	} `avro:"device"`
	Cart struct {
		Price float64 `avro:"price"`
	} `avro:"cart"`
	Pad string `avro:"pad"`
}

// benchAvroEvent is event i of the bench shape (the values benchevent.JSON gives it) in the Confluent
// wire format with schema id, padded with the pad field to at least size bytes.
func benchAvroEvent(r *rand.Rand, i int, ts time.Time, size, id int) (key, value []byte, err error) {
	f := benchevent.Draw(r, i, ts)
	var e avroBenchEvent
	e.EventID = string(benchevent.AppendHex(nil, f.EventID))
	e.Type = f.Type
	e.TS = f.TS.UnixMilli()
	e.User.ID = int64(f.User)
	e.User.Geo.Country = f.Country()
	e.SessionID = strconv.FormatUint(f.Session, 36)
	e.Page.URL = f.Path + strconv.Itoa(f.Page)
	e.Device.OS = f.OS()
	e.Cart.Price = float64(f.PriceCts) / 100
	body, err := avro.Marshal(avroSchema, &e)
	if err != nil {
		return nil, nil, fmt.Errorf("bench avro event: %w", err)
	}
	// The empty pad is the body's last byte (length 0); the smallest pad reaching size replaces it.
	head := len(regcodec.AppendHeader(nil, id)) + len(body) - 1
	n := max(size-head-3, 0)
	for n > 0 && head+varintLen(n-1)+n-1 >= size {
		n--
	}
	for head+varintLen(n)+n < size {
		n++
	}
	if n > 0 {
		e.Pad = strings.Repeat("x", n)
		if body, err = avro.Marshal(avroSchema, &e); err != nil {
			return nil, nil, fmt.Errorf("bench avro event: %w", err)
		}
	}
	return f.Key(), append(regcodec.AppendHeader(nil, id), body...), nil
}

// varintLen is the length of the zig-zag varint Avro writes for a string of n bytes.
func varintLen(n int) int {
	l, v := 1, uint64(n)<<1
	for v >= 0x80 {
		v >>= 7
		l++
	}
	return l
}
