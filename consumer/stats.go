package consumer

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Stats counts what a member did, for the summary printed at the end of batch and demo runs.
// Operators watch the Prometheus metrics instead; these are the same events, kept in memory.
type Stats struct {
	badRecords atomic.Int64
	late       atomic.Int64 // records for buckets already marked complete

	mu      sync.Mutex
	topics  map[string]*TopicStats
	buckets map[string]map[string]struct{}
	flushes map[string]int64 // by trigger
	small   map[string]int64 // files under rotation.min_file_bytes, by trigger
	reasons map[string]int64 // dead letters, by badReason
	budget  *writer.Budget
}

// TopicStats are one topic's counters.
type TopicStats struct {
	consumed, written, filtered, bad, bytes, files, published atomic.Int64
	// rejected counts the dead letters that are bad records (bad less the late records sent there).
	rejected atomic.Int64
}

func newStats() *Stats {
	return &Stats{topics: map[string]*TopicStats{}, buckets: map[string]map[string]struct{}{},
		flushes: map[string]int64{}, small: map[string]int64{}, reasons: map[string]int64{}}
}

func (s *Stats) topic(name string) *TopicStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.topics[name]
	if t == nil {
		t = &TopicStats{}
		s.topics[name] = t
	}
	return t
}

func (s *Stats) bucket(topic, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[topic]
	if b == nil {
		b = map[string]struct{}{}
		s.buckets[topic] = b
	}
	b[path] = struct{}{}
}

func (s *Stats) flushed(reason string) {
	s.mu.Lock()
	s.flushes[reason]++
	s.mu.Unlock()
}

func (s *Stats) badRecord(reason string) {
	s.mu.Lock()
	s.reasons[reason]++
	s.mu.Unlock()
}

// topReasons is how many dead-letter reasons the summary lists.
const topReasons = 5

func (s *Stats) smallFile(reason string) {
	s.mu.Lock()
	s.small[reason]++
	s.mu.Unlock()
}

// Summary is a snapshot of the counters.
type Summary struct {
	// Written counts rows converted and buffered; Published those of them in files that were
	// committed. Written - Published rows were not committed: the next run loads them again.
	Consumed, Written, Published, Filtered, Bad, Bytes, Files int64
	Buckets                                                   int
	Topics                                                    []string
	// Flushes counts committed flushes by what triggered them: records, bytes, age, bucket
	// closed, memory, caught up, drain.
	Flushes map[string]int64
	// SmallFiles counts data files smaller than rotation.min_file_bytes by the flush that cut them.
	SmallFiles map[string]int64
	// Late counts records that arrived for a bucket already marked complete.
	Late int64
	// BadReasons are the most frequent dead-letter reasons, most frequent first.
	BadReasons []BadReason
	// Spilled is what the memory budget spilled to local disk instead of cutting files: bytes,
	// segments, and the most held at once.
	Spilled, Spills, PeakSpill int64
}

// BadReason is a kind of dead letter (its stage and cause, with values left out) and how many
// records it sent to dead letters.
type BadReason struct {
	Reason string
	Count  int64
}

// Summary adds up every topic.
func (s *Stats) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum Summary
	for name, t := range s.topics {
		sum.Topics = append(sum.Topics, name)
		sum.Consumed += t.consumed.Load()
		sum.Written += t.written.Load()
		sum.Published += t.published.Load()
		sum.Filtered += t.filtered.Load()
		sum.Bad += t.bad.Load()
		sum.Bytes += t.bytes.Load()
		sum.Files += t.files.Load()
	}
	for _, b := range s.buckets {
		sum.Buckets += len(b)
	}
	sort.Strings(sum.Topics)
	sum.Late = s.late.Load()
	sum.Flushes = maps.Clone(s.flushes)
	sum.SmallFiles = maps.Clone(s.small)
	for r, n := range s.reasons {
		sum.BadReasons = append(sum.BadReasons, BadReason{Reason: r, Count: n})
	}
	slices.SortFunc(sum.BadReasons, func(a, b BadReason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Reason, b.Reason))
	})
	sum.BadReasons = sum.BadReasons[:min(len(sum.BadReasons), topReasons)]
	if s.budget != nil {
		sum.Spilled, sum.Spills = s.budget.Spilled()
		sum.PeakSpill = s.budget.PeakSpill()
	}
	return sum
}

// FormatCounts writes counts by reason sorted by reason, as the run summary prints them: "bucket
// closed 3, caught up 64". ParseCounts reads that back.
func FormatCounts(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.FormatInt(m[k], 10)
	}
	return strings.Join(parts, ", ")
}

// ParseCounts reads what FormatCounts wrote; a part it cannot read is left out.
func ParseCounts(s string) map[string]int64 {
	m := map[string]int64{}
	for _, part := range strings.Split(s, ", ") {
		i := strings.LastIndexByte(part, ' ')
		if i < 0 {
			continue
		}
		if n, err := strconv.ParseInt(part[i+1:], 10, 64); err == nil {
			m[part[:i]] = n
		}
	}
	return m
}
