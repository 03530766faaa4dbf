package partitioner

import "time"

// label names a bucket: its local date and wall-clock slot.
type label struct {
	y    int
	m    time.Month
	d    int
	slot int64
}

// labelOf returns t's label and how far t is into its slot on the wall clock.
func (p *Partitioner) labelOf(t time.Time) (label, time.Duration) {
	t = t.In(p.loc)
	y, m, d := t.Date()
	h, mi, s := t.Clock()
	wall := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
	return label{y, m, d, int64(wall / p.g)}, wall % p.g
}

// maxHops bounds the walk across zone changes. A bucket lasts at most about a day, and no zone
// changes its offset more than twice in one; the bound only guards against a broken zone database.
const maxHops = 8

// window returns the bucket holding t. Within one zone period the wall clock runs at the rate of
// real time, so the slot's edges are a subtraction away; only where a period starts or ends inside
// the slot does it look at the neighbouring period, to see whether the same label goes on there.
func (p *Partitioner) window(t time.Time) (start, end time.Time, lab label) {
	lab, into := p.labelOf(t)

	start = t.Add(-into)
	for cur, i := t, 0; i < maxHops; i++ {
		zs, _ := cur.In(p.loc).ZoneBounds()
		if zs.IsZero() || start.After(zs) {
			break
		}
		prev := zs.Add(-time.Nanosecond)
		l, in := p.labelOf(prev)
		if l != lab {
			start = zs
			break
		}
		cur, start = prev, prev.Add(-in)
	}

	end = t.Add(p.g - into)
	for cur, i := t, 0; i < maxHops; i++ {
		_, ze := cur.In(p.loc).ZoneBounds()
		if ze.IsZero() || end.Before(ze) {
			break
		}
		l, in := p.labelOf(ze)
		if l != lab {
			end = ze
			break
		}
		cur, end = ze, ze.Add(p.g-in)
	}
	return start.In(p.loc), end.In(p.loc), lab
}

// nominal is the instant the path is formatted at: the start of the bucket's slot on the wall
// clock. It differs from the bucket's real start only when a zone change cut the slot's beginning
// off (New York's 2h bucket from 03:00 EDT on 2026-03-08 is the 02:00 slot, so hour=02, in line
// with the other buckets of the day); there it carries the offset of the real start, for
// templates with zone tokens.
func (p *Partitioner) nominal(start time.Time, lab label) time.Time {
	l, into := p.labelOf(start)
	if l == lab && into == 0 {
		return start
	}
	name, off := start.Zone()
	return time.Date(lab.y, lab.m, lab.d, 0, 0, 0, 0, time.FixedZone(name, off)).Add(time.Duration(lab.slot) * p.g)
}

// Window returns the edges of the bucket holding t, in the configured zone.
//
// A bucket is a maximal stretch of time during which the local date and the wall-clock slot
// floor(time since local midnight on the wall clock / granularity) stay the same. That is the
// rule a reader of the dt=/hour= directories assumes, and it gives:
//   - days of 23 or 25 hours on DST changes, and hour buckets at local :00 in +05:30 zones;
//   - after a spring-forward gap, buckets back on their usual wall-clock grid at once
//     (2h buckets in New York on 2026-03-08: 00:00 EST-03:00 EDT, 03:00-04:00, 04:00-06:00...),
//     where stepping from midnight in elapsed time would shift every later bucket of the day;
//   - on a fall-back repeat, one long bucket when the repeated wall time stays in one slot
//     (the 01:00 hour in New York on 2026-11-01 is 2h long), and the same slot twice, as two
//     buckets with the same path, when it does not (15m buckets: 01:00-01:15 EDT, then later
//     01:00-01:15 EST). Directories are named by the wall clock, so repeated names cannot be
//     avoided there; the writer just opens a new file in the directory.
func (p *Partitioner) Window(t time.Time) (start, end time.Time) {
	start, end, _ = p.window(t)
	return start, end
}
