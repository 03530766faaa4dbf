// Package record defines the loader's record: one Kafka message plus the field values that a topic's
// interceptors, partitioner and schema read, and the Layout that decides, once per topic at start-up,
// which field names live in which slot.
//
// Resolving names at start-up is what keeps the hot path cheap: a record's JSON is scanned once for
// exactly the paths something downstream reads, and every later stage indexes a slice.
package record

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one Kafka message on its way through the pipeline. A partition pipeline reuses one
// Record for every message, so nothing may keep a pointer to it or to its Fields past the call.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	// Timestamp is the Kafka record timestamp.
	Timestamp time.Time
	// EventTime is the time the partitioner's "event" source buckets by. It starts as Timestamp;
	// the timestamp interceptor may set it from a field or header.
	EventTime time.Time
	Key       []byte
	Value     []byte
	Headers   []Header
	// Fields holds the values of the topic's slots, filled by Filler.Fill.
	Fields []field.Value
	// parsed is the instant RememberTime noted; Fill forgets it.
	parsed parsedTime
}

// parsedTime is a field value (a copy of its bytes) read as an instant in a format.
type parsedTime struct {
	ok    bool
	kind  field.Kind
	bytes []byte
	f     field.TimeFormat
	t     time.Time
}

// RememberTime notes that the field value v, read in format f, is the instant t, so that a later
// reader of the same value (a timestamp column reading the field the timestamp interceptor read)
// need not parse it again: parsing an RFC3339 time is a few percent of a small record's cost.
func (r *Record) RememberTime(v field.Value, f field.TimeFormat, t time.Time) {
	r.parsed = parsedTime{ok: true, kind: v.Kind, bytes: append(r.parsed.bytes[:0], v.Bytes...), f: f, t: t}
}

// RecallTime returns the instant RememberTime noted for this record if v is the same value (its
// bytes are compared, not their address) and f reads it the same way.
func (r *Record) RecallTime(v field.Value, f field.TimeFormat) (time.Time, bool) {
	p := &r.parsed
	if !p.ok || p.kind != v.Kind || string(p.bytes) != string(v.Bytes) || !p.f.SameAs(f, v.Kind) {
		return time.Time{}, false
	}
	return p.t, true
}

// Size is the record's input size in bytes, the unit of the byte-based rotation limits.
func (r *Record) Size() int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// Slot indexes Record.Fields.
type Slot int

// Special source names: they read the Kafka key and headers instead of the JSON value.
const (
	KeyName      = "@key"
	HeaderPrefix = "@header."
)

type sourceKind uint8

const (
	srcDead    sourceKind = iota // dropped or renamed away: always Missing
	srcJSON                      // a path in the JSON value
	srcKey                       // the Kafka key, as a string
	srcHeader                    // the last Kafka header with this key, as a string
	srcDefined                   // written by an interceptor; Missing until then
)

type source struct {
	kind   sourceKind
	path   field.Path // srcJSON
	header string     // srcHeader
}

// Layout maps field names to slots for one topic. Interceptors, the partitioner and the schema call
// Read, Define, Rename and Drop in pipeline order while they are built; then Filler freezes it.
// A Layout is not safe for concurrent use; the Filler it makes is.
type Layout struct {
	json    bool
	names   map[string]Slot
	sources []source
	dead    Slot
}

// NewLayout starts a layout. json says whether the Kafka value is parsed as a JSON object; without it
// (the raw format) only @key and @header.NAME can be read.
func NewLayout(json bool) *Layout {
	l := &Layout{json: json, names: map[string]Slot{}}
	l.dead = l.add(source{kind: srcDead})
	return l
}

func (l *Layout) add(s source) Slot {
	l.sources = append(l.sources, s)
	return Slot(len(l.sources) - 1)
}

