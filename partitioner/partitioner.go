package partitioner

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	// Zones must resolve the same on a bare container as on a workstation; the database adds
	// about 450 KB to the binary.
	_ "time/tzdata"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// ErrTimeRange is wrapped by Bucket's error for a time whose local year is outside 1970 to 9999:
// such times are almost always a wrong unit or a placeholder (0, -1), and their paths would be
// nonsense or not sort.
var ErrTimeRange = errors.New("outside the years 1970 to 9999")

const (
	minYear = 1970
	maxYear = 9999
)

// Bucket is where a record goes.
type Bucket struct {
	// Path is the directory relative to the topic's, such as "country=US/dt=2026-11-22/hour=13";
	// it never starts or ends with /. Its time is that of the bucket's wall-clock slot (see
	// Window), so on a DST fall-back two buckets in a row can share a path.
	Path string
	// Start is the first instant of the bucket, in the configured zone.
	Start time.Time
	// End is the first instant after the bucket: the next bucket's Start.
	End time.Time
}

type source uint8

const (
	srcEvent source = iota
	srcKafka
	srcField
	srcProcessing
)

// pathField is a PathField resolved against the layout.
type pathField struct {
	name string
	slot record.Slot
	// def and defStart are the escaped default, after "name=" and opening a directory name.
	def, defStart string
}

// cacheSize is how many recent windows Bucket remembers. Most records hit the newest; a few more
// keep partitions that lag behind the others (or a late record now and then) from evicting it.
const cacheSize = 4

// window is one bucket's span and formatted time text. It is immutable once cached, which is what
// lets partition pipelines share it without locks.
type window struct {
	start, end time.Time
	// path is the whole path when there are no fields.
	path string
	// lits holds the formatted text of each layout piece of the template, by piece index.
	lits []string
}

// Partitioner maps records to buckets for one topic. It is safe for concurrent use.
type Partitioner struct {
	loc        *time.Location
	g          time.Duration
	src        source
	timeField  string
	timeSlot   record.Slot
	timeFormat field.TimeFormat
	fields     []pathField
	prefix     []int // fields not placed by the template, in config order
	pieces     []piece

	cache [cacheSize]atomic.Pointer[window]
	next  atomic.Uint32
}

