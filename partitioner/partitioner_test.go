package partitioner

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

func loadLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func mustNew(t testing.TB, c Config, l *record.Layout) *Partitioner {
	t.Helper()
	if l == nil {
		l = record.NewLayout(true)
	}
	p, err := New(c, l)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	return p
}

// newRecord builds a record by hand: the slots come from l.Read, as the partitioner's do, and the
// values are set directly, so the tests do not depend on the JSON extractor.
func newRecord(t testing.TB, l *record.Layout, vals map[string]field.Value) *record.Record {
	t.Helper()
	r := &record.Record{Topic: "t"}
	for name, v := range vals {
		s, err := l.Read(name)
		if err != nil {
			t.Fatalf("Read(%q): %v", name, err)
		}
		for len(r.Fields) <= int(s) {
			r.Fields = append(r.Fields, field.Value{})
		}
		r.Fields[s] = v
	}
	return r
}

func str(s string) field.Value { return field.StringValue(s) }
func num(s string) field.Value { return field.Value{Kind: field.Number, Bytes: []byte(s)} }

var null = field.Value{Kind: field.Null}

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

func TestSources(t *testing.T) {
	kafka := time.Date(2026, 11, 22, 13, 47, 0, 0, time.UTC)
	event := time.Date(2026, 11, 20, 8, 5, 0, 0, time.UTC)
	now := time.Date(2026, 11, 23, 0, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		time TimeSource
		tz   string
		vals map[string]field.Value
		// event is r.EventTime; the zero time means no interceptor or consumer set it.
		event time.Time
		want  string
	}{
		{"event", TimeSource{}, "", nil, event, "dt=2026-11-20/hour=08"},
		{"event unset is the kafka timestamp", TimeSource{Source: "event"}, "", nil, time.Time{}, "dt=2026-11-22/hour=13"},
		{"kafka ignores event time", TimeSource{Source: "kafka"}, "", nil, event, "dt=2026-11-22/hour=13"},
		{"processing", TimeSource{Source: "processing"}, "", nil, event, "dt=2026-11-23/hour=00"},
		{"field rfc3339", TimeSource{Source: "field", Field: "ts"}, "", map[string]field.Value{"ts": str("2026-05-01T10:15:00+02:00")}, event, "dt=2026-05-01/hour=08"},
		{"field epoch_millis number", TimeSource{Source: "field", Field: "meta.ts", Format: "epoch_millis"}, "", map[string]field.Value{"meta.ts": num("1779444000000")}, event, "dt=2026-05-22/hour=10"},
		{"field epoch_seconds string", TimeSource{Source: "field", Field: "ts", Format: "epoch_seconds"}, "", map[string]field.Value{"ts": str("1779444000")}, event, "dt=2026-05-22/hour=10"},
		{"field from a header", TimeSource{Source: "field", Field: "@header.ts"}, "", map[string]field.Value{"@header.ts": str("2026-01-01T00:00:00Z")}, event, "dt=2026-01-01/hour=00"},
		// A layout without a zone is read in the partitioner's zone, so local text stays local.
		{"field layout in zone", TimeSource{Source: "field", Field: "ts", Format: "2006-01-02 15:04"}, "Asia/Kolkata", map[string]field.Value{"ts": str("2026-05-01 23:59")}, event, "dt=2026-05-01/hour=23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := record.NewLayout(true)
			p := mustNew(t, Config{Time: tt.time, Timezone: tt.tz}, l)
			r := newRecord(t, l, tt.vals)
			r.Timestamp, r.EventTime = kafka, tt.event
			b, err := p.Bucket(r, now)
			if err != nil || b.Path != tt.want {
				t.Errorf("Bucket(%v) = %v, %v, want %v", tt.vals, b, err, tt.want)
			}
		})
	}
}