// Read returns the slot that holds name at this point of the pipeline: the value a renamed field now
// carries, Missing for a dropped one, or a fresh slot reading the JSON path, key or header.
// Names resolve by their longest prefix that was renamed, dropped or defined, so after renaming
// "user" to "customer", "customer.id" reads the JSON path user.id and "user.id" is Missing.
func (l *Layout) Read(name string) (Slot, error) {
	name = canon(name)
	if s, ok := l.names[name]; ok {
		return s, nil
	}
	switch {
	case name == KeyName:
		return l.bind(name, source{kind: srcKey}), nil
	case strings.HasPrefix(name, HeaderPrefix):
		h := strings.TrimPrefix(name, HeaderPrefix)
		if h == "" {
			return 0, fmt.Errorf("field %q: name the header, as in @header.trace_id", name)
		}
		return l.bind(name, source{kind: srcHeader, header: h}), nil
	case strings.HasPrefix(name, "@"):
		return 0, fmt.Errorf("field %q: the only special fields are %s and %sNAME", name, KeyName, HeaderPrefix)
	}
	if !l.json {
		return 0, fmt.Errorf("field %q: format raw does not parse the value; only %s and %sNAME can be read", name, KeyName, HeaderPrefix)
	}
	path, err := field.ParsePath(name)
	if err != nil {
		return 0, err
	}
	// The longest bound prefix decides what the rest of the path reads.
	for i := len(path) - 1; i > 0; i-- {
		s, ok := l.names[path[:i].String()]
		if !ok {
			continue
		}
		src := l.sources[s]
		if src.kind != srcJSON {
			// Dropped, or a scalar written by an interceptor: it has no members.
			return l.dead, nil
		}
		full := append(append(field.Path{}, src.path...), path[i:]...)
		return l.bind(name, source{kind: srcJSON, path: full}), nil
	}
	return l.bind(name, source{kind: srcJSON, path: path}), nil
}

func (l *Layout) bind(name string, s source) Slot {
	slot := l.add(s)
	l.names[name] = slot
	return slot
}

// Define gives name a new slot that an interceptor writes; it shadows whatever name read before.
func (l *Layout) Define(name string) (Slot, error) {
	name = canon(name)
	if name == "" || strings.HasPrefix(name, "@") {
		return 0, fmt.Errorf("field %q: a written field needs a plain name, not empty or starting with @", name)
	}
	l.unbindChildren(name)
	return l.bind(name, source{kind: srcDefined}), nil
}

// Rename makes to read what from holds and from read Missing. Bindings under from move with it, so a
// field dropped or masked under from stays dropped or masked under to.
func (l *Layout) Rename(from, to string) error {
	from, to = canon(from), canon(to)
	if to == "" || strings.HasPrefix(to, "@") {
		return fmt.Errorf("rename %q to %q: the new name must be plain, not empty or starting with @", from, to)
	}
	if to == from || strings.HasPrefix(to, from+".") || strings.HasPrefix(from, to+".") {
		return fmt.Errorf("rename %q to %q: one name contains the other; rename to a separate name", from, to)
	}
	s, err := l.Read(from)
	if err != nil {
		return err
	}
	l.unbindChildren(to)
	moved := map[string]Slot{}
	for n, slot := range l.names {
		if rest, ok := strings.CutPrefix(n, from+"."); ok {
			moved[to+"."+rest] = slot
		}
	}
	l.names[to] = s
	maps.Copy(l.names, moved)
	l.unbindChildren(from)
	l.names[from] = l.dead
	return nil
}

// Drop makes name, and every path under it, read Missing from here on.
func (l *Layout) Drop(name string) {
	name = canon(name)
	l.unbindChildren(name)
	l.names[name] = l.dead
}

// canon writes a JSON field name the way Path.String does, so that a name and the prefixes Read
// derives from longer names compare equal. Special names and unparsable ones stay as they are.
func canon(name string) string {
	if strings.HasPrefix(name, "@") {
		return name
	}
	p, err := field.ParsePath(name)
	if err != nil {
		return name
	}
	return p.String()
}

// unbindChildren forgets names under prefix, so they resolve again through the new binding of prefix.
func (l *Layout) unbindChildren(prefix string) {
	for n := range l.names {
		if strings.HasPrefix(n, prefix+".") {
			delete(l.names, n)
		}
	}
}

