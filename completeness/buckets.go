package completeness

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
)

// Buckets maps a bucket directory back to the bucket's time span, so the Completer can tell when a
// directory it finds is done. It reads the time segments of the path template (a segment with a
// {field} placeholder, and the leading field directories, are skipped) and asks the topic's own
// bucketing rule (partitioner.Window) for the edges, so zones, DST and custom granularities agree
// with where the loader put the records.
type Buckets struct {
	prefix int    // leading name=value directories of fields not placed in the template
	keep   []bool // per template segment: a time segment (true) or a field segment
	layout string // the time segments, joined by /
	loc    *time.Location
	win    *partitioner.Partitioner
}

// ErrUnparsable means a topic's partitioner.path does not let a directory name be read back as a
// time: completeness cannot be computed for it.
var ErrUnparsable = errors.New("bucket directories cannot be read back as times")

// NewBuckets builds the reverse mapping of a topic's partitioner config. It fails with
// ErrUnparsable when the time segments of the path alone do not name one bucket (a segment that
// mixes a {field} with time text, or a path coarser than the granularity).
func NewBuckets(c partitioner.Config) (*Buckets, error) {
	c = c.WithDefaults()
	b := &Buckets{}
	placed := map[string]bool{}
	var timeSegs []string
	for _, seg := range strings.Split(c.Path, "/") {
		if strings.Contains(seg, "{") {
			b.keep = append(b.keep, false)
			for rest := seg; ; {
				i := strings.IndexByte(rest, '{')
				j := strings.IndexByte(rest, '}')
				if i < 0 || j < i {
					break
				}
				placed[rest[i+1:j]] = true
				rest = rest[j+1:]
			}
			continue
		}
		b.keep = append(b.keep, true)
		timeSegs = append(timeSegs, seg)
	}
	for _, f := range c.Fields {
		if !placed[f.Name] {
			b.prefix++
		}
	}
	if len(timeSegs) == 0 {
		return nil, fmt.Errorf("%w: path %q has no segment of time text only", ErrUnparsable, c.Path)
	}
	b.layout = strings.Join(timeSegs, "/")
	// A partitioner of the time segments alone: same granularity and zone, nothing read from
	// records, so its Window is the topic's.
	win, err := partitioner.New(partitioner.Config{Time: partitioner.TimeSource{Source: partitioner.SourceProcessing},
		Granularity: c.Granularity, Timezone: c.Timezone, Path: b.layout}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnparsable, err)
	}
	b.win, b.loc = win, win.Location()
	// Round trip over two days of buckets: each formats to a path that reads back as itself.
	t := time.Date(2026, 3, 28, 0, 0, 0, 0, b.loc)
	for i := 0; i < 200 && t.Before(time.Date(2026, 3, 30, 0, 0, 0, 0, b.loc)); i++ {
		start, end := win.Window(t)
		p := start.In(b.loc).Format(b.layout)
		s2, _, ok := b.parseTime(p)
		if !ok || !s2.Equal(start) {
			return nil, fmt.Errorf("%w: the time segments %q of path %q do not name one bucket of granularity %s (the bucket at %s reads back as %s)",
				ErrUnparsable, b.layout, c.Path, c.Granularity, start.Format(time.RFC3339), s2.Format(time.RFC3339))
		}
		t = end
	}
	return b, nil
}

// Span returns the edges of the bucket in the directory rel (relative to the topic's directory,
// such as "dt=2026-11-22/hour=13"). ok is false for a directory the template does not produce.
// Where a DST fall-back gives two buckets the same directory, end is the later one's: a marker
// waits for both.
func (b *Buckets) Span(rel string) (start, end time.Time, ok bool) {
	segs := strings.Split(rel, "/")
	if len(segs) != b.prefix+len(b.keep) {
		return start, end, false
	}
	segs = segs[b.prefix:]
	var ts []string
	for i, s := range segs {
		if b.keep[i] {
			ts = append(ts, s)
		}
	}
	return b.parseTime(strings.Join(ts, "/"))
}

func (b *Buckets) parseTime(text string) (start, end time.Time, ok bool) {
	t, err := time.ParseInLocation(b.layout, text, b.loc)
	if err != nil {
		return start, end, false
	}
	start, end = b.win.Window(t)
	if start.In(b.loc).Format(b.layout) != text {
		return start, end, false
	}
	// The same wall-clock slot again after a fall-back: the directory holds both buckets.
	for i := 0; i < 2; i++ {
		s2, e2 := b.win.Window(end)
		if s2.In(b.loc).Format(b.layout) != text {
			break
		}
		end = e2
	}
	return start, end, true
}