func TestGranularityUTC(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 47, 12, 5, time.UTC)
	tests := []struct {
		gran       string
		t          time.Time
		start, end time.Time
		path       string
	}{
		{"", at, utc(2026, 11, 22, 13, 0), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=13"},
		{"hour", at, utc(2026, 11, 22, 13, 0), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=13"},
		{"1h", at, utc(2026, 11, 22, 13, 0), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=13"},
		{"day", at, utc(2026, 11, 22, 0, 0), utc(2026, 11, 23, 0, 0), "dt=2026-11-22"},
		{"24h", at, utc(2026, 11, 22, 0, 0), utc(2026, 11, 23, 0, 0), "dt=2026-11-22"},
		{"15m", at, utc(2026, 11, 22, 13, 45), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=13/minute=45"},
		{"10m", at, utc(2026, 11, 22, 13, 40), utc(2026, 11, 22, 13, 50), "dt=2026-11-22/hour=13/minute=40"},
		{"45m", at, utc(2026, 11, 22, 13, 30), utc(2026, 11, 22, 14, 15), "dt=2026-11-22/hour=13/minute=30"},
		{"2h", at, utc(2026, 11, 22, 12, 0), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=12"},
		{"6h", at, utc(2026, 11, 22, 12, 0), utc(2026, 11, 22, 18, 0), "dt=2026-11-22/hour=12"},
		// Bucket edges: a start belongs to its bucket, an end to the next; the last bucket of a
		// day ends at midnight.
		{"15m", utc(2026, 11, 22, 13, 45), utc(2026, 11, 22, 13, 45), utc(2026, 11, 22, 14, 0), "dt=2026-11-22/hour=13/minute=45"},
		{"15m", utc(2026, 11, 22, 13, 45).Add(-1), utc(2026, 11, 22, 13, 30), utc(2026, 11, 22, 13, 45), "dt=2026-11-22/hour=13/minute=30"},
		{"15m", utc(2026, 11, 22, 23, 59), utc(2026, 11, 22, 23, 45), utc(2026, 11, 23, 0, 0), "dt=2026-11-22/hour=23/minute=45"},
		{"hour", utc(2026, 12, 31, 23, 59), utc(2026, 12, 31, 23, 0), utc(2027, 1, 1, 0, 0), "dt=2026-12-31/hour=23"},
	}
	for _, tt := range tests {
		p := mustNew(t, Config{Granularity: tt.gran}, nil)
		r := &record.Record{Timestamp: tt.t}
		b, err := p.Bucket(r, time.Time{})
		want := Bucket{Path: tt.path, Start: tt.start, End: tt.end}
		if err != nil || !sameBucket(b, want) {
			t.Errorf("granularity %q: Bucket(%v) = %v, %v, want %v", tt.gran, tt.t, b, err, want)
		}
		if s, e := p.Window(tt.t); !s.Equal(tt.start) || !e.Equal(tt.end) {
			t.Errorf("granularity %q: Window(%v) = %v, %v, want %v, %v", tt.gran, tt.t, s, e, tt.start, tt.end)
		}
	}
}

func sameBucket(a, b Bucket) bool {
	return a.Path == b.Path && a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

// TestZones pins the buckets next to zone changes, where "midnight plus n times the granularity"
// stops being the answer. Wanted edges are in UTC so they are unambiguous.
func TestZones(t *testing.T) {
	kolkata := loadLoc(t, "Asia/Kolkata")
	ny := loadLoc(t, "America/New_York")
	lh := loadLoc(t, "Australia/Lord_Howe")
	tests := []struct {
		name       string
		loc        *time.Location
		gran       string
		t          time.Time
		start, end time.Time
		path       string
	}{
		{"kolkata hour at local :00", kolkata, "hour", utc(2026, 11, 22, 8, 17), utc(2026, 11, 22, 7, 30), utc(2026, 11, 22, 8, 30), "dt=2026-11-22/hour=13"},
		{"kolkata day", kolkata, "day", utc(2026, 11, 22, 20, 0), utc(2026, 11, 22, 18, 30), utc(2026, 11, 23, 18, 30), "dt=2026-11-23"},
		{"kolkata 15m", kolkata, "15m", utc(2026, 11, 22, 8, 17), utc(2026, 11, 22, 8, 15), utc(2026, 11, 22, 8, 30), "dt=2026-11-22/hour=13/minute=45"},

		// New York springs forward on 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT.
		{"ny spring day is 23h", ny, "day", utc(2026, 3, 8, 16, 0), utc(2026, 3, 8, 5, 0), utc(2026, 3, 9, 4, 0), "dt=2026-03-08"},
		{"ny spring hour before gap", ny, "hour", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0), "dt=2026-03-08/hour=01"},
		{"ny spring hour after gap", ny, "hour", utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0), "dt=2026-03-08/hour=03"},
		{"ny spring 2h before gap", ny, "2h", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 7, 0), "dt=2026-03-08/hour=00"},
		// The gap ate the first hour of the 02:00 slot: the rest of it is named by its slot, and
		// the day's later buckets stay on even hours.
		{"ny spring 2h after gap", ny, "2h", utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0), "dt=2026-03-08/hour=02"},
		{"ny spring 2h back on grid", ny, "2h", utc(2026, 3, 8, 8, 30), utc(2026, 3, 8, 8, 0), utc(2026, 3, 8, 10, 0), "dt=2026-03-08/hour=04"},
		{"ny spring 15m to gap", ny, "15m", utc(2026, 3, 8, 6, 50), utc(2026, 3, 8, 6, 45), utc(2026, 3, 8, 7, 0), "dt=2026-03-08/hour=01/minute=45"},
		{"ny spring 15m from gap", ny, "15m", utc(2026, 3, 8, 7, 5), utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 7, 15), "dt=2026-03-08/hour=03/minute=00"},

		// New York falls back on 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST.
		{"ny fall day is 25h", ny, "day", utc(2026, 11, 1, 12, 0), utc(2026, 11, 1, 4, 0), utc(2026, 11, 2, 5, 0), "dt=2026-11-01"},
		{"ny fall hour 01 EDT", ny, "hour", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0), "dt=2026-11-01/hour=01"},
		{"ny fall hour 01 EST", ny, "hour", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0), "dt=2026-11-01/hour=01"},
		{"ny fall hour 02", ny, "hour", utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 7, 0), utc(2026, 11, 1, 8, 0), "dt=2026-11-01/hour=02"},
		{"ny fall 2h", ny, "2h", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 7, 0), "dt=2026-11-01/hour=00"},
		{"ny fall 15m first 01:00", ny, "15m", utc(2026, 11, 1, 5, 5), utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 15), "dt=2026-11-01/hour=01/minute=00"},
		{"ny fall 15m last EDT", ny, "15m", utc(2026, 11, 1, 5, 59), utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 6, 0), "dt=2026-11-01/hour=01/minute=45"},
		{"ny fall 15m second 01:00", ny, "15m", utc(2026, 11, 1, 6, 5), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 15), "dt=2026-11-01/hour=01/minute=00"},

		// Lord Howe springs forward half an hour on 2026-10-04: 02:00 +10:30 (15:30Z) becomes 02:30 +11.
		{"lord howe spring hour before", lh, "hour", utc(2026, 10, 3, 15, 15), utc(2026, 10, 3, 14, 30), utc(2026, 10, 3, 15, 30), "dt=2026-10-04/hour=01"},
		{"lord howe spring half hour", lh, "hour", utc(2026, 10, 3, 15, 45), utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16, 0), "dt=2026-10-04/hour=02"},
		// 03:10 local is in hour=03: stepping whole hours from midnight would start buckets at
		// :30 for the rest of the day and put it in hour=02.
		{"lord howe spring next hour at :00", lh, "hour", utc(2026, 10, 3, 16, 10), utc(2026, 10, 3, 16, 0), utc(2026, 10, 3, 17, 0), "dt=2026-10-04/hour=03"},
		// Lord Howe falls back on 2026-04-05: 02:00 +11 (15:00Z) becomes 01:30 +10:30.
		{"lord howe fall hour", lh, "hour", utc(2026, 4, 4, 14, 45), utc(2026, 4, 4, 14, 0), utc(2026, 4, 4, 15, 30), "dt=2026-04-05/hour=01"},
		{"lord howe fall 30m repeated slot is one bucket", lh, "30m", utc(2026, 4, 4, 14, 45), utc(2026, 4, 4, 14, 30), utc(2026, 4, 4, 15, 30), "dt=2026-04-05/hour=01/minute=30"},
		{"lord howe fall day", lh, "day", utc(2026, 4, 4, 20, 0), utc(2026, 4, 4, 13, 0), utc(2026, 4, 5, 13, 30), "dt=2026-04-05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustNew(t, Config{Granularity: tt.gran, Timezone: tt.loc.String()}, nil)
			b, err := p.Bucket(&record.Record{Timestamp: tt.t}, time.Time{})
			want := Bucket{Path: tt.path, Start: tt.start, End: tt.end}
			if err != nil || !sameBucket(b, want) {
				t.Errorf("Bucket(%v) = %v, %v, want %v", tt.t.In(tt.loc), b, err, want)
			}
			if b.Start.Location().String() != tt.loc.String() || b.End.Location().String() != tt.loc.String() {
				t.Errorf("Bucket(%v) edges are in %v and %v, want %v", tt.t, b.Start.Location(), b.End.Location(), tt.loc)
			}
		})
	}
}

