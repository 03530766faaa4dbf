package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// deep reads every file of st back, one at a time, and checks its rows against its name.
func (a *auditor) deep(ctx context.Context, st *tpState, steps []*step) error {
	st.p.Rows, st.p.DeadLetterRows = 0, 0
	for _, s := range steps {
		var (
			offs                []int64
			stepRows            int64
			declFiles, declRows = int64(-1), int64(-1)
			incomplete          bool // a file did not read back: its rows are unknown
		)
		for _, f := range s.files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if f.size < minParquetSize {
				incomplete = true
				continue // reported by the walk
			}
			rows, meta, err := a.deepFile(ctx, st.tp, f, &offs)
			if err != nil {
				return err
			}
			stepRows += rows
			if meta == nil {
				incomplete = true
			}
			if n, err := strconv.ParseInt(meta[offsets.MetaStepFiles], 10, 64); err == nil {
				declFiles = n
			}
			if n, err := strconv.ParseInt(meta[offsets.MetaStepRows], 10, 64); err == nil {
				declRows = n
			}
			if f.dead {
				st.p.DeadLetterRows += rows
			} else {
				st.p.Rows += rows
			}
		}
		// Every file of a step records how many files and rows the step has: a file deleted from
		// one bucket leaves the step's range covered by its other files, and only this shows it.
		if declFiles >= 0 && declFiles != int64(len(s.files)) {
			a.problem(st.tp, KindStepFiles, s.files[0].rel, "step [%d, %d] was written as %d files, %d found",
				s.start, s.end, declFiles, len(s.files))
		} else if declRows >= 0 && declRows != stepRows && !incomplete {
			a.problem(st.tp, KindStepFiles, s.files[0].rel, "step [%d, %d] was written with %d rows, %d read back",
				s.start, s.end, declRows, stepRows)
		}
		slices.Sort(offs)
		var dups []int64
		for i := 1; i < len(offs); i++ {
			if offs[i] == offs[i-1] && (len(dups) == 0 || dups[len(dups)-1] != offs[i]) {
				dups = append(dups, offs[i])
			}
		}
		if len(dups) > 0 {
			a.problem(st.tp, KindDuplicateOffset, s.files[0].rel, "%d offsets are in more than one row of step [%d, %d] (%d files): %s",
				len(dups), s.start, s.end, len(s.files), list(dups))
		}
	}
	return nil
}

// deepFile reads one file and appends its in-range offsets to offs. It returns the rows read; a
// file that does not read back is a problem, not an error.
func (a *auditor) deepFile(ctx context.Context, tp offsets.TP, f *fileInfo, offs *[]int64) (int64, map[string]string, error) {
	rf, err := a.o.FS.Open(ctx, path.Join(a.o.Root, f.rel))
	if errors.Is(err, fs.ErrNotExist) {
		a.problem(tp, KindUnreadable, f.rel, "listed, then gone before it was read")
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("audit: open %s: %w", f.rel, err)
	}
	defer rf.Close()
	t, err := a.reader.ReadFile(rf, rf.Size())
	if err != nil {
		a.problem(tp, KindUnreadable, f.rel, "does not read back whole (%d bytes): %v", rf.Size(), err)
		return 0, nil, nil
	}
	if t.Topic == nil || t.Partition == nil || t.Offset == nil {
		a.problem(tp, KindUnreadable, f.rel, "has no %s, %s or %s column: not a file kafka2hdfs wrote", schema.ColTopic, schema.ColPartition, schema.ColOffset)
		return t.Rows, t.Metadata, nil
	}
	var outside, badType []int64
	var wrongTP int
	var wrongExample string
	for i := range t.Offset {
		o, ok := t.Offset[i].(int64)
		if !ok {
			badType = append(badType, int64(i))
			continue
		}
		if o < f.start || o > f.end {
			outside = append(outside, o)
		} else {
			*offs = append(*offs, o)
		}
		topic, _ := t.Topic[i].(string)
		part, ok := t.Partition[i].(int32)
		if topic != tp.Topic || !ok || part != tp.Partition {
			if wrongTP == 0 {
				wrongExample = fmt.Sprintf("%v/%v at offset %d", t.Topic[i], t.Partition[i], o)
			}
			wrongTP++
		}
	}
	if len(badType) > 0 {
		a.problem(tp, KindUnreadable, f.rel, "%d rows have no int64 %s (rows %s)", len(badType), schema.ColOffset, list(badType))
	}
	if len(outside) > 0 {
		slices.Sort(outside)
		a.problem(tp, KindOffsetOutOfRange, f.rel, "%d of %d rows have offsets outside the name's range [%d, %d]: %s",
			len(outside), t.Rows, f.start, f.end, list(outside))
	}
	if wrongTP > 0 {
		a.problem(tp, KindRowMismatch, f.rel, "%d of %d rows belong to another topic-partition than the name's %s (first: %s)", wrongTP, t.Rows, tp, wrongExample)
	}
	return t.Rows, t.Metadata, nil
}

// list writes at most maxListedOffsets numbers.
func list(ns []int64) string {
	var b strings.Builder
	for i, n := range ns {
		if i == maxListedOffsets {
			fmt.Fprintf(&b, ", … (%d more)", len(ns)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, n)
	}
	return b.String()
}
