package offsets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Committer commits one topic-partition's offset for the current group generation.
// *GroupCommitter is the real one.
type Committer interface {
	Commit(ctx context.Context, tp TP, offset int64, metadata string) error
}

// ErrConflict means publishing found a final file with the step's name but another size: two
// owners wrote the same offsets. It never happens while the protocol holds, so the loader stops
// rather than overwrite or guess.
var ErrConflict = errors.New("conflicting final file")

// Protocol runs the commit protocol for one output root and consumer group.
type Protocol struct {
	FS    storage.FS
	Paths Paths
	Log   *slog.Logger
	// MaxMetadata is the largest commit metadata sent inline; larger steps go to a manifest file.
	// Kafka's offset.metadata.max.bytes defaults to 4096. Default: 4000.
	MaxMetadata int
}

func (p *Protocol) maxMetadata() int {
	if p.MaxMetadata > 0 {
		return p.MaxMetadata
	}
	return 4000
}

func (p *Protocol) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// NewID returns a random staging file id.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Commit takes a staged step through prepare, publish and commit. committed is the partition's
// currently committed offset, which the prepare commit re-commits with the step as metadata.
// A step without files is committed directly (see Advance). On ErrFenced or ErrRebalancing before
// publish, nothing is visible and the staging files are left for the next owner's recovery to
// delete; after publish, a failed final commit is finished by recovery.
func (p *Protocol) Commit(ctx context.Context, c Committer, committed int64, s Step) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(s.Files) == 0 {
		return p.Advance(ctx, c, s.TP, s.End+1, s.Start)
	}
	md := metaPrefix + "p=" + encodeStep(s)
	manifest := ""
	if len(md) > p.maxMetadata() {
		manifest = NewID()
		if err := p.writeManifest(ctx, s, manifest); err != nil {
			return err
		}
		md = metaPrefix + "m=" + manifest
	}
	failpoint.Hit("before-prepare")
	if err := c.Commit(ctx, s.TP, committed, md); err != nil {
		return fmt.Errorf("prepare %s [%d,%d]: %w", s.TP, s.Start, s.End, err)
	}
	failpoint.Hit("after-prepare")
	if err := p.Publish(ctx, s); err != nil {
		return err
	}
	failpoint.Hit("after-publish")
	if err := c.Commit(ctx, s.TP, s.End+1, ""); err != nil {
		return fmt.Errorf("commit %s [%d,%d]: %w", s.TP, s.Start, s.End, err)
	}
	failpoint.Hit("after-commit")
	if manifest != "" {
		if err := p.FS.Remove(ctx, p.Paths.manifestPath(s.TP, manifest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.log().Warn("remove step manifest", "topic", s.Topic, "partition", s.Partition, "err", err)
		}
	}
	return nil
}

// check rejects a step that publishing would get wrong: every file of a step is named by the
// step's range, so two files in one directory would share a final name, and the second would be
// taken for the first one, published before (same size) or a conflict.
func (s Step) check() error {
	if s.Start < 0 || s.End < s.Start {
		return fmt.Errorf("step %s [%d,%d]: bad offset range", s.TP, s.Start, s.End)
	}
	dirs := make(map[string]bool, len(s.Files))
	for _, f := range s.Files {
		if !f.safe() {
			return fmt.Errorf("step %s [%d,%d]: unsafe file entry %q in %q", s.TP, s.Start, s.End, f.ID, f.Dir)
		}
		if dirs[f.Dir] {
			return fmt.Errorf("step %s [%d,%d]: two files in %s would have the same final name", s.TP, s.Start, s.End, f.Dir)
		}
		dirs[f.Dir] = true
	}
	return nil
}

// Advance commits offset for records consumed without files (all filtered). runStart is where the
// next step's name starts, recorded in the metadata so file names stay contiguous.
func (p *Protocol) Advance(ctx context.Context, c Committer, tp TP, offset, runStart int64) error {
	md := ""
	if runStart < offset {
		md = runStartMeta(runStart)
	}
	if err := c.Commit(ctx, tp, offset, md); err != nil {
		return fmt.Errorf("advance %s to %d: %w", tp, offset, err)
	}
	return nil
}

func (p *Protocol) writeManifest(ctx context.Context, s Step, id string) error {
	name := p.Paths.manifestPath(s.TP, id)
	f, err := p.FS.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create step manifest %s: %w", name, err)
	}
	if _, err := io.WriteString(f, encodeStep(s)); err != nil {
		_ = f.Abort()
		return fmt.Errorf("write step manifest %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close step manifest %s: %w", name, err)
	}
	return nil
}

