package consumer

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Partition failure bookkeeping: which partitions stopped with an error and have not committed
// since, so that Run can tell a member that makes no progress from one that recovered.

// partitionFailed records that tp stopped with err (and has not committed since).
func (g *Group) partitionFailed(tp offsets.TP, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.errs == nil {
		g.errs = map[offsets.TP]error{}
	}
	g.errs[tp] = err
}

// keepFailures forgets the failures of partitions this member no longer holds: their new owner's
// progress is not this member's to judge.
func (g *Group) keepFailures(claimed []offsets.TP) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for tp := range g.errs {
		if !slices.Contains(claimed, tp) {
			delete(g.errs, tp)
		}
	}
}

// partitionCommitted records that tp committed a step: whatever failed before is behind it.
func (g *Group) partitionCommitted(tp offsets.TP) {
	g.mu.Lock()
	delete(g.errs, tp)
	g.mu.Unlock()
}

// failing returns the partitions that failed and have not committed since, sorted, and the error
// of the first; nil if there are none.
func (g *Group) failing() ([]offsets.TP, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.errs) == 0 {
		return nil, nil
	}
	tps := slices.SortedFunc(maps.Keys(g.errs), func(a, b offsets.TP) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return tps, g.errs[tps[0]]
}

func formatTPs(tps []offsets.TP) string {
	s := make([]string, len(tps))
	for i, tp := range tps {
		s[i] = tp.String()
	}
	return strings.Join(s, ", ")
}