// TestWindowInvariants walks days around zone changes and checks what the writer relies on: a
// record's bucket holds it, buckets tile time without gaps or overlaps, and each is a maximal run
// of one local date and wall-clock slot.
func TestWindowInvariants(t *testing.T) {
	days := []struct {
		zone string
		day  time.Time // UTC midnight before the change
	}{
		{"UTC", utc(2026, 12, 31, 0, 0)},
		{"Asia/Kolkata", utc(2026, 11, 22, 0, 0)},
		{"America/New_York", utc(2026, 3, 7, 0, 0)},
		{"America/New_York", utc(2026, 10, 31, 0, 0)},
		{"Australia/Lord_Howe", utc(2026, 4, 3, 0, 0)},
		{"Australia/Lord_Howe", utc(2026, 10, 2, 0, 0)},
		// A DST change at midnight: Havana jumps from 00:00 to 01:00, so the day starts at 01:00.
		{"America/Havana", utc(2026, 3, 7, 0, 0)},
		{"America/Havana", utc(2026, 10, 31, 0, 0)},
	}
	grans := []string{"hour", "day", "15m", "30m", "45m", "2h", "6h"}
	for _, d := range days {
		for _, gran := range grans {
			p := mustNew(t, Config{Granularity: gran, Timezone: d.zone}, nil)
			for at := d.day; at.Before(d.day.Add(72 * time.Hour)); at = at.Add(7*time.Minute + 13*time.Second) {
				checkWindow(t, p, at)
			}
		}
	}
}

func checkWindow(t *testing.T, p *Partitioner, at time.Time) {
	t.Helper()
	start, end := p.Window(at)
	where := fmt.Sprintf("%s %s: Window(%v) = [%v, %v)", p.loc, p.g, at.In(p.loc), start, end)
	if at.Before(start) || !at.Before(end) {
		t.Fatalf("%s does not hold it", where)
	}
	if d := end.Sub(start); d <= 0 || d > p.g+2*time.Hour {
		t.Fatalf("%s lasts %v", where, d)
	}
	for _, x := range []time.Time{start, end.Add(-1)} {
		if s, e := p.Window(x); !s.Equal(start) || !e.Equal(end) {
			t.Fatalf("%s, but Window(%v) = [%v, %v)", where, x, s, e)
		}
	}
	if _, e := p.Window(start.Add(-1)); !e.Equal(start) {
		t.Fatalf("%s, but the bucket before ends at %v", where, e)
	}
	if s, _ := p.Window(end); !s.Equal(end) {
		t.Fatalf("%s, but the bucket after starts at %v", where, s)
	}
	lab, _ := p.labelOf(at)
	for _, x := range []time.Time{start, end.Add(-1)} {
		if l, _ := p.labelOf(x); l != lab {
			t.Fatalf("%s: label %v at %v, %v inside", where, l, x, lab)
		}
	}
	for _, x := range []time.Time{start.Add(-1), end} {
		if l, _ := p.labelOf(x); l == lab {
			t.Fatalf("%s: label %v goes on at %v, the bucket is not maximal", where, lab, x)
		}
	}
	b1, err1 := p.Bucket(&record.Record{Timestamp: at}, time.Time{})
	b2, err2 := p.Bucket(&record.Record{Timestamp: start}, time.Time{})
	if err1 != nil || err2 != nil || b1.Path != b2.Path {
		t.Fatalf("%s: Bucket(%v) = %v, %v but Bucket(%v) = %v, %v", where, at, b1, err1, start, b2, err2)
	}
}