// Extractor fills out[i] with the value at paths[i] of a Kafka value (the paths it was built for),
// appending what it must unescape or format to scratch. field.Extractor reads JSON; package codec
// reads the schema registry's formats.
type Extractor interface {
	Extract(value []byte, out []field.Value, scratch []byte) ([]byte, error)
}

// Filler freezes the layout. Later calls to Read etc. do not affect the Filler.
func (l *Layout) Filler() (*Filler, error) {
	return l.FillerWith(func(paths []field.Path) (Extractor, error) { return field.NewExtractor(paths) })
}

// FillerWith is Filler with the value's fields read by the extractor newExt builds for the paths.
func (l *Layout) FillerWith(newExt func([]field.Path) (Extractor, error)) (*Filler, error) {
	f := &Filler{json: l.json, slots: len(l.sources)}
	var paths []field.Path
	for i, s := range l.sources {
		switch s.kind {
		case srcJSON:
			paths = append(paths, s.path)
			f.jsonSlots = append(f.jsonSlots, Slot(i))
		case srcKey:
			f.keySlots = append(f.keySlots, Slot(i))
		case srcHeader:
			f.headers = append(f.headers, headerSlot{name: s.header, slot: Slot(i)})
		}
	}
	f.jsonRun = len(f.jsonSlots) > 0
	for i, s := range f.jsonSlots {
		f.jsonRun = f.jsonRun && s == f.jsonSlots[0]+Slot(i)
	}
	if l.json {
		ext, err := newExt(paths)
		if err != nil {
			return nil, err
		}
		f.ext = ext
	}
	return f, nil
}

type headerSlot struct {
	name string
	slot Slot
}

// Filler fills a record's slots from its Kafka key, headers and JSON value.
type Filler struct {
	json      bool
	slots     int
	ext       Extractor
	jsonSlots []Slot
	// jsonRun says jsonSlots are consecutive (they are unless a key or header slot was read
	// between JSON fields): Extract then fills them in place instead of through a copy.
	jsonRun  bool
	keySlots []Slot
	headers  []headerSlot
}

// Buffers is the per-pipeline scratch space Fill reuses from record to record.
type Buffers struct {
	scratch []byte
	json    []field.Value
}

// Forget drops the buffers' references into the last record's bytes, keeping their capacity.
func (b *Buffers) Forget() { clear(b.json) }

// Fill resets r.Fields and fills every slot that reads the key, a header or the JSON value. For the
// json format a value that is not a valid JSON object is an error (a *field.SyntaxError). Values may
// alias r and b until the next Fill with the same Buffers.
func (f *Filler) Fill(r *Record, b *Buffers) error {
	if cap(r.Fields) < f.slots {
		r.Fields = make([]field.Value, f.slots)
	}
	r.Fields = r.Fields[:f.slots]
	clear(r.Fields)
	r.parsed.ok = false
	for _, s := range f.keySlots {
		if r.Key != nil {
			r.Fields[s] = field.Value{Kind: field.String, Bytes: r.Key}
		}
	}
	for _, h := range f.headers {
		for i := len(r.Headers) - 1; i >= 0; i-- {
			if r.Headers[i].Key == h.name {
				if v := r.Headers[i].Value; v != nil {
					r.Fields[h.slot] = field.Value{Kind: field.String, Bytes: v}
				} else {
					r.Fields[h.slot] = field.Value{Kind: field.Null}
				}
				break
			}
		}
	}
	if !f.json {
		return nil
	}
	if f.jsonRun {
		first := int(f.jsonSlots[0])
		out := r.Fields[first : first+len(f.jsonSlots)]
		var err error
		if b.scratch, err = f.ext.Extract(r.Value, out, b.scratch[:0]); err != nil {
			clear(out) // a value that does not parse leaves no field, whatever the extractor wrote
		}
		return err
	}
	if cap(b.json) < len(f.jsonSlots) {
		b.json = make([]field.Value, len(f.jsonSlots))
	}
	b.json = b.json[:len(f.jsonSlots)]
	var err error
	b.scratch, err = f.ext.Extract(r.Value, b.json, b.scratch[:0])
	if err != nil {
		return err
	}
	for i, s := range f.jsonSlots {
		r.Fields[s] = b.json[i]
	}
	return nil
}
