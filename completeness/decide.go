package completeness

import "time"

// PartitionState is what the Completer knows about one partition of a topic.
type PartitionState struct {
	Partition int32
	// CaughtUp: the group's committed offset equals the log end; the partition has nothing left
	// to load, so it holds no bucket back.
	CaughtUp bool
	// Known: Watermark is the partition's committed event-time watermark. A partition that is
	// neither caught up nor known holds every bucket back.
	Known     bool
	Watermark time.Time
}

// LowWatermark is the time up to which every partition of the topic is done: the smallest
// committed watermark among the partitions still loading. A caught-up partition counts as being
// at the topic's newest watermark, so an idle partition holds nothing back, yet a bucket is
// never closed by idleness alone: some partition must have committed a record past it. ok is
// false when nothing can be complete yet.
func LowWatermark(parts []PartitionState) (low time.Time, ok bool) {
	var newest time.Time
	known := false
	for _, p := range parts {
		if p.Known && (!known || p.Watermark.After(newest)) {
			newest, known = p.Watermark, true
		}
	}
	if !known {
		return time.Time{}, false
	}
	low = newest
	for _, p := range parts {
		switch {
		case p.CaughtUp:
		case !p.Known:
			return time.Time{}, false
		case p.Watermark.Before(low):
			low = p.Watermark
		}
	}
	return low, true
}

// Complete reports whether the bucket ending at end is done at the low watermark: every partition
// has passed end plus the allowed lateness, and so has the wall clock (a record's event time can
// be in the future; a bucket is not done before it has ended).
func Complete(end time.Time, lateness time.Duration, low time.Time, lowOK bool, now time.Time) bool {
	due := end.Add(lateness)
	return lowOK && !low.Before(due) && !now.Before(due)
}
