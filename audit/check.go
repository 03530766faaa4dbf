package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// step is one distinct offset range of a TP and the files named by it.
type step struct {
	start, end int64
	files      []*fileInfo
}

// steps groups a TP's files by range, sorted by start, then end.
func (st *tpState) steps() []*step {
	byRange := map[[2]int64]*step{}
	var out []*step
	for i := range st.files {
		f := &st.files[i]
		k := [2]int64{f.start, f.end}
		s := byRange[k]
		if s == nil {
			s = &step{start: f.start, end: f.end}
			byRange[k] = s
			out = append(out, s)
		}
		s.files = append(s.files, f)
	}
	slices.SortFunc(out, func(x, y *step) int {
		if x.start != y.start {
			return cmp64(x.start, y.start)
		}
		return cmp64(x.end, y.end)
	})
	return out
}

func cmp64(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// span describes offsets [lo, hi].
func span(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprintf("offset %d", lo)
	}
	return fmt.Sprintf("offsets [%d, %d] (%d)", lo, hi, hi-lo+1)
}

func (a *auditor) checkTP(ctx context.Context, st *tpState) error {
	tp := st.tp
	st.p = Partition{Topic: tp.Topic, Partition: tp.Partition, First: -1, Last: -1, Rows: -1, DeadLetterRows: -1,
		Committed: -1, LogStart: st.logStart, LogEnd: st.logEnd, LagRecords: -1}
	for _, f := range st.files {
		if f.dead {
			st.p.DeadLetterFiles++
		} else {
			st.p.Files++
		}
		st.p.Bytes += f.size
	}
	steps := st.steps()
	st.p.Steps = len(steps)
	if len(steps) > 0 {
		st.p.First = steps[0].start
		for _, s := range steps {
			st.p.Last = max(st.p.Last, s.end)
		}
	}
	a.checkTiling(st, steps)
	if a.o.Deep {
		if err := a.deep(ctx, st, steps); err != nil {
			return err
		}
	}
	if a.o.Client != nil && st.inKafka {
		if err := a.checkKafka(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// checkTiling reports gaps and overlaps between the distinct ranges.
func (a *auditor) checkTiling(st *tpState, steps []*step) {
	if len(steps) == 0 {
		return
	}
	prev := steps[0]
	next := prev.end + 1 // the first offset not covered by the ranges so far
	for _, s := range steps[1:] {
		switch {
		case s.start > next:
			if m, ok := a.explainGap(st.tp, next, s.start-1); ok {
				a.warn(st.tp, KindReset, m.path, "%s are in no file: skipped by offsets reset at %s by %s (--to %s, from %d to %d)",
					span(next, s.start-1), m.record.Time.Format(time.RFC3339), m.record.By, m.record.To, m.From, m.To)
				break
			}
			detail := fmt.Sprintf("%s are in no file: between steps [%d, %d] and [%d, %d]", span(next, s.start-1), prev.start, prev.end, s.start, s.end)
			if st.logStart > next {
				detail += retentionNote(next, s.start-1, st.logStart)
			}
			a.problem(st.tp, KindGap, "", "%s", detail)
		case s.start < next:
			lo, hi := s.start, min(s.end, next-1)
			if m, ok := a.explainOverlap(st.tp, lo, hi); ok {
				a.warn(st.tp, KindReset, s.files[0].rel, "step [%d, %d] overlaps step [%d, %d]: %s were loaded again after offsets reset --force at %s by %s (--to %s, from %d to %d); remove one copy if they must be once",
					s.start, s.end, prev.start, prev.end, span(lo, hi), m.record.Time.Format(time.RFC3339), m.record.By, m.record.To, m.From, m.To)
				break
			}
			a.problem(st.tp, KindOverlap, s.files[0].rel, "step [%d, %d] overlaps step [%d, %d]: %s are in files of both",
				s.start, s.end, prev.start, prev.end, span(lo, hi))
		}
		if s.end+1 > next {
			next, prev = s.end+1, s
		}
	}
}

// retentionNote says how much of [lo, hi] lies below the log start.
func retentionNote(lo, hi, logStart int64) string {
	if hi < logStart {
		return fmt.Sprintf("; all below the log start %d: deleted by retention, they cannot be reloaded", logStart)
	}
	return fmt.Sprintf("; %s below the log start %d were deleted by retention and cannot be reloaded", span(lo, logStart-1), logStart)
}

// commitState is a committed offset as the audit reads it.
type commitState struct {
	offset   int64 // -1: none
	metadata string
	runStart int64 // -1: none
	pending  *offsets.Step
	manifest string
}

// decode parses c; problems with the metadata itself are returned, not reported.
func (a *auditor) decode(ctx context.Context, tp offsets.TP, c offsets.Committed) (commitState, []Problem, error) {
	cs := commitState{offset: c.Offset, metadata: c.Metadata, runStart: -1}
	bad := func(format string, args ...any) []Problem {
		return []Problem{{Topic: tp.Topic, Partition: tp.Partition, Kind: KindBadMetadata, Detail: fmt.Sprintf(format, args...)}}
	}
	m, err := offsets.ParseMeta(tp, c.Metadata)
	if err != nil {
		return cs, bad("%v; the loader stops on this partition", err), nil
	}
	cs.runStart, cs.pending, cs.manifest = m.RunStart, m.Pending, m.Manifest
	if cs.runStart >= 0 && cs.runStart > cs.offset {
		return cs, bad("commit metadata %q: the run start %d is past the committed offset %d", c.Metadata, cs.runStart, cs.offset), nil
	}
	if cs.manifest != "" {
		name := path.Join(offsets.Paths{Root: a.o.Root, Group: a.o.Group}.StagingDir(tp), cs.manifest+".step.json")
		rel := strings.TrimPrefix(strings.TrimPrefix(name, a.o.Root), "/")
		f, err := a.o.FS.Open(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			return cs, []Problem{{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep, Path: rel,
				Detail: fmt.Sprintf("the commit metadata names a prepared step in manifest %s, which is missing: recovery will fail", cs.manifest)}}, nil
		}
		if err != nil {
			return cs, nil, fmt.Errorf("audit: open step manifest %s: %w", rel, err)
		}
		b, err := io.ReadAll(io.LimitReader(f, 64<<20))
		_ = f.Close()
		if err != nil {
			return cs, nil, fmt.Errorf("audit: read step manifest %s: %w", rel, err)
		}
		// A manifest holds exactly what "k2h1 p=" would have held inline.
		m, err := offsets.ParseMeta(tp, "k2h1 p="+string(b))
		if err != nil {
			return cs, []Problem{{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep, Path: rel,
				Detail: fmt.Sprintf("the prepared step's manifest is damaged: %v", err)}}, nil
		}
		cs.pending = m.Pending
	}
	return cs, nil, nil
}

// checkKafka compares the TP's files with its log and the group's commits.
func (a *auditor) checkKafka(ctx context.Context, st *tpState) error {
	tp := st.tp
	logKnown := st.logStart >= 0 && st.logEnd >= 0
	if st.after == nil {
		// No group: only the log.
		if logKnown && st.p.Last >= st.logEnd {
			a.problem(tp, KindPastLogEnd, "", "files cover offsets up to %d, past the log end %d: was the topic deleted and recreated?", st.p.Last, st.logEnd)
		}
		if logKnown && st.p.First > st.logStart {
			a.warn(tp, KindNotFromLogStart, "", "%s are in no file: loaded from a later start position, or lost", span(st.logStart, st.p.First-1))
		}
		return nil
	}
	after, probs, err := a.decode(ctx, tp, *st.after)
	if err != nil {
		return err
	}
	st.p.Committed, st.p.Metadata = after.offset, after.metadata
	if probs != nil {
		a.rep.Problems = append(a.rep.Problems, probs...)
		return nil
	}
	// When the group moved during the walk, the files may be from between the two states: a
	// problem counts only if the earlier state has it too. The later state is checked last, so
	// that the partition shows it.
	beforeClean := false
	moving := *st.before != *st.after
	if moving {
		before, bprobs, err := a.decode(ctx, tp, *st.before)
		if err != nil {
			return err
		}
		if bprobs == nil {
			p, _ := a.commitChecks(ctx, st, before)
			beforeClean = len(p) == 0
		}
	}
	probs, warns := a.commitChecks(ctx, st, after)
	if moving {
		if beforeClean {
			probs = nil
		}
		warns = append(warns, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: KindMoving,
			Detail: fmt.Sprintf("the group committed while the audit ran (offset %d %q, then %d %q): commit checks report a problem only if it holds against both; run the audit again to be sure",
				st.before.Offset, st.before.Metadata, st.after.Offset, st.after.Metadata)})
	}
	a.rep.Problems = append(a.rep.Problems, probs...)
	a.rep.Warnings = append(a.rep.Warnings, warns...)
	return nil
}

// commitChecks compares files and log with one committed state, filling the partition's Pending
// and LagRecords from it.
func (a *auditor) commitChecks(ctx context.Context, st *tpState, cs commitState) (probs, warns []Problem) {
	tp := st.tp
	add := func(list *[]Problem, kind, p, format string, args ...any) {
		*list = append(*list, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: kind, Detail: fmt.Sprintf(format, args...), Path: p})
	}
	hasFiles := st.p.Last >= 0
	covEnd := st.p.Last + 1 // the first offset after the files
	logKnown := st.logStart >= 0 && st.logEnd >= 0
	c := cs.offset
	// resume: where the loader continues (-1: the configured start position).
	// accounted: offsets below it are in files, in the pending step or a filtered tail (-1: none known).
	// owed: offsets in [accounted, owed) should be in files (-1: up to resume).
	resume, accounted, owed := int64(-1), int64(-1), int64(-1)
	st.p.Pending = ""
	switch {
	case cs.pending != nil:
		s := cs.pending
		resume, accounted = s.End+1, s.End+1
		pp, pw := a.pendingFiles(ctx, st, s)
		probs, warns = append(probs, pp...), append(warns, pw...)
		if c < s.Start || c > s.End+1 {
			add(&probs, KindPendingStep, "", "the committed offset %d is outside the prepared step [%d, %d]", c, s.Start, s.End)
		}
		if hasFiles {
			switch {
			case covEnd < s.Start:
				add(&probs, KindBehindCommit, "", "%s before the prepared step [%d, %d] are in no file", span(covEnd, s.Start-1), s.Start, s.End)
			case covEnd > s.Start && covEnd < s.End+1:
				add(&probs, KindOverlap, "", "files cover offsets up to %d, inside the prepared step [%d, %d]: publishing it duplicates %s", covEnd-1, s.Start, s.End, span(s.Start, covEnd-1))
			}
		}
	case c < 0:
		if hasFiles {
			resume, accounted = covEnd, covEnd
			add(&warns, KindNoCommit, "", "the group %s has no committed offset (expired, reset, or not the loader's group); the next assignment resumes after the files, at %d", a.o.Group, covEnd)
		} else if logKnown && st.logEnd > st.logStart {
			add(&warns, KindNotLoaded, "", "%s are in the log, but there are no files and nothing is committed", span(st.logStart, st.logEnd-1))
		}
	case cs.runStart >= 0:
		resume = c
		switch {
		case !hasFiles || covEnd == cs.runStart:
			accounted = c // [runStart, c) were filtered
		case covEnd < cs.runStart:
			// [runStart, c) were filtered; [covEnd, runStart) are owed.
			accounted, owed = covEnd, cs.runStart
		default:
			accounted = c
			add(&probs, KindBeyondCommit, "", "files cover offsets up to %d, but the commit metadata %q says the next file starts at %d: its name will overlap them",
				covEnd-1, cs.metadata, cs.runStart)
		}
	default:
		resume = c
		if hasFiles {
			accounted = covEnd
		}
	}
	if hasFiles && resume >= 0 && covEnd > resume {
		if cs.pending != nil {
			add(&probs, KindBeyondCommit, "", "%s are in files, past the prepared step [%d, %d]: published without being committed or prepared; the loader will load them again",
				span(resume, covEnd-1), cs.pending.Start, cs.pending.End)
		} else {
			add(&probs, KindBeyondCommit, "", "%s are in files, past the committed offset %d: published without being committed; the loader will load them again",
				span(resume, covEnd-1), resume)
		}
	}
	// Offsets the loader will never load again (below resume) that are not accounted for, and
	// offsets at and after resume that retention already deleted.
	if owed < 0 {
		owed = resume
	}
	if accounted >= 0 && owed > accounted {
		lo, hi := accounted, owed-1
		if logKnown && lo < st.logStart {
			lost := min(hi, st.logStart-1)
			add(&probs, KindLostToRetention, "", "%s are committed but in no file, and below the log start %d: deleted by retention, they cannot be reloaded", span(lo, lost), st.logStart)
			lo = lost + 1
		}
		if lo <= hi {
			add(&probs, KindBehindCommit, "", "%s are committed (offset %d) but in no file; Kafka still holds them: reset the group's offset to %d to reload them", span(lo, hi), c, lo)
		}
	}
	if logKnown && resume >= 0 && resume < st.logStart {
		lo := max(resume, covEnd)
		if !hasFiles {
			lo = resume
		}
		if lo < st.logStart {
			add(&probs, KindLostToRetention, "", "the group resumes at %d, below the log start %d: %s were deleted by retention before they were loaded", resume, st.logStart, span(lo, st.logStart-1))
		}
	}
	if logKnown {
		if resume > st.logEnd {
			add(&probs, KindPastLogEnd, "", "the group resumes at %d, past the log end %d: was the topic deleted and recreated? the loader stops on this partition", resume, st.logEnd)
		} else if hasFiles && st.p.Last >= st.logEnd {
			add(&probs, KindPastLogEnd, "", "files cover offsets up to %d, past the log end %d: was the topic deleted and recreated?", st.p.Last, st.logEnd)
		}
		first := int64(-1)
		switch {
		case hasFiles:
			first = st.p.First
		case cs.pending != nil:
			first = cs.pending.Start
		case cs.runStart >= 0:
			first = cs.runStart
		case c >= 0:
			first = c
		}
		if first > st.logStart {
			add(&warns, KindNotFromLogStart, "", "%s are in no file: loaded from a later start position (kafka.start latest or a time), or files were removed",
				span(st.logStart, first-1))
		}
		switch {
		case resume >= 0:
			st.p.LagRecords = max(0, st.logEnd-max(resume, st.logStart))
		default:
			st.p.LagRecords = st.logEnd - st.logStart
		}
	}
	return probs, warns
}

// pendingFiles checks that every file of a prepared step is published or still staged, and
// describes the step in the partition.
func (a *auditor) pendingFiles(ctx context.Context, st *tpState, s *offsets.Step) (probs, warns []Problem) {
	tp := st.tp
	paths := offsets.Paths{Root: a.o.Root, Group: a.o.Group}
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, a.o.Root), "/") }
	published, staged := 0, 0
	for _, f := range s.Files {
		final := paths.Final(*s, f)
		fi, err := a.o.FS.Stat(ctx, final)
		switch {
		case err == nil && fi.Size() == f.Size:
			published++
			continue
		case err == nil:
			probs = append(probs, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep, Path: rel(final),
				Detail: fmt.Sprintf("the prepared step [%d, %d] staged this file with %d bytes, but it is published with %d: recovery stops with a conflict", s.Start, s.End, f.Size, fi.Size())})
			continue
		case !errors.Is(err, fs.ErrNotExist):
			probs = append(probs, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep, Path: rel(final),
				Detail: fmt.Sprintf("cannot stat a file of the prepared step [%d, %d]: %v", s.Start, s.End, err)})
			continue
		}
		staging := paths.Staging(tp, f.ID)
		if fi, err := a.o.FS.Stat(ctx, staging); err == nil && fi.Size() == f.Size {
			staged++
			continue
		}
		probs = append(probs, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep, Path: rel(final),
			Detail: fmt.Sprintf("a file of the prepared step [%d, %d] is neither published nor staged (%s, %d bytes): recovery will fail", s.Start, s.End, rel(staging), f.Size)})
	}
	st.p.Pending = fmt.Sprintf("[%d, %d] %d files: %d published, %d staged", s.Start, s.End, len(s.Files), published, staged)
	if len(probs) == 0 {
		warns = append(warns, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: KindPendingStep,
			Detail: fmt.Sprintf("a prepared step %s is not finished: the partition's next assignment publishes it and commits %d", st.p.Pending, s.End+1)})
	}
	return probs, warns
}