// New validates c (after WithDefaults) and builds its partitioner. It resolves the time field and
// the path fields with layout.Read, so it must be called in pipeline order: after the topic's
// interceptors are built, before the layout's Filler is made. layout may be nil when nothing is
// read from fields. Every problem found is reported, joined, each line starting with its YAML key.
func New(c Config, layout *record.Layout) (*Partitioner, error) {
	c = c.WithDefaults()
	p := &Partitioner{loc: time.UTC}
	read := func(key, name string) (record.Slot, error) {
		if layout == nil {
			return 0, fmt.Errorf("%s: no record layout to read %q from", key, name)
		}
		s, err := layout.Read(name)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return s, nil
	}
	// Problems by key, reported in the order of the YAML keys.
	var timeErrs, granErrs, pathErrs, tzErrs, fieldErrs []error

	// Resolved first because time.format reads layouts without a zone in it.
	if c.Timezone == "Local" {
		tzErrs = append(tzErrs, fmt.Errorf("timezone: Local depends on the machine the loader runs on; name the zone, such as UTC or Europe/Berlin"))
	} else if loc, err := time.LoadLocation(c.Timezone); err != nil {
		tzErrs = append(tzErrs, fmt.Errorf("timezone: %w", err))
	} else {
		p.loc = loc
	}

	switch c.Time.Source {
	case SourceEvent:
		p.src = srcEvent
	case SourceKafka:
		p.src = srcKafka
	case SourceField:
		p.src = srcField
	case SourceProcessing:
		p.src = srcProcessing
	default:
		timeErrs = append(timeErrs, fmt.Errorf("time.source: %q is not %s, %s, %s or %s", c.Time.Source, SourceEvent, SourceKafka, SourceField, SourceProcessing))
	}
	if c.Time.Source == SourceField {
		if c.Time.Field == "" {
			timeErrs = append(timeErrs, fmt.Errorf("time.field: required when time.source is field"))
		} else if s, err := read("time.field", c.Time.Field); err != nil {
			timeErrs = append(timeErrs, err)
		} else {
			p.timeField, p.timeSlot = c.Time.Field, s
		}
		tf, err := field.ParseTimeFormat(c.Time.Format, p.loc)
		if err != nil {
			timeErrs = append(timeErrs, fmt.Errorf("time.format: %w", err))
		}
		p.timeFormat = tf
	} else {
		if c.Time.Field != "" {
			timeErrs = append(timeErrs, fmt.Errorf("time.field: only read when time.source is field, not %s", c.Time.Source))
		}
		if c.Time.Format != "" {
			timeErrs = append(timeErrs, fmt.Errorf("time.format: only read when time.source is field, not %s", c.Time.Source))
		}
	}

	g, err := parseGranularity(c.Granularity)
	if err != nil {
		granErrs = append(granErrs, err)
		g = time.Hour
	}
	p.g = g

	index := map[string]int{}
	for i, f := range c.Fields {
		key := fmt.Sprintf("fields[%d]", i)
		switch j, dup := index[f.Name]; {
		case f.Name == "":
			fieldErrs = append(fieldErrs, fmt.Errorf("%s.name: required; it is the partition column, such as country", key))
		case !columnName.MatchString(f.Name):
			fieldErrs = append(fieldErrs, fmt.Errorf("%s.name: %q is not a column name; use letters, digits and _, not starting with a digit", key, f.Name))
		case dup:
			fieldErrs = append(fieldErrs, fmt.Errorf("%s.name: %q is also fields[%d].name", key, f.Name, j))
		default:
			index[f.Name] = i
		}
		pf := pathField{name: f.Name, def: escape(f.Default, false), defStart: escape(f.Default, true)}
		// An empty field is an empty name, already reported.
		if f.Field != "" {
			if pf.slot, err = read(key+".field", f.Field); err != nil {
				fieldErrs = append(fieldErrs, err)
			}
		}
		p.fields = append(p.fields, pf)
	}

	pieces, err := parseTemplate(c.Path, index)
	if err == nil {
		err = checkFormatted(c.Path, pieces, p.loc)
	}
	if err != nil {
		pathErrs = append(pathErrs, err)
	}
	p.pieces = pieces
	placed := make([]bool, len(c.Fields))
	for _, pc := range pieces {
		if pc.field >= 0 {
			placed[pc.field] = true
		}
	}
	cols := templateColumns(c.Path)
	for i, f := range c.Fields {
		if placed[i] {
			continue
		}
		p.prefix = append(p.prefix, i)
		// The same column twice in one path is rejected by Hive and Spark alike.
		for _, col := range cols {
			if col == f.Name {
				fieldErrs = append(fieldErrs, fmt.Errorf("fields[%d].name: %q is also a partition column of path %q", i, f.Name, c.Path))
			}
		}
	}

	errs := append(append(append(append(timeErrs, granErrs...), pathErrs...), tzErrs...), fieldErrs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Location is the zone of the buckets.
func (p *Partitioner) Location() *time.Location { return p.loc }

// Granularity is the nominal bucket length; buckets next to a DST change are shorter or longer.
func (p *Partitioner) Granularity() time.Duration { return p.g }

// Bucket returns r's bucket. now is the processing time, used by the processing source. An error
// means the record cannot be placed (its time field is missing or unreadable, or its time is out
// of range: see ErrTimeRange) and belongs in the dead letters.
func (p *Partitioner) Bucket(r *record.Record, now time.Time) (Bucket, error) {
	t, err := p.timeOf(r, now)
	if err != nil {
		return Bucket{}, err
	}
	w := p.lookup(t)
	if w == nil {
		if w, err = p.fill(t); err != nil {
			return Bucket{}, err
		}
	}
	if len(p.fields) == 0 {
		return Bucket{Path: w.path, Start: w.start, End: w.end}, nil
	}
	path, err := p.fieldPath(r, w)
	if err != nil {
		return Bucket{}, err
	}
	return Bucket{Path: path, Start: w.start, End: w.end}, nil
}

func (p *Partitioner) timeOf(r *record.Record, now time.Time) (time.Time, error) {
	switch p.src {
	case srcKafka:
		return r.Timestamp, nil
	case srcProcessing:
		return now, nil
	case srcField:
		var v field.Value
		if int(p.timeSlot) < len(r.Fields) {
			v = r.Fields[p.timeSlot]
		}
		t, err := p.timeFormat.Parse(v)
		if err != nil {
			return time.Time{}, fmt.Errorf("time field %q: %w", p.timeField, err)
		}
		return t, nil
	}
	// The consumer starts EventTime as the Kafka timestamp; a record that never got one means
	// exactly that.
	if r.EventTime.IsZero() {
		return r.Timestamp, nil
	}
	return r.EventTime, nil
}

func (p *Partitioner) sourceName() string {
	switch p.src {
	case srcKafka:
		return "kafka timestamp"
	case srcProcessing:
		return "processing time"
	case srcField:
		return fmt.Sprintf("time field %q", p.timeField)
	}
	return "event time"
}

func (p *Partitioner) lookup(t time.Time) *window {
	for i := range p.cache {
		if w := p.cache[i].Load(); w != nil && !t.Before(w.start) && t.Before(w.end) {
			return w
		}
	}
	return nil
}

// fill computes and caches the window holding t.
func (p *Partitioner) fill(t time.Time) (*window, error) {
	// Checked before the window arithmetic, which is only meaningful for sane years.
	if y := t.In(p.loc).Year(); y < minYear || y > maxYear {
		return nil, fmt.Errorf("%s %s is %w", p.sourceName(), t.In(p.loc).Format(time.RFC3339Nano), ErrTimeRange)
	}
	start, end, lab := p.window(t)
	nominal := p.nominal(start, lab)
	w := &window{start: start, end: end}
	if len(p.fields) == 0 {
		// Without fields the template has no placeholders: it is one layout piece.
		w.path = nominal.Format(p.pieces[0].layout)
	} else {
		w.lits = make([]string, len(p.pieces))
		for i, pc := range p.pieces {
			if pc.field < 0 {
				w.lits[i] = nominal.Format(pc.layout)
			}
		}
	}
	p.cache[p.next.Add(1)%cacheSize].Store(w)
	return w, nil
}

// fieldPath builds the path of a record with field segments. It allocates only the result.
func (p *Partitioner) fieldPath(r *record.Record, w *window) (string, error) {
	var buf [256]byte
	b := buf[:0]
	for _, i := range p.prefix {
		f := &p.fields[i]
		b = append(b, f.name...)
		b = append(b, '=')
		b = f.appendValue(b, r, false)
		b = append(b, '/')
	}
	for i, pc := range p.pieces {
		if pc.field < 0 {
			b = append(b, w.lits[i]...)
		} else {
			b = p.fields[pc.field].appendValue(b, r, pc.segStart)
		}
	}
	// Escaping can triple a value; HDFS would refuse the directory and stall the writer, while
	// here the record can still go to the dead letters. Only a long path can hold a long name.
	for seg := b; len(b) > maxComponent && len(seg) > 0; {
		n := len(seg)
		if i := bytes.IndexByte(seg, '/'); i >= 0 {
			n = i
		}
		if n > maxComponent {
			// A string copy, so that buf stays on the stack.
			return "", fmt.Errorf("partition directory %q... is %d bytes after escaping; HDFS allows %d", string(seg[:60]), n, maxComponent)
		}
		if n == len(seg) {
			break
		}
		seg = seg[n+1:]
	}
	return string(b), nil
}

// appendValue appends r's escaped value of f, or f's default when the value is missing, null or
// empty: an empty directory name cannot exist, and "name=" reads back as an empty string in some
// engines and as NULL in others.
func (f *pathField) appendValue(b []byte, r *record.Record, segStart bool) []byte {
	var v field.Value
	if int(f.slot) < len(r.Fields) {
		v = r.Fields[f.slot]
	}
	if v.IsAbsent() || len(v.Bytes) == 0 {
		if segStart {
			return append(b, f.defStart...)
		}
		return append(b, f.def...)
	}
	return appendEscaped(b, v.Bytes, segStart)
}