func TestPathTemplate(t *testing.T) {
	at := time.Date(2026, 11, 22, 13, 47, 0, 0, time.UTC)
	tests := []struct {
		name   string
		path   string
		fields []PathField
		vals   map[string]field.Value
		want   string
	}{
		{"default", "", nil, nil, "dt=2026-11-22/hour=13"},
		{"custom hive", "year=2006/month=01/day=02/hour=15", nil, nil, "year=2026/month=11/day=22/hour=13"},
		{"not hive", "2006/01/02/15", nil, nil, "2026/11/22/13"},
		{"no time at all", "all", nil, nil, "all"},
		{"names", "dt=2006-01-02/dow=Mon/mon=Jan", nil, nil, "dt=2026-11-22/dow=Sun/mon=Nov"},
		{"fields come first, in config order", "", []PathField{{Name: "country"}, {Name: "region", Field: "geo.region"}},
			map[string]field.Value{"country": str("US"), "geo.region": str("west")}, "country=US/region=west/dt=2026-11-22/hour=13"},
		// Values are never layouts, even where the template's literal text is.
		{"placeholder value is not formatted", "{day}/dt=2006-01-02/m={month}", []PathField{{Name: "day"}, {Name: "month"}},
			map[string]field.Value{"day": str("Mon"), "month": str("Jan2006")}, "Mon/dt=2026-11-22/m=Jan2006"},
		{"placed and prefixed", "dt=2006-01-02/b={b}/hour=15", []PathField{{Name: "a"}, {Name: "b"}, {Name: "c"}},
			map[string]field.Value{"a": str("1"), "b": str("2"), "c": str("3")}, "a=1/c=3/dt=2026-11-22/b=2/hour=13"},
		{"placeholder inside a name", "dt=2006-01-02/{a}-x-{b}", []PathField{{Name: "a"}, {Name: "b"}},
			map[string]field.Value{"a": str("p"), "b": str("q")}, "dt=2026-11-22/p-x-q"},
		{"same field twice", "{a}/a={a}", []PathField{{Name: "a"}}, map[string]field.Value{"a": str("v")}, "v/a=v"},
		{"key and header fields", "", []PathField{{Name: "k", Field: "@key"}, {Name: "h", Field: "@header.src"}},
			map[string]field.Value{"@key": str("user-1"), "@header.src": str("web")}, "k=user-1/h=web/dt=2026-11-22/hour=13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := record.NewLayout(true)
			p := mustNew(t, Config{Path: tt.path, Fields: tt.fields}, l)
			r := newRecord(t, l, tt.vals)
			r.Timestamp = at
			b, err := p.Bucket(r, time.Time{})
			if err != nil || b.Path != tt.want {
				t.Errorf("Bucket(%v) = %v, %v, want %v", tt.vals, b.Path, err, tt.want)
			}
		})
	}
}

func TestEscaping(t *testing.T) {
	tests := []struct {
		name string
		v    field.Value
		def  string
		// want is the value after "c=" and, in wantStart, where it opens a directory name.
		want, wantStart string
	}{
		{"plain", str("US"), "", "US", "US"},
		{"slash", str("a/b"), "", "a%2Fb", "a%2Fb"},
		{"dot dot", str(".."), "", "..", "%2E."},
		{"dot", str("."), "", ".", "%2E"},
		{"traversal", str("../../etc"), "", "..%2F..%2Fetc", "%2E.%2F..%2Fetc"},
		{"hidden", str("_tmp"), "", "_tmp", "%5Ftmp"},
		{"unicode", str("Zürich"), "", "Z%C3%BCrich", "Z%C3%BCrich"},
		{"percent", str("100%"), "", "100%25", "100%25"},
		{"hive specials", str(`a=b:c "d"#`), "", "a%3Db%3Ac%20%22d%22%23", "a%3Db%3Ac%20%22d%22%23"},
		{"control", str("a\nb\x00"), "", "a%0Ab%00", "a%0Ab%00"},
		{"empty", str(""), "", HiveDefaultPartition, "%5F_HIVE_DEFAULT_PARTITION__"},
		{"missing", field.Value{}, "", HiveDefaultPartition, "%5F_HIVE_DEFAULT_PARTITION__"},
		{"null", null, "", HiveDefaultPartition, "%5F_HIVE_DEFAULT_PARTITION__"},
		{"custom default", null, "unknown", "unknown", "unknown"},
		{"default is escaped", field.Value{}, "n/a", "n%2Fa", "n%2Fa"},
		{"number", num("4.50"), "", "4.50", "4.50"},
		{"bool", field.Value{Kind: field.Bool, Bytes: []byte("true")}, "", "true", "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct{ path, want string }{
				{"dt=2006-01-02", "c=" + tt.want + "/dt=2026-11-22"},
				{"dt=2006-01-02/c={c}", "dt=2026-11-22/c=" + tt.want},
				{"{c}/dt=2006-01-02", tt.wantStart + "/dt=2026-11-22"},
			} {
				l := record.NewLayout(true)
				p := mustNew(t, Config{Path: c.path, Fields: []PathField{{Name: "c", Field: "v", Default: tt.def}}}, l)
				r := newRecord(t, l, map[string]field.Value{"v": tt.v})
				r.Timestamp = utc(2026, 11, 22, 13, 0)
				b, err := p.Bucket(r, time.Time{})
				if err != nil || b.Path != c.want {
					t.Errorf("path %s: Bucket(%q) = %q, %v, want %q", c.path, tt.v.Bytes, b.Path, err, c.want)
				}
			}
		})
	}
}

