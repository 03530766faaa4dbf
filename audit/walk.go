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
)

// fileInfo is one final file of a TP.
type fileInfo struct {
	rel        string // relative to the root
	size       int64
	start, end int64
	dead       bool // under _errors
}

// tpState is what the audit learns about one TP.
type tpState struct {
	tp    offsets.TP
	files []fileInfo
	// inKafka: the cluster has this partition; logStart/logEnd are -1 when unknown.
	inKafka          bool
	logStart, logEnd int64
	// before and after are the committed offsets read before and after the walk (nil: unknown).
	before, after *offsets.Committed
	p             Partition
}

// hidden reports names every Hadoop tool skips: ".crc" files, markers, "_SUCCESS". A name starting
// with "_" that is a step file name is not hidden: Kafka topics may start with "_".
func hidden(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	if strings.HasPrefix(name, "_") {
		_, _, _, ok := offsets.ParseFileName(name)
		return !ok
	}
	return false
}

// listTopics returns the topics to audit: o.Topics, or the topic directories found in the root
// and in _errors.
func (a *auditor) listTopics(ctx context.Context) ([]string, error) {
	if a.want != nil {
		out := make([]string, 0, len(a.want))
		for t := range a.want {
			out = append(out, t)
		}
		slices.Sort(out)
		return out, nil
	}
	seen := map[string]bool{}
	entries, err := a.o.FS.ReadDir(ctx, a.o.Root)
	if err != nil {
		return nil, fmt.Errorf("audit: list output root %s: %w", a.o.Root, err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != offsets.StagingDir && e.Name() != offsets.ErrorsDir && e.Name() != offsets.LateDir {
			seen[e.Name()] = true
		}
	}
	for _, side := range []string{offsets.ErrorsDir, offsets.LateDir} {
		entries, err = a.o.FS.ReadDir(ctx, path.Join(a.o.Root, side))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("audit: list %s: %w", side, err)
		}
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				seen[e.Name()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	slices.Sort(out)
	return out, nil
}

// walk lists the whole root: topic directories, _errors, _staging and loose files.
func (a *auditor) walk(ctx context.Context) error {
	entries, err := a.o.FS.ReadDir(ctx, a.o.Root)
	if err != nil {
		return fmt.Errorf("audit: list output root %s: %w", a.o.Root, err)
	}
	for _, e := range entries {
		name := e.Name()
		full := path.Join(a.o.Root, name)
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir() && name == offsets.StagingDir:
			err = a.walkStaging(ctx, full, name)
		case e.IsDir() && name == offsets.ErrorsDir:
			err = a.walkSide(ctx, full, offsets.ErrorsDir, true)
		case e.IsDir() && name == offsets.LateDir:
			// Late records of complete buckets (completeness policy late_root): data files
			// of their steps, under _late/<topic>/<bucket>/.
			err = a.walkSide(ctx, full, offsets.LateDir, false)
		case e.IsDir():
			if a.wanted(name) {
				err = a.walkTopic(ctx, full, name, name, false)
			}
		default:
			a.looseFile(name, e.Size())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// walkSide walks _errors (dead letters) or _late (late records): <side>/<topic>/....
func (a *auditor) walkSide(ctx context.Context, dir, side string, dead bool) error {
	entries, err := a.o.FS.ReadDir(ctx, dir)
	if err != nil {
		return fmt.Errorf("audit: list %s: %w", side, err)
	}
	for _, e := range entries {
		name := e.Name()
		rel := path.Join(side, name)
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			if a.wanted(name) {
				if err := a.walkTopic(ctx, path.Join(dir, name), rel, name, dead); err != nil {
					return err
				}
			}
		default:
			a.looseFile(rel, e.Size())
		}
	}
	return nil
}

// walkTopic visits every file under a topic's directory (data, or dead letters when dead).
func (a *auditor) walkTopic(ctx context.Context, dir, rel, topic string, dead bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := a.o.FS.ReadDir(ctx, dir)
	if err != nil {
		return fmt.Errorf("audit: list %s: %w", rel, err)
	}
	for _, e := range entries {
		name := e.Name()
		if hidden(name) {
			continue
		}
		if e.IsDir() {
			if err := a.walkTopic(ctx, path.Join(dir, name), path.Join(rel, name), topic, dead); err != nil {
				return err
			}
			continue
		}
		a.visit(path.Join(rel, name), topic, e.Size(), dead)
	}
	return nil
}

// visit checks one file found under the directory of topic.
func (a *auditor) visit(rel, topic string, size int64, dead bool) {
	tp, start, end, ok := offsets.ParseFileName(path.Base(rel))
	if !ok {
		a.problem(offsets.TP{Topic: topic, Partition: -1}, KindBadName, rel,
			"not a step file name <topic>+<partition>+<start, 20 digits>+<end, 20 digits>.parquet; readers of %s will read it as data", topic)
		return
	}
	if tp.Topic != topic {
		where := topic + "/"
		if dead {
			where = offsets.ErrorsDir + "/" + topic + "/"
		} else if strings.HasPrefix(rel, offsets.LateDir+"/") {
			where = offsets.LateDir + "/" + topic + "/"
		}
		a.problem(tp, KindMisplaced, rel, "a file of %s [%d, %d] is under %s: readers of %s see it, readers of %s do not", tp, start, end, where, topic, tp.Topic)
		return
	}
	a.addFile(tp, fileInfo{rel: rel, size: size, start: start, end: end, dead: dead})
}

// looseFile is a file directly in the root or in _errors, where no file belongs.
func (a *auditor) looseFile(rel string, size int64) {
	name := path.Base(rel)
	if hidden(name) {
		return
	}
	tp, start, end, ok := offsets.ParseFileName(name)
	if !ok {
		a.warn(offsets.TP{Partition: -1}, KindStrayFile, rel, "a file that kafka2hdfs did not write (%d bytes)", size)
		return
	}
	if !a.wanted(tp.Topic) {
		return
	}
	where := "<root>/" + tp.Topic + "/..."
	if strings.HasPrefix(rel, offsets.ErrorsDir+"/") {
		where = "<root>/" + offsets.ErrorsDir + "/" + tp.Topic + "/..."
	} else if strings.HasPrefix(rel, offsets.LateDir+"/") {
		where = "<root>/" + offsets.LateDir + "/" + tp.Topic + "/..."
	}
	a.problem(tp, KindMisplaced, rel, "a file of %s [%d, %d] outside its topic's directory; it belongs under %s", tp, start, end, where)
}

func (a *auditor) addFile(tp offsets.TP, f fileInfo) {
	st := a.tp(tp)
	st.files = append(st.files, f)
	if f.size < minParquetSize {
		a.problem(tp, KindUnreadable, f.rel, "%d bytes: too small to be a Parquet file", f.size)
	}
}

// walkStaging lists every file under _staging/<group>/<topic>/<partition>/ of the audited topics.
func (a *auditor) walkStaging(ctx context.Context, dir, rel string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := a.o.FS.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed by a recovery while we looked
	}
	if err != nil {
		return fmt.Errorf("audit: list %s: %w", rel, err)
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		// _staging/<group>/<topic>/<partition>/<name>
		parts := strings.Split(r, "/")
		if len(parts) >= 3 && !a.wanted(parts[2]) {
			continue
		}
		if e.IsDir() {
			if err := a.walkStaging(ctx, path.Join(dir, e.Name()), r); err != nil {
				return err
			}
			continue
		}
		a.rep.Staging = append(a.rep.Staging, r)
		k := stagingKey{}
		if len(parts) == 5 {
			k = stagingKey{group: parts[1], topic: parts[2], partition: parts[3]}
		}
		a.staging[k] = append(a.staging[k], e.Name())
	}
	return nil
}

// checkStaging warns once per staging directory that holds files.
func (a *auditor) checkStaging() {
	keys := make([]stagingKey, 0, len(a.staging))
	for k := range a.staging {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y stagingKey) int {
		return strings.Compare(x.group+"\x00"+x.topic+"\x00"+x.partition, y.group+"\x00"+y.topic+"\x00"+y.partition)
	})
	for _, k := range keys {
		names := a.staging[k]
		if k == (stagingKey{}) {
			a.warn(offsets.TP{Partition: -1}, KindStaging, offsets.StagingDir, "%s outside any <group>/<topic>/<partition> staging directory", plural(len(names), "file"))
			continue
		}
		tp := offsets.TP{Topic: k.topic, Partition: -1}
		if p, err := strconv.ParseInt(k.partition, 10, 32); err == nil {
			tp.Partition = int32(p)
		}
		dir := path.Join(offsets.StagingDir, k.group, k.topic, k.partition)
		detail := fmt.Sprintf("%s of group %s left, normal after a crash: recovery on the partition's next assignment publishes those of a prepared step and removes the rest", plural(len(names), "staging file"), k.group)
		if a.o.Group != "" && k.group != a.o.Group {
			detail = fmt.Sprintf("%s of group %s (not the audited group %s) left: only that group's recovery removes them", plural(len(names), "staging file"), k.group, a.o.Group)
		} else if st := a.tps[tp]; st != nil && st.p.Pending != "" {
			detail += "; the pending step " + st.p.Pending + " refers to some of them"
		}
		a.warn(tp, KindStaging, dir, "%s", detail)
	}
}
