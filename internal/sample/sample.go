// Package sample makes realistic clickstream events and produces them to Kafka, for the demo and
// for integration tests. It uses franz-go as the producer: a second, independent Kafka client, so
// the loader's sarama consumer is checked against records it did not write itself.
package sample

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Options shape the generated data.
type Options struct {
	Topic string
	// Records to produce. Default: 1000.
	Records int
	// Start and Span place event times: spread over [Start, Start+Span). Default: the last 6 hours
	// before now, truncated to the hour.
	Start time.Time
	Span  time.Duration
	// BadEvery makes every n-th record malformed (not JSON, a missing required field, or a wrong
	// type, in turn); 0 makes none.
	BadEvery int
	// Seed makes the data repeatable.
	Seed uint64
}

// Produced describes what was written.
type Produced struct {
	Total int
	// Bad maps topic-partition to the offsets of malformed records.
	Bad map[int32][]int64
	// Offsets maps each partition to how many records it received (offsets 0..n-1 when the topic
	// started empty).
	PerPartition map[int32]int64
	Bytes        int64
}

// BadCount is the number of malformed records.
func (p Produced) BadCount() int {
	n := 0
	for _, o := range p.Bad {
		n += len(o)
	}
	return n
}

// Schema is the YAML schema of the generated events, used by the demo config and tests.
const Schema = `
      - {name: event_id,   type: string,           field: event_id, required: true}
      - {name: event_type, type: string,           field: type, required: true}
      - {name: event_time, type: timestamp-millis, field: ts, required: true}
      - {name: user_id,    type: int64,            field: user.id, required: true}
      - {name: email_hash, type: string,           field: user.email}
      - {name: country,    type: string,           field: user.geo.country}
      - {name: session_id, type: string,           field: session_id}
      - {name: url,        type: string,           field: page.url}
      - {name: referrer,   type: string,           field: page.referrer}
      - {name: device_os,  type: string,           field: device.os}
      - {name: price,      type: double,           field: cart.price}
      - {name: quantity,   type: int32,            field: cart.quantity}
      - {name: is_mobile,  type: boolean,          field: device.mobile}
      - {name: event_date, type: date,             field: day}
      - {name: ingested_by, type: string}`

var (
	types     = []string{"page_view", "page_view", "page_view", "click", "click", "add_to_cart", "purchase", "search"}
	countries = []string{"US", "DE", "FR", "GB", "IN", "BR", "JP", "NL", "ES", "CA"}
	oses      = []string{"iOS", "Android", "Windows", "macOS", "Linux"}
	paths     = []string{"/", "/search", "/product/", "/cart", "/checkout", "/account", "/blog/"}
	refs      = []string{"https://www.google.com/", "https://news.ycombinator.com/", "", "https://t.co/x", "https://duckduckgo.com/"}
)

// Event returns the JSON of event i and its key. bad makes a malformed variant.
func Event(r *rand.Rand, i int, ts time.Time, bad int) (key, value []byte) {
	user := r.IntN(50_000) + 1
	key = []byte("user-" + strconv.Itoa(user))
	typ := types[r.IntN(len(types))]
	var b strings.Builder
	b.Grow(700)
	fmt.Fprintf(&b, `{"event_id":"%016x-%08d","type":%q,"ts":%q,"day":%q,`, r.Uint64(), i, typ,
		ts.UTC().Format("2006-01-02T15:04:05.000Z07:00"), ts.UTC().Format(time.DateOnly))
	switch bad {
	case 2:
		// A missing required field (user.id).
		fmt.Fprintf(&b, `"user":{"email":"user%d@example.com"},`, user)
	case 3:
		// A wrong type: user.id must be an integer.
		fmt.Fprintf(&b, `"user":{"id":"abc-%d","email":"user%d@example.com"},`, user, user)
	default:
		fmt.Fprintf(&b, `"user":{"id":%d,"email":"user%d@example.com","name":"User \"%d\"","geo":{"country":%q,"city":"City %d","lat":%.4f,"lon":%.4f}},`,
			user, user, user, countries[user%len(countries)], user%500, r.Float64()*180-90, r.Float64()*360-180)
	}
	fmt.Fprintf(&b, `"session_id":"s-%x","page":{"url":"https://shop.example.com%s%d?utm_source=newsletter&utm_medium=email","referrer":%q,"title":"Product page \u00e9t\u00e9 %d"},`,
		r.Uint32(), paths[r.IntN(len(paths))], r.IntN(10000), refs[r.IntN(len(refs))], r.IntN(100))
	fmt.Fprintf(&b, `"device":{"os":%q,"mobile":%t,"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36","screen":[1920,1080]},`,
		oses[user%len(oses)], user%3 == 0)
	if typ == "add_to_cart" || typ == "purchase" {
		fmt.Fprintf(&b, `"cart":{"price":%.2f,"quantity":%d,"currency":"EUR","items":[{"sku":"SKU-%d","qty":1}]},`, 1+r.Float64()*500, 1+r.IntN(5), r.IntN(100000))
	}
	fmt.Fprintf(&b, `"experiments":["exp-%d","exp-%d"],"consent":{"ads":%t,"analytics":true}}`, r.IntN(50), r.IntN(50), r.IntN(2) == 0)
	value = []byte(b.String())
	if bad == 1 {
		value = value[:len(value)/2] // truncated: not JSON
	}
	return key, value
}

// Produce writes the events to brokers and waits until all are acknowledged.
func Produce(ctx context.Context, brokers []string, o Options) (Produced, error) {
	if o.Records <= 0 {
		o.Records = 1000
	}
	if o.Span <= 0 {
		o.Span = 6 * time.Hour
	}
	if o.Start.IsZero() {
		o.Start = time.Now().UTC().Truncate(time.Hour).Add(-o.Span)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(o.Topic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return Produced{}, fmt.Errorf("producer: %w", err)
	}
	defer cl.Close()
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	out := Produced{Bad: map[int32][]int64{}, PerPartition: map[int32]int64{}}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	for i := 0; i < o.Records; i++ {
		// Mostly in order, with some jitter, as real event streams are.
		frac := float64(i) / float64(o.Records)
		ts := o.Start.Add(time.Duration(frac*float64(o.Span)) + time.Duration(r.IntN(120)-60)*time.Second)
		if ts.Before(o.Start) {
			ts = o.Start
		}
		bad := 0
		if o.BadEvery > 0 && i%o.BadEvery == o.BadEvery-1 {
			bad = 1 + (i/o.BadEvery)%3
		}
		key, value := Event(r, i, ts, bad)
		rec := &kgo.Record{Key: key, Value: value, Timestamp: ts, Headers: []kgo.RecordHeader{{Key: "source", Value: []byte("sample")}}}
		wg.Add(1)
		out.Bytes += int64(len(key) + len(value))
		cl.Produce(ctx, rec, func(rec *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out.PerPartition[rec.Partition]++
			if bad != 0 {
				out.Bad[rec.Partition] = append(out.Bad[rec.Partition], rec.Offset)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return out, fmt.Errorf("produce to %s: %w", o.Topic, firstErr)
	}
	out.Total = o.Records
	return out, nil
}