func TestLongValue(t *testing.T) {
	l := record.NewLayout(true)
	p := mustNew(t, Config{Fields: []PathField{{Name: "c"}}}, l)
	for _, tt := range []struct {
		v       string
		wantErr bool
	}{
		{strings.Repeat("a", 253), false}, // "c=" + 253 = 255 bytes
		{strings.Repeat("a", 254), true},
		{strings.Repeat("é", 42), false}, // 42 * 6 = 252
		{strings.Repeat("é", 43), true},
	} {
		r := newRecord(t, l, map[string]field.Value{"c": str(tt.v)})
		r.Timestamp = utc(2026, 11, 22, 13, 0)
		b, err := p.Bucket(r, time.Time{})
		if (err != nil) != tt.wantErr {
			t.Errorf("Bucket(%d bytes) = %.40q, %v, want error %v", len(tt.v), b.Path, err, tt.wantErr)
		} else if err != nil && !strings.Contains(err.Error(), "HDFS allows 255") {
			t.Errorf("Bucket(%d bytes) error = %v, want one about the HDFS limit", len(tt.v), err)
		}
	}
}

func TestTimeErrors(t *testing.T) {
	kolkata := "Asia/Kolkata"
	tests := []struct {
		name     string
		time     TimeSource
		tz       string
		vals     map[string]field.Value
		kafka    time.Time
		wantErr  string // substring; "" means no error
		wantIs   error
		wantPath string
	}{
		{"field missing", TimeSource{Source: "field", Field: "ts"}, "", nil, utc(2026, 1, 1, 0, 0),
			`time field "ts": no time value`, field.ErrNoTime, ""},
		{"field null", TimeSource{Source: "field", Field: "ts"}, "", map[string]field.Value{"ts": null}, utc(2026, 1, 1, 0, 0),
			`time field "ts": no time value`, field.ErrNoTime, ""},
		{"field unparseable", TimeSource{Source: "field", Field: "ts"}, "", map[string]field.Value{"ts": str("yesterday")}, utc(2026, 1, 1, 0, 0),
			`time field "ts": not RFC3339: "yesterday"`, nil, ""},
		{"field wrong kind", TimeSource{Source: "field", Field: "ts", Format: "epoch_millis"}, "", map[string]field.Value{"ts": field.Value{Kind: field.Bool, Bytes: []byte("true")}}, utc(2026, 1, 1, 0, 0),
			`time field "ts": want an epoch number`, nil, ""},
		{"field in millis read as seconds", TimeSource{Source: "field", Field: "ts", Format: "epoch_seconds"}, "", map[string]field.Value{"ts": num("1779444000000")}, utc(2026, 1, 1, 0, 0),
			`time field "ts": epoch seconds 1779444000000 out of range`, nil, ""},
		{"kafka timestamp -1", TimeSource{Source: "kafka"}, "", nil, time.UnixMilli(-1),
			`kafka timestamp 1969-12-31T23:59:59.999Z is outside the years 1970 to 9999`, ErrTimeRange, ""},
		{"no time at all", TimeSource{}, "", nil, time.Time{},
			`event time 0001-01-01T00:00:00Z is outside the years 1970 to 9999`, ErrTimeRange, ""},
		{"year 10000", TimeSource{}, "", nil, utc(10000, 1, 1, 0, 0),
			`event time 10000-01-01T00:00:00Z is outside`, ErrTimeRange, ""},
		{"first instant", TimeSource{}, "", nil, utc(1970, 1, 1, 0, 0), "", nil, "dt=1970-01-01/hour=00"},
		{"last hour", TimeSource{}, "", nil, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "", nil, "dt=9999-12-31/hour=23"},
		// The range is of local years, the ones the path shows.
		{"1969 in UTC is 1970 in Kolkata", TimeSource{}, kolkata, nil, utc(1969, 12, 31, 20, 0), "", nil, "dt=1970-01-01/hour=01"},
		{"9999 in UTC is 10000 in Kolkata", TimeSource{}, kolkata, nil, utc(9999, 12, 31, 20, 0),
			`event time 10000-01-01T01:30:00+05:30 is outside`, ErrTimeRange, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := record.NewLayout(true)
			p := mustNew(t, Config{Time: tt.time, Timezone: tt.tz}, l)
			r := newRecord(t, l, tt.vals)
			r.Timestamp = tt.kafka
			b, err := p.Bucket(r, time.Time{})
			switch {
			case tt.wantErr == "" && (err != nil || b.Path != tt.wantPath):
				t.Errorf("Bucket(%v) = %v, %v, want %v", r.Timestamp, b, err, tt.wantPath)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Bucket(%v) = %v, %v, want error containing %q", tt.vals, b, err, tt.wantErr)
			case tt.wantIs != nil && !errors.Is(err, tt.wantIs):
				t.Errorf("Bucket(%v) error %v is not %v", tt.vals, err, tt.wantIs)
			case err != nil && b != (Bucket{}):
				t.Errorf("Bucket(%v) = %v with error %v, want the zero Bucket", tt.vals, b, err)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	f := func(fs ...PathField) []PathField { return fs }
	tests := []struct {
		name string
		c    Config
		raw  bool // the topic's format is raw: only @key and @header.NAME resolve
		want string
	}{
		{"source", Config{Time: TimeSource{Source: "wallclock"}}, false, `time.source: "wallclock" is not event, kafka, field or processing`},
		{"field required", Config{Time: TimeSource{Source: "field"}}, false, `time.field: required when time.source is field`},
		{"field unused", Config{Time: TimeSource{Source: "kafka", Field: "ts"}}, false, `time.field: only read when time.source is field, not kafka`},
		{"format unused", Config{Time: TimeSource{Format: "epoch_millis"}}, false, `time.format: only read when time.source is field, not event`},
		{"format unknown", Config{Time: TimeSource{Source: "field", Field: "ts", Format: "epoch_milis"}}, false, `time.format: unknown time format "epoch_milis"`},
		{"field bad name", Config{Time: TimeSource{Source: "field", Field: "@ts"}}, false, `time.field: field "@ts": the only special fields are`},
		{"field bad path", Config{Time: TimeSource{Source: "field", Field: "a..b"}}, false, `time.field: field path "a..b" has an empty segment`},
		{"field in raw", Config{Time: TimeSource{Source: "field", Field: "ts"}}, true, `time.field: field "ts": format raw does not parse the value`},

		{"granularity 7m", Config{Granularity: "7m"}, false, `granularity: "7m" does not divide a day; use hour, day or a duration that divides 24h such as 10m, 15m, 2h`},
		{"granularity 0", Config{Granularity: "0"}, false, `granularity: "0" must be positive`},
		{"granularity -1h", Config{Granularity: "-1h"}, false, `granularity: "-1h" must be positive`},
		{"granularity 25h", Config{Granularity: "25h"}, false, `granularity: "25h" is longer than a day`},
		{"granularity 48h", Config{Granularity: "48h"}, false, `granularity: "48h" is longer than a day`},
		{"granularity weekly", Config{Granularity: "weekly"}, false, `granularity: "weekly" is not hour, day or a Go duration; use hour, day`},
		{"granularity Hour", Config{Granularity: "Hour"}, false, `granularity: "Hour" is not hour, day or a Go duration`},
		{"granularity 30s", Config{Granularity: "30s"}, false, `granularity: "30s" is not a whole number of minutes`},
		{"granularity 7h", Config{Granularity: "7h"}, false, `granularity: "7h" does not divide a day`},

		{"path leading slash", Config{Path: "/dt=2006-01-02"}, false, `path: "/dt=2006-01-02" must not start or end with /`},
		{"path trailing slash", Config{Path: "dt=2006-01-02/"}, false, `path: "dt=2006-01-02/" must not start or end with /`},
		{"path empty segment", Config{Path: "dt=2006-01-02//hour=15"}, false, `path: "dt=2006-01-02//hour=15" has an empty directory name`},
		{"path dot dot", Config{Path: "../dt=2006-01-02"}, false, `path: "../dt=2006-01-02" must not contain ".."`},
		{"path unknown placeholder", Config{Path: "{country}/dt=2006-01-02"}, false, `path: {country} is not the name of an entry in fields`},
		{"path empty placeholder", Config{Path: "{}/dt=2006-01-02"}, false, `path: {} is not the name of an entry in fields`},
		{"path unclosed", Config{Path: "{country/dt=2006-01-02", Fields: f(PathField{Name: "country"})}, false, `path: "{country/dt=2006-01-02" has a { without a }`},
		{"path stray close", Config{Path: "dt}=2006-01-02"}, false, `path: "dt}=2006-01-02" has a } without a {`},
		{"path colon", Config{Path: "dt=2006-01-02T15:04"}, false, `path: "dt=2006-01-02T15:04" formats to "dt=2026-01-02T03:04", which contains ':'`},
		{"path space from _2", Config{Path: "dt=2006-01-_2"}, false, `which contains ' '`},
		{"path zone colon", Config{Path: "dt=2006-01-02/tz=-07:00"}, false, `which contains ':'`},
		{"path hidden underscore", Config{Path: "_tmp/dt=2006-01-02"}, false, `directory "_tmp" starts with '_': Hadoop readers skip it as hidden`},
		{"path hidden dot", Config{Path: ".x/dt=2006-01-02"}, false, `directory ".x" starts with '.'`},
		{"path unicode", Config{Path: "datum=2006-01-02/ü"}, false, `which contains 'ü'`},
		{"path too long", Config{Path: strings.Repeat("a", 256)}, false, `path: "aaaa`},

		{"timezone unknown", Config{Timezone: "Mars/Olympus"}, false, `timezone: unknown time zone Mars/Olympus`},
		{"timezone local", Config{Timezone: "Local"}, false, `timezone: Local depends on the machine`},

		{"fields name required", Config{Fields: f(PathField{Field: "geo.country"})}, false, `fields[0].name: required`},
		{"fields name digit", Config{Fields: f(PathField{Name: "1st"})}, false, `fields[0].name: "1st" is not a column name`},
		{"fields name dotted", Config{Fields: f(PathField{Name: "geo.country"})}, false, `fields[0].name: "geo.country" is not a column name`},
		{"fields name duplicate", Config{Fields: f(PathField{Name: "c"}, PathField{Name: "d"}, PathField{Name: "c", Field: "x"})}, false, `fields[2].name: "c" is also fields[0].name`},
		{"fields name is a path column", Config{Fields: f(PathField{Name: "hour"})}, false, `fields[0].name: "hour" is also a partition column of path "dt=2006-01-02/hour=15"`},
		{"fields field bad", Config{Fields: f(PathField{Name: "c", Field: "@nope"})}, false, `fields[0].field: field "@nope"`},
		{"fields field raw", Config{Fields: f(PathField{Name: "c", Field: "geo.country"})}, true, `fields[0].field: field "geo.country": format raw`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c, record.NewLayout(!tt.raw))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%+v) = %v, want an error containing %q", tt.c, err, tt.want)
			}
		})
	}
}