func (p *Protocol) readManifest(ctx context.Context, tp TP, id string) (*Step, error) {
	name := p.Paths.manifestPath(tp, id)
	f, err := p.FS.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("open step manifest %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read step manifest %s: %w", name, err)
	}
	return decodeStep(tp, string(b))
}

// Publish renames each staged file of s to its final name. It is idempotent, and safe to run by two
// processes at once (a fenced owner and the recovering new one): each file's rename is atomic, and
// a final file that is already there with the staged size is the same file, published before.
// The HDFS client's rename replaces its target, so the target is checked first: finding it with
// another size means two owners wrote the same offsets, and Publish stops with ErrConflict.
func (p *Protocol) Publish(ctx context.Context, s Step) error {
	for i, f := range s.Files {
		if err := p.publishFile(ctx, s, f); err != nil {
			return err
		}
		if i == 0 {
			failpoint.Hit("mid-publish")
		}
	}
	return nil
}

func (p *Protocol) publishFile(ctx context.Context, s Step, f File) error {
	staging := p.Paths.Staging(s.TP, f.ID)
	final := p.Paths.Final(s, f)
	done, err := p.alreadyPublished(ctx, final, f.Size)
	if done || err != nil {
		return err
	}
	if err := p.FS.MkdirAll(ctx, path.Dir(final)); err != nil {
		return fmt.Errorf("publish %s: %w", final, err)
	}
	if err := p.FS.Rename(ctx, staging, final); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Someone else (the partition's next owner, or we before a crash) may have just
			// published it.
			if done, err2 := p.alreadyPublished(ctx, final, f.Size); done || err2 != nil {
				return err2
			}
			return fmt.Errorf("publish %s: staging file %s is gone and the final file is not there: %w", final, staging, err)
		}
		return fmt.Errorf("publish %s: %w", final, err)
	}
	p.log().Debug("published", "topic", s.Topic, "partition", s.Partition, "path", final, "first_offset", s.Start, "last_offset", s.End)
	return nil
}

func (p *Protocol) alreadyPublished(ctx context.Context, final string, size int64) (bool, error) {
	st, err := p.FS.Stat(ctx, final)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("publish %s: %w", final, err)
	case st.Size() != size:
		return false, fmt.Errorf("publish %s: it exists with %d bytes, the staged file has %d: %w", final, st.Size(), size, ErrConflict)
	}
	return true, nil
}

// Position is where a recovered partition resumes.
type Position struct {
	// Next is the offset to consume from; -1 means nothing is known and the configured start
	// position applies.
	Next int64
	// RunStart is the offset the next step's name starts at (≤ Next).
	RunStart int64
	// Committed is the partition's committed offset after recovery (-1 for none).
	Committed int64
	// RolledForward is set when recovery finished a step that its previous owner had prepared.
	RolledForward bool
	// FromFiles is set when the position came from final file names because the group had no
	// committed offset.
	FromFiles bool
	// Reread is set when recovery abandoned a prepared step whose staging files were gone before
	// any was published: its offsets are read again from Next.
	Reread bool
}

