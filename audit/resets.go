package audit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// resetMove is one partition's move by `offsets reset`, from its reset record.
type resetMove struct {
	offsets.ResetPartition
	record *offsets.ResetRecord
	path   string // root-relative
}

// skipped is the range a forward reset left out of the files: from the first offset after the
// files (or the committed offset) up to the target. ok is false for a move that skipped nothing.
func (m resetMove) skipped() (lo, hi int64, ok bool) {
	lo = m.From
	if m.FilesEnd >= 0 && m.FilesEnd+1 < lo || lo < 0 {
		lo = m.FilesEnd + 1
	}
	return lo, m.To - 1, m.To > lo
}

// reloaded is the range a reset back below the files made the group load again.
func (m resetMove) reloaded() (lo, hi int64, ok bool) {
	return m.To, m.FilesEnd, m.FilesEnd >= m.To
}

// loadResets reads every reset record under the root (of any group: the files do not say which
// group wrote them). A record it cannot read is a warning: the audit then reports what it finds
// without that explanation.
func (a *auditor) loadResets(ctx context.Context) {
	a.resets = map[offsets.TP][]resetMove{}
	base := path.Join(a.o.Root, offsets.ResetsDir)
	groups, err := a.o.FS.ReadDir(ctx, base)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.warn(offsets.TP{}, KindReset, offsets.ResetsDir, "cannot list the reset records: %v", err)
		}
		return
	}
	for _, g := range groups {
		if !g.IsDir() {
			continue
		}
		dir := path.Join(base, g.Name())
		entries, err := a.o.FS.ReadDir(ctx, dir)
		if err != nil {
			a.warn(offsets.TP{}, KindReset, path.Join(offsets.ResetsDir, g.Name()), "cannot list the reset records: %v", err)
			continue
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			rel := path.Join(offsets.ResetsDir, g.Name(), e.Name())
			rec, err := a.readReset(ctx, path.Join(dir, e.Name()))
			if err != nil {
				a.warn(offsets.TP{}, KindReset, rel, "cannot read the reset record: %v", err)
				continue
			}
			for _, p := range rec.Partitions {
				tp := offsets.TP{Topic: p.Topic, Partition: p.Partition}
				a.resets[tp] = append(a.resets[tp], resetMove{ResetPartition: p, record: rec, path: rel})
			}
		}
	}
}

func (a *auditor) readReset(ctx context.Context, name string) (*offsets.ResetRecord, error) {
	f, err := a.o.FS.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, err
	}
	var rec offsets.ResetRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// explainGap returns the reset that skipped [lo, hi], if one did.
func (a *auditor) explainGap(tp offsets.TP, lo, hi int64) (resetMove, bool) {
	for _, m := range a.resets[tp] {
		if from, to, ok := m.skipped(); ok && from <= lo && to >= hi {
			return m, true
		}
	}
	return resetMove{}, false
}

// explainOverlap returns the forced reset that made [lo, hi] load again, if one did.
func (a *auditor) explainOverlap(tp offsets.TP, lo, hi int64) (resetMove, bool) {
	for _, m := range a.resets[tp] {
		if from, to, ok := m.reloaded(); ok && from <= lo && to >= hi {
			return m, true
		}
	}
	return resetMove{}, false
}