func TestConfigErrorsJoined(t *testing.T) {
	c := Config{
		Time:        TimeSource{Source: "field"},
		Granularity: "7m",
		Path:        "/x",
		Timezone:    "Nowhere/Land",
		Fields:      []PathField{{Name: "a b"}},
	}
	_, err := New(c, record.NewLayout(true))
	if err == nil {
		t.Fatalf("New(%+v) = nil, want errors", c)
	}
	var keys []string
	for _, line := range strings.Split(err.Error(), "\n") {
		key, _, _ := strings.Cut(line, ":")
		keys = append(keys, key)
	}
	want := []string{"time.field", "granularity", "path", "timezone", "fields[0].name"}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("New(%+v) = %v\nkeys %v, want %v", c, err, keys, want)
	}
}

func TestConfigValid(t *testing.T) {
	tests := []Config{
		{},
		{Time: TimeSource{Source: "kafka"}, Granularity: "day", Timezone: "Europe/Berlin"},
		{Time: TimeSource{Source: "processing"}, Granularity: "6h"},
		{Time: TimeSource{Source: "field", Field: "ts", Format: "2006-01-02 15:04:05"}},
		{Path: "year=2006/month=01/day=02/{c}", Fields: []PathField{{Name: "c", Field: "@key"}}},
		// A column with the same name as a template column is fine once it is placed itself.
		{Path: "dt=2006-01-02/hour={hour}", Fields: []PathField{{Name: "hour"}}},
		{Path: "static"},
		{Path: "dt=2006-01-02/tz=-0700"},
	}
	for _, c := range tests {
		if _, err := New(c, record.NewLayout(true)); err != nil {
			t.Errorf("New(%+v) = %v, want no error", c, err)
		}
	}
	// Without fields to resolve, no layout is needed.
	if _, err := New(Config{}, nil); err != nil {
		t.Errorf("New(Config{}, nil) = %v, want no error", err)
	}
	if _, err := New(Config{Time: TimeSource{Source: "field", Field: "ts"}}, nil); err == nil || !strings.Contains(err.Error(), "time.field: no record layout") {
		t.Errorf("New(source field, nil layout) = %v, want a time.field error", err)
	}
}