// Recover brings one topic-partition to a clean state before it is consumed: it finishes a prepared
// step (publish, then commit its end), removes staging files nothing refers to, and, when the group
// has no committed offset, finds the highest offset in final file names. Call it on every
// assignment, with the committed offset read just before.
func (p *Protocol) Recover(ctx context.Context, c Committer, tp TP, cur Committed) (Position, error) {
	pos := Position{Next: cur.Offset, RunStart: cur.Offset, Committed: cur.Offset}
	meta, err := ParseMeta(tp, cur.Metadata)
	if err != nil {
		return pos, err
	}
	if meta.Manifest != "" {
		if meta.Pending, err = p.readManifest(ctx, tp, meta.Manifest); errors.Is(err, fs.ErrNotExist) {
			// The manifest went with the staging directory, and with it the list of the step's
			// files. Its end is unknown; final files past the committed offset show whether any
			// of it was published.
			return p.lostManifest(ctx, c, tp, cur, meta.Manifest)
		} else if err != nil {
			return pos, fmt.Errorf("recover %s: %w", tp, err)
		}
	}
	if s := meta.Pending; s != nil {
		if lost, err := p.stepLost(ctx, *s); err != nil {
			return pos, err
		} else if lost {
			return p.abandon(ctx, c, tp, cur, s.Start, fmt.Sprintf("[%d,%d]", s.Start, s.End))
		}
		failpoint.Hit("recover-before-publish")
		if err := p.Publish(ctx, *s); err != nil {
			return pos, fmt.Errorf("recover %s: roll forward [%d,%d]: %w", tp, s.Start, s.End, err)
		}
		failpoint.Hit("recover-after-publish")
		if err := c.Commit(ctx, tp, s.End+1, ""); err != nil {
			return pos, fmt.Errorf("recover %s: commit [%d,%d]: %w", tp, s.Start, s.End, err)
		}
		p.log().Info("rolled forward a prepared step", "topic", tp.Topic, "partition", tp.Partition,
			"first_offset", s.Start, "last_offset", s.End, "files", len(s.Files))
		pos = Position{Next: s.End + 1, RunStart: s.End + 1, Committed: s.End + 1, RolledForward: true}
	} else if meta.RunStart >= 0 && cur.Offset >= 0 {
		pos.RunStart = meta.RunStart
	}
	if err := p.cleanStaging(ctx, tp); err != nil {
		return pos, err
	}
	if pos.Next < 0 {
		end, found, err := p.HighestEnd(ctx, tp)
		if err != nil {
			return pos, err
		}
		if found {
			pos.Next, pos.RunStart, pos.FromFiles = end+1, end+1, true
		}
	}
	return pos, nil
}

// ErrStepLost is returned by Recover for a prepared step that lost staging files (the output was
// wiped, or someone deleted _staging) after some of its files were published: re-reading the step
// would write those records again, and skipping it would lose the rest. A person must decide.
var ErrStepLost = errors.New("a prepared step lost its staging files after part of it was published")

// stepLost reports whether a staging file of s is gone while its final file is not there: the step
// cannot be rolled forward. It is ErrStepLost when another of its files is already published.
func (p *Protocol) stepLost(ctx context.Context, s Step) (bool, error) {
	var missing, published []string
	for _, f := range s.Files {
		final := p.Paths.Final(s, f)
		if _, err := p.FS.Stat(ctx, final); err == nil {
			published = append(published, final)
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("recover %s: %w", s.TP, err)
		}
		staging := p.Paths.Staging(s.TP, f.ID)
		if _, err := p.FS.Stat(ctx, staging); errors.Is(err, fs.ErrNotExist) {
			// A fenced owner still publishing the step may have renamed the file between the
			// two looks: look at the final name again. A rename leaves the file under one name or
			// the other at every moment, so a file under neither now is really gone. Without this,
			// recovery took a file being published for a lost one, abandoned the step and removed
			// its other staging files, and the re-read wrote the published file's records again.
			if _, err := p.FS.Stat(ctx, final); err == nil {
				published = append(published, final)
				continue
			} else if !errors.Is(err, fs.ErrNotExist) {
				return false, fmt.Errorf("recover %s: %w", s.TP, err)
			}
			missing = append(missing, staging)
		} else if err != nil {
			return false, fmt.Errorf("recover %s: %w", s.TP, err)
		}
	}
	switch {
	case len(missing) == 0:
		return false, nil
	case len(published) > 0:
		return false, fmt.Errorf("%w: %s step [%d,%d]: staging files %s are gone, while %s are published. "+
			"Re-reading the step would write the published records again. Check those files with kafka2hdfs audit; "+
			"then either remove them and restart (the step is re-read from Kafka), or, to keep them and lose the rest of the step, "+
			"commit past it with kafka2hdfs offsets reset --force --to %d",
			ErrStepLost, s.TP, s.Start, s.End, strings.Join(missing, ", "), strings.Join(published, ", "), s.End+1)
	}
	return true, nil
}