func TestWithDefaults(t *testing.T) {
	in := Config{Time: TimeSource{Source: "field", Field: "ts"}, Granularity: "15m", Fields: []PathField{{Name: "country"}, {Name: "r", Field: "geo.region", Default: "none"}}}
	got := in.WithDefaults()
	want := Config{
		Time:        TimeSource{Source: "field", Field: "ts", Format: "rfc3339"},
		Granularity: "15m",
		Path:        "dt=2006-01-02/hour=15/minute=04",
		Timezone:    "UTC",
		Fields:      []PathField{{Name: "country", Field: "country", Default: HiveDefaultPartition}, {Name: "r", Field: "geo.region", Default: "none"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("WithDefaults(%+v) = %+v, want %+v", in, got, want)
	}
	if in.Fields[0].Field != "" {
		t.Errorf("WithDefaults changed its receiver's fields: %+v", in.Fields)
	}
	if got := (Config{}).WithDefaults(); got.Time.Source != "event" || got.Time.Format != "" || got.Granularity != "hour" || got.Path != "dt=2006-01-02/hour=15" {
		t.Errorf("Config{}.WithDefaults() = %+v", got)
	}
	for g, want := range map[string]string{"day": "dt=2006-01-02", "24h": "dt=2006-01-02", "hour": "dt=2006-01-02/hour=15", "6h": "dt=2006-01-02/hour=15", "90m": "dt=2006-01-02/hour=15/minute=04", "bad": "dt=2006-01-02/hour=15"} {
		if got := (Config{Granularity: g}).WithDefaults().Path; got != want {
			t.Errorf("granularity %s: WithDefaults().Path = %q, want %q", g, got, want)
		}
	}
}

func TestYAML(t *testing.T) {
	const doc = `
time:
  source: field
  field: meta.ts
  format: epoch_millis
granularity: 15m
path: dt=2006-01-02/hour=15/minute=04/{country}
timezone: Asia/Kolkata
fields:
  - name: country
    field: geo.country
    default: unknown
  - name: app
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	l := record.NewLayout(true)
	p := mustNew(t, c, l)
	r := newRecord(t, l, map[string]field.Value{"meta.ts": num("1779444000000"), "geo.country": str("IN")})
	b, err := p.Bucket(r, time.Time{})
	want := "app=__HIVE_DEFAULT_PARTITION__/dt=2026-05-22/hour=15/minute=30/IN"
	if err != nil || b.Path != want {
		t.Errorf("Bucket(%v) = %v, %v, want %v", r.Fields, b, err, want)
	}
}

// TestConcurrent shares one partitioner between pipelines at different times, as lagging
// partitions do, so that the race detector sees the cache being replaced under readers.
func TestConcurrent(t *testing.T) {
	ny := loadLoc(t, "America/New_York")
	l := record.NewLayout(true)
	shared := mustNew(t, Config{Granularity: "15m", Timezone: ny.String(), Fields: []PathField{{Name: "c"}}}, l)
	slot, _ := l.Read("c")
	// Each pipeline's answers are checked against a partitioner of its own; made up front, as
	// a Layout is not safe for concurrent use.
	var fresh [8]*Partitioner
	for g := range fresh {
		fresh[g] = mustNew(t, Config{Granularity: "15m", Timezone: ny.String(), Fields: []PathField{{Name: "c"}}}, l)
	}
	var wg sync.WaitGroup
	for g := range fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &record.Record{Fields: make([]field.Value, int(slot)+1)}
			r.Fields[slot] = str(fmt.Sprint("p", g))
			base := utc(2026, 11, 1, 0, 0).Add(time.Duration(g) * 47 * time.Minute)
			for i := range 2000 {
				r.Timestamp = base.Add(time.Duration(i) * 17 * time.Second)
				got, err1 := shared.Bucket(r, time.Time{})
				want, err2 := fresh[g].Bucket(r, time.Time{})
				if err1 != nil || err2 != nil || !sameBucket(got, want) {
					t.Errorf("Bucket(%v) = %v, %v, want %v, %v", r.Timestamp, got, err1, want, err2)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestAllocs(t *testing.T) {
	at := utc(2026, 11, 22, 13, 0)
	tests := []struct {
		name string
		c    Config
		vals map[string]field.Value
		max  float64
	}{
		{"no fields", Config{}, nil, 0},
		{"no fields, kolkata 15m", Config{Timezone: "Asia/Kolkata", Granularity: "15m"}, nil, 0},
		// The path is new text per record: one string.
		{"fields", Config{Path: "dt=2006-01-02/hour=15/{app}", Fields: []PathField{{Name: "country"}, {Name: "app"}}},
			map[string]field.Value{"country": str("US"), "app": str("web/1")}, 1},
	}
	for _, tt := range tests {
		l := record.NewLayout(true)
		p := mustNew(t, tt.c, l)
		r := newRecord(t, l, tt.vals)
		r.Timestamp = at
		i := 0
		got := testing.AllocsPerRun(1000, func() {
			r.Timestamp = at.Add(time.Duration(i%600) * time.Second)
			i++
			if _, err := p.Bucket(r, time.Time{}); err != nil {
				t.Fatal(err)
			}
		})
		if got > tt.max {
			t.Errorf("%s: Bucket allocates %v times per record, want at most %v", tt.name, got, tt.max)
		}
	}
}

func BenchmarkBucket(b *testing.B) {
	at := utc(2026, 11, 22, 13, 0)
	benches := []struct {
		name string
		c    Config
		vals map[string]field.Value
		step time.Duration // between records
	}{
		{"event", Config{}, nil, time.Millisecond},
		{"event/kolkata", Config{Timezone: "Asia/Kolkata"}, nil, time.Millisecond},
		{"event/fields", Config{Path: "dt=2006-01-02/hour=15/{app}", Fields: []PathField{{Name: "country"}, {Name: "app"}}},
			map[string]field.Value{"country": str("US"), "app": str("web/1")}, time.Millisecond},
		{"field/rfc3339", Config{Time: TimeSource{Source: "field", Field: "ts"}}, map[string]field.Value{"ts": str("2026-11-22T13:47:12.123Z")}, 0},
		{"field/epoch_millis", Config{Time: TimeSource{Source: "field", Field: "ts", Format: "epoch_millis"}}, map[string]field.Value{"ts": num("1779444000000")}, 0},
		// Every record in a new bucket: the cost of a cache miss.
		{"miss/new_york", Config{Timezone: "America/New_York"}, nil, time.Hour},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			l := record.NewLayout(true)
			p := mustNew(b, bb.c, l)
			r := newRecord(b, l, bb.vals)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Timestamp = at.Add(time.Duration(i%3000) * bb.step)
				i++
				if _, err := p.Bucket(r, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