// lostManifest recovers from a prepared step whose manifest (and so its file list) is gone: if no
// final file reaches past the committed offset, nothing of the step was published and it is
// re-read; otherwise it is ErrStepLost.
func (p *Protocol) lostManifest(ctx context.Context, c Committer, tp TP, cur Committed, id string) (Position, error) {
	// Staging files without their manifest cannot be told apart (the step's or orphans?): keep
	// them for a person rather than guess.
	if entries, err := p.FS.ReadDir(ctx, p.Paths.StagingDir(tp)); err == nil && len(entries) > 0 {
		return Position{Next: cur.Offset, RunStart: cur.Offset, Committed: cur.Offset}, fmt.Errorf(
			"%w: %s: the manifest %s of the prepared step is gone, but %d staging files are not; the step cannot be rolled forward. "+
				"Check the output with kafka2hdfs audit, then remove %s and restart: the step is re-read from Kafka",
			ErrStepLost, tp, p.Paths.manifestPath(tp, id), len(entries), p.Paths.StagingDir(tp))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Position{Next: cur.Offset, RunStart: cur.Offset, Committed: cur.Offset}, fmt.Errorf("recover %s: list staging: %w", tp, err)
	}
	end, found, err := p.HighestEnd(ctx, tp)
	if err != nil {
		return Position{Next: cur.Offset, RunStart: cur.Offset, Committed: cur.Offset}, err
	}
	if found && end >= cur.Offset {
		return Position{Next: cur.Offset, RunStart: cur.Offset, Committed: cur.Offset}, fmt.Errorf(
			"%w: %s: the manifest %s of the prepared step is gone with the staging files, and final files reach offset %d, past the committed %d. "+
				"Check them with kafka2hdfs audit; then either remove the files past offset %d and restart (the step is re-read from Kafka), "+
				"or commit past them with kafka2hdfs offsets reset --force --to %d",
			ErrStepLost, tp, p.Paths.manifestPath(tp, id), end, cur.Offset, cur.Offset-1, end+1)
	}
	// Offsets between the last file and the committed one were consumed without files; the next
	// step's name starts after the last file so that names keep tiling the offsets.
	runStart := cur.Offset
	if found && end+1 < runStart {
		runStart = end + 1
	}
	return p.abandon(ctx, c, tp, cur, runStart, "(its manifest "+id+" is gone)")
}

// abandon clears a prepared step that cannot be rolled forward and that nothing of was published:
// its offsets were never committed, so the partition re-reads them from Kafka. Loud, because the
// staging area does not lose files on its own.
func (p *Protocol) abandon(ctx context.Context, c Committer, tp TP, cur Committed, runStart int64, what string) (Position, error) {
	pos := Position{Next: cur.Offset, RunStart: runStart, Committed: cur.Offset, Reread: true}
	if err := p.Advance(ctx, c, tp, cur.Offset, runStart); err != nil {
		return pos, fmt.Errorf("recover %s: abandon the lost step: %w", tp, err)
	}
	p.log().Error("a prepared step lost its staging files before any was published (was the output or its _staging directory removed?); re-reading it from Kafka",
		"topic", tp.Topic, "partition", tp.Partition, "step", what, "offset", cur.Offset)
	if err := p.cleanStaging(ctx, tp); err != nil {
		return pos, err
	}
	return pos, nil
}

// cleanStaging removes every staging file of tp. It runs after any prepared step was published, so
// what is left belongs to writers that crashed or were fenced before they prepared.
func (p *Protocol) cleanStaging(ctx context.Context, tp TP) error {
	dir := p.Paths.StagingDir(tp)
	entries, err := p.FS.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover %s: list staging: %w", tp, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := path.Join(dir, e.Name())
		if err := p.FS.Remove(ctx, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recover %s: remove orphan %s: %w", tp, name, err)
		}
		p.log().Info("removed orphan staging file", "topic", tp.Topic, "partition", tp.Partition, "path", name)
	}
	return nil
}

// HighestEnd scans the final files of tp (data, dead letters and late records) for the highest end offset.
func (p *Protocol) HighestEnd(ctx context.Context, tp TP) (end int64, found bool, err error) {
	end = -1
	for _, dir := range []string{path.Join(p.Paths.Root, tp.Topic), path.Join(p.Paths.Root, ErrorsDir, tp.Topic), path.Join(p.Paths.Root, LateDir, tp.Topic)} {
		err := Walk(ctx, p.FS, dir, func(name string, _ fs.FileInfo) error {
			ftp, _, e, ok := ParseFileName(path.Base(name))
			if ok && ftp == tp && e > end {
				end, found = e, true
			}
			return nil
		})
		if err != nil {
			return -1, false, fmt.Errorf("scan final files of %s: %w", tp, err)
		}
	}
	return end, found, nil
}

// Walk calls fn for every file under dir (recursively, in name order). A missing dir is empty.
func Walk(ctx context.Context, fsys storage.FS, dir string, fn func(name string, info fs.FileInfo) error) error {
	entries, err := fsys.ReadDir(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), "_") && dir == "" {
				continue
			}
			if err := Walk(ctx, fsys, name, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(name, e); err != nil {
			return err
		}
	}
	return nil
}
