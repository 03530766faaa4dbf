package offsets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// commitCall is one Commit a fakeCommitter was asked for.
type commitCall struct {
	TP       TP
	Offset   int64
	Metadata string
}

// fakeCommitter records commits and keeps what a group coordinator would hold. fail maps a call
// number (1-based) to the error that call returns, with nothing committed.
type fakeCommitter struct {
	mu        sync.Mutex
	calls     []commitCall
	committed map[TP]Committed
	fail      map[int]error
	// onCall runs at each call, before it is answered: tests look at the files there.
	onCall func(n int, c commitCall)
}

func newFakeCommitter() *fakeCommitter {
	return &fakeCommitter{committed: map[TP]Committed{}, fail: map[int]error{}}
}

func (f *fakeCommitter) Commit(_ context.Context, tp TP, offset int64, metadata string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := commitCall{tp, offset, metadata}
	f.calls = append(f.calls, c)
	n := len(f.calls)
	if f.onCall != nil {
		f.onCall(n, c)
	}
	if err := f.fail[n]; err != nil {
		return err
	}
	f.committed[tp] = Committed{Offset: offset, Metadata: metadata}
	return nil
}

func (f *fakeCommitter) Calls() []commitCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]commitCall(nil), f.calls...)
}

func (f *fakeCommitter) Committed(tp TP) Committed {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.committed[tp]
	if !ok {
		return Committed{Offset: -1}
	}
	return c
}

// countingFS counts the successful renames onto each path.
type countingFS struct {
	storage.FS
	mu      sync.Mutex
	renames map[string]int
}

func (c *countingFS) Rename(ctx context.Context, oldpath, newpath string) error {
	err := c.FS.Rename(ctx, oldpath, newpath)
	if err == nil {
		c.mu.Lock()
		c.renames[newpath]++
		c.mu.Unlock()
	}
	return err
}

var ctx = context.Background()

func newProtocol(t *testing.T) *Protocol {
	t.Helper()
	return &Protocol{FS: storage.Local{}, Paths: Paths{Root: filepath.ToSlash(t.TempDir()), Group: "g1"}}
}

// stage writes a staging file of tp as the writer would and returns its File.
func stage(t *testing.T, p *Protocol, tp TP, dir, content string) File {
	t.Helper()
	id := NewID()
	if err := p.FS.MkdirAll(ctx, p.Paths.StagingDir(tp)); err != nil {
		t.Fatal(err)
	}
	f, err := p.FS.Create(ctx, p.Paths.Staging(tp, id))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return File{ID: id, Dir: dir, Size: int64(len(content)), Rows: 1}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// allFiles lists every file under root, relative to it, sorted.
func allFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// stagedStep stages one file per directory, each holding content named after it.
func stagedStep(t *testing.T, p *Protocol, tp TP, start, end int64, dirs ...string) Step {
	t.Helper()
	s := Step{TP: tp, Start: start, End: end}
	for _, d := range dirs {
		s.Files = append(s.Files, stage(t, p, tp, d, "rows of "+d))
	}
	return s
}

// checkPublished checks that every file of s is at its final path with its staged content.
func checkPublished(t *testing.T, p *Protocol, s Step) {
	t.Helper()
	for _, f := range s.Files {
		final := p.Paths.Final(s, f)
		if !exists(final) {
			t.Errorf("final file %s is missing", final)
			continue
		}
		if got, want := readFile(t, final), "rows of "+f.Dir; got != want {
			t.Errorf("final file %s holds %q, want %q", final, got, want)
		}
		if exists(p.Paths.Staging(s.TP, f.ID)) {
			t.Errorf("staging file of %s is still there", final)
		}
	}
}

func checkNothingPublished(t *testing.T, p *Protocol, s Step) {
	t.Helper()
	for _, f := range s.Files {
		if final := p.Paths.Final(s, f); exists(final) {
			t.Errorf("final file %s was published", final)
		}
	}
}

func checkStagingEmpty(t *testing.T, p *Protocol, tp TP) {
	t.Helper()
	entries, err := os.ReadDir(p.Paths.StagingDir(tp))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("staging file %s is left", e.Name())
		}
	}
}

// withoutRows is s as committed metadata describes it.
func withoutRows(s Step) *Step {
	c := s
	c.Files = make([]File, len(s.Files))
	for i, f := range s.Files {
		f.Rows = 0
		c.Files[i] = f
	}
	return &c
}

var dataDirs = []string{"clicks/dt=2026-11-22/hour=13", "clicks/dt=2026-11-22/hour=14", "_errors/clicks/dt=2026-11-22/hour=13"}

func TestCommitHappyPath(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 1}
	s := stagedStep(t, p, tp, 100, 199, dataDirs...)
	c := newFakeCommitter()
	c.onCall = func(n int, _ commitCall) {
		switch n {
		case 1:
			checkNothingPublished(t, p, s) // prepare comes before publish
		case 2:
			checkPublished(t, p, s) // the final commit comes after it
		}
	}
	if err := p.Commit(ctx, c, 100, s); err != nil {
		t.Fatal(err)
	}
	calls := c.Calls()
	if len(calls) != 2 {
		t.Fatalf("commits = %+v, want prepare and commit", calls)
	}
	if calls[0].TP != tp || calls[0].Offset != 100 || !strings.HasPrefix(calls[0].Metadata, "k2h1 p=") {
		t.Errorf("prepare = %+v, want offset 100 (unchanged) with the pending step", calls[0])
	}
	m, err := ParseMeta(tp, calls[0].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Pending, withoutRows(s)) {
		t.Errorf("prepared step = %+v, want %+v", m.Pending, withoutRows(s))
	}
	if want := (commitCall{tp, 200, ""}); calls[1] != want {
		t.Errorf("final commit = %+v, want %+v", calls[1], want)
	}
	checkPublished(t, p, s)
	checkStagingEmpty(t, p, tp)
	want := []string{
		"_errors/clicks/dt=2026-11-22/hour=13/clicks+1+00000000000000000100+00000000000000000199.parquet",
		"clicks/dt=2026-11-22/hour=13/clicks+1+00000000000000000100+00000000000000000199.parquet",
		"clicks/dt=2026-11-22/hour=14/clicks+1+00000000000000000100+00000000000000000199.parquet",
	}
	if got := allFiles(t, p.Paths.Root); !reflect.DeepEqual(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestCommitManifestFallback(t *testing.T) {
	tp := TP{"clicks", 1}

	t.Run("boundary", func(t *testing.T) {
		p := newProtocol(t)
		s := stagedStep(t, p, tp, 0, 9, dataDirs...)
		inline := len(metaPrefix + "p=" + encodeStep(s))
		for _, c := range []struct {
			max    int
			prefix string
		}{{inline, "k2h1 p="}, {inline - 1, "k2h1 m="}} {
			p.MaxMetadata = c.max
			fc := newFakeCommitter()
			fc.fail[1] = ErrFenced // stop after the prepare; nothing is published
			if err := p.Commit(ctx, fc, 0, s); !errors.Is(err, ErrFenced) {
				t.Fatalf("Commit: %v, want ErrFenced", err)
			}
			if md := fc.Calls()[0].Metadata; !strings.HasPrefix(md, c.prefix) {
				t.Errorf("MaxMetadata %d, metadata of %d bytes: prepared %q, want %s...", c.max, inline, md, c.prefix)
			}
		}
	})

	t.Run("default limit", func(t *testing.T) {
		p := newProtocol(t)
		var dirs []string
		for i := range 60 {
			dirs = append(dirs, fmt.Sprintf("clicks/dt=2026-11-22/hour=%02d/country=%02d", i%24, i))
		}
		s := stagedStep(t, p, tp, 0, 9, dirs...)
		fc := newFakeCommitter()
		if err := p.Commit(ctx, fc, 0, s); err != nil {
			t.Fatal(err)
		}
		if md := fc.Calls()[0].Metadata; len(md) > 4000 || !strings.HasPrefix(md, "k2h1 m=") {
			t.Errorf("a %d-file step prepared %d bytes of metadata %.40q...; want a manifest under Kafka's 4096", len(dirs), len(md), md)
		}
		checkPublished(t, p, s)
		checkStagingEmpty(t, p, tp) // manifest removed too
	})

	t.Run("happy", func(t *testing.T) {
		p := newProtocol(t)
		p.MaxMetadata = 40
		s := stagedStep(t, p, tp, 10, 19, dataDirs...)
		fc := newFakeCommitter()
		fc.onCall = func(n int, c commitCall) {
			if n != 1 {
				return
			}
			m, err := ParseMeta(tp, c.Metadata)
			if err != nil || m.Manifest == "" {
				t.Fatalf("prepare metadata %q: %+v, %v; want a manifest", c.Metadata, m, err)
			}
			// The manifest is durable before the prepare names it.
			got, err := p.readManifest(ctx, tp, m.Manifest)
			if err != nil {
				t.Fatalf("manifest at prepare: %v", err)
			}
			if !reflect.DeepEqual(got, withoutRows(s)) {
				t.Errorf("manifest holds %+v, want %+v", got, withoutRows(s))
			}
		}
		if err := p.Commit(ctx, fc, 10, s); err != nil {
			t.Fatal(err)
		}
		calls := fc.Calls()
		if len(calls) != 2 || len(calls[0].Metadata) > 40 || calls[1] != (commitCall{tp, 20, ""}) {
			t.Errorf("commits = %+v", calls)
		}
		checkPublished(t, p, s)
		checkStagingEmpty(t, p, tp)
	})

	t.Run("recovered", func(t *testing.T) {
		p := newProtocol(t)
		p.MaxMetadata = 40
		s := stagedStep(t, p, tp, 10, 19, dataDirs...)
		fc := newFakeCommitter()
		fc.fail[2] = ErrFenced
		if err := p.Commit(ctx, fc, 10, s); !errors.Is(err, ErrFenced) {
			t.Fatalf("Commit: %v, want ErrFenced", err)
		}
		cur := fc.Committed(tp)
		m, err := ParseMeta(tp, cur.Metadata)
		if err != nil || m.Manifest == "" {
			t.Fatalf("committed %+v: %v; want a manifest", cur, err)
		}
		if !exists(p.Paths.manifestPath(tp, m.Manifest)) {
			t.Fatal("the manifest was removed before the step was committed")
		}
		// The new owner finishes the step from the manifest.
		next := newFakeCommitter()
		pos, err := p.Recover(ctx, next, tp, cur)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Position{Next: 20, RunStart: 20, Committed: 20, RolledForward: true}); pos != want {
			t.Errorf("Recover = %+v, want %+v", pos, want)
		}
		if calls := next.Calls(); len(calls) != 1 || calls[0] != (commitCall{tp, 20, ""}) {
			t.Errorf("recovery commits = %+v, want offset 20 with empty metadata", calls)
		}
		checkPublished(t, p, s)
		checkStagingEmpty(t, p, tp)
	})

	t.Run("manifest missing", func(t *testing.T) {
		p := newProtocol(t)
		orphan := stage(t, p, tp, "clicks/x", "data")
		_, err := p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: 5, Metadata: "k2h1 m=" + NewID()})
		if err == nil || !strings.Contains(err.Error(), "manifest") {
			t.Fatalf("Recover with a missing manifest: %v, want an error naming it", err)
		}
		if !exists(p.Paths.Staging(tp, orphan.ID)) {
			t.Error("Recover deleted staging files although it could not read the pending step")
		}
	})
}

func TestCommitWithoutFilesAdvances(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	fc := newFakeCommitter()
	if err := p.Commit(ctx, fc, 100, Step{TP: tp, Start: 90, End: 149}); err != nil {
		t.Fatal(err)
	}
	if err := p.Advance(ctx, fc, tp, 150, 150); err != nil {
		t.Fatal(err)
	}
	want := []commitCall{{tp, 150, "k2h1 r=90"}, {tp, 150, ""}}
	if got := fc.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("commits = %+v, want %+v", got, want)
	}
	if files := allFiles(t, p.Paths.Root); len(files) != 0 {
		t.Errorf("files = %q, want none", files)
	}

	// The next owner names its first file from the run start.
	pos, err := p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: 150, Metadata: "k2h1 r=90"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Position{Next: 150, RunStart: 90, Committed: 150}); pos != want {
		t.Errorf("Recover = %+v, want %+v", pos, want)
	}

	fc.fail[3] = ErrRebalancing
	if err := p.Advance(ctx, fc, tp, 160, 90); !errors.Is(err, ErrRebalancing) {
		t.Errorf("Advance: %v, want ErrRebalancing", err)
	}
}

func TestCommitFailsAtPrepare(t *testing.T) {
	tp := TP{"clicks", 3}
	for _, failure := range []error{ErrFenced, ErrRebalancing, errors.New("broker on fire")} {
		t.Run(failure.Error(), func(t *testing.T) {
			p := newProtocol(t)
			s := stagedStep(t, p, tp, 40, 49, dataDirs...)
			fc := newFakeCommitter()
			fc.fail[1] = failure
			err := p.Commit(ctx, fc, 40, s)
			if !errors.Is(err, failure) {
				t.Fatalf("Commit: %v, want %v", err, failure)
			}
			if len(fc.Calls()) != 1 {
				t.Errorf("commits = %+v, want only the failed prepare", fc.Calls())
			}
			checkNothingPublished(t, p, s)
			for _, f := range s.Files {
				if !exists(p.Paths.Staging(tp, f.ID)) {
					t.Errorf("staging file %s was removed; it is left for the next owner", f.ID)
				}
			}
			// The next owner sees no pending step and removes the staged files.
			next := newFakeCommitter()
			pos, err := p.Recover(ctx, next, tp, fc.Committed(tp))
			if err != nil {
				t.Fatal(err)
			}
			if want := (Position{Next: -1, RunStart: -1, Committed: -1}); pos != want {
				t.Errorf("Recover = %+v, want %+v", pos, want)
			}
			if len(next.Calls()) != 0 {
				t.Errorf("recovery committed %+v", next.Calls())
			}
			checkStagingEmpty(t, p, tp)
			if files := allFiles(t, p.Paths.Root); len(files) != 0 {
				t.Errorf("files = %q, want none", files)
			}
		})
	}
}

func TestCommitFencedAtFinalCommit(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 3}
	s := stagedStep(t, p, tp, 40, 49, dataDirs...)
	old := newFakeCommitter()
	old.committed[tp] = Committed{Offset: 40}
	old.fail[2] = ErrFenced
	if err := p.Commit(ctx, old, 40, s); !errors.Is(err, ErrFenced) {
		t.Fatalf("Commit: %v, want ErrFenced", err)
	}
	checkPublished(t, p, s)
	cur := old.Committed(tp)
	if cur.Offset != 40 || !strings.HasPrefix(cur.Metadata, "k2h1 p=") {
		t.Fatalf("committed = %+v, want offset 40 with the prepared step", cur)
	}
	before := allFiles(t, p.Paths.Root)

	// The new owner rolls the step forward, twice: say its first commit got lost.
	for i := range 2 {
		next := newFakeCommitter()
		pos, err := p.Recover(ctx, next, tp, cur)
		if err != nil {
			t.Fatalf("Recover #%d: %v", i+1, err)
		}
		if want := (Position{Next: 50, RunStart: 50, Committed: 50, RolledForward: true}); pos != want {
			t.Errorf("Recover #%d = %+v, want %+v", i+1, pos, want)
		}
		if got, want := next.Calls(), []commitCall{{tp, 50, ""}}; !reflect.DeepEqual(got, want) {
			t.Errorf("Recover #%d commits = %+v, want %+v", i+1, got, want)
		}
		checkPublished(t, p, s)
		if after := allFiles(t, p.Paths.Root); !reflect.DeepEqual(after, before) {
			t.Errorf("Recover #%d changed the files: %q, was %q", i+1, after, before)
		}
	}

	// A recovering owner that is itself fenced at the commit reports it.
	fenced := newFakeCommitter()
	fenced.fail[1] = ErrFenced
	if _, err := p.Recover(ctx, fenced, tp, cur); !errors.Is(err, ErrFenced) {
		t.Errorf("Recover fenced: %v, want ErrFenced", err)
	}
}

func TestRecoverAfterCrashMidPublish(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	s := stagedStep(t, p, tp, 0, 99, dataDirs...)
	md := metaPrefix + "p=" + encodeStep(s)
	// The crashed owner published the first file only.
	if err := p.publishFile(ctx, s, s.Files[0]); err != nil {
		t.Fatal(err)
	}
	orphan := stage(t, p, tp, "clicks/x", "a later step, never prepared")
	fc := newFakeCommitter()
	pos, err := p.Recover(ctx, fc, tp, Committed{Offset: 0, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Position{Next: 100, RunStart: 100, Committed: 100, RolledForward: true}); pos != want {
		t.Errorf("Recover = %+v, want %+v", pos, want)
	}
	checkPublished(t, p, s)
	if exists(p.Paths.Staging(tp, orphan.ID)) {
		t.Error("orphan staging file was not removed")
	}
	if got, want := fc.Calls(), []commitCall{{tp, 100, ""}}; !reflect.DeepEqual(got, want) {
		t.Errorf("commits = %+v, want %+v", got, want)
	}
}

func TestRecoverPendingStepWithoutCommittedOffset(t *testing.T) {
	// A step prepared when the group had no offset yet (committed -1) is still rolled forward,
	// and the file scan is not needed.
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	s := stagedStep(t, p, tp, 7, 8, dataDirs[0])
	fc := newFakeCommitter()
	pos, err := p.Recover(ctx, fc, tp, Committed{Offset: -1, Metadata: metaPrefix + "p=" + encodeStep(s)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Position{Next: 9, RunStart: 9, Committed: 9, RolledForward: true}); pos != want {
		t.Errorf("Recover = %+v, want %+v", pos, want)
	}
	checkPublished(t, p, s)
}

// A prepared step whose staging files are gone (the output was wiped, someone deleted _staging)
// used to stop recovery on every assignment, forever. Its offsets were never committed and are
// still in Kafka: when none of its files was published, recovery abandons it and the partition
// re-reads it from the committed offset, loudly. When some were, re-reading would duplicate them:
// recovery fails with ErrStepLost, which says what to do, and commits nothing.
func TestRecoverPendingStepLost(t *testing.T) {
	tp := TP{"clicks", 0}
	for _, tc := range []struct {
		name      string
		start     int64 // the step's first offset (before committed: filtered records before it)
		committed int64
		published int // files of the step published before the staging files went
		manifest  bool
		wantPos   Position
		wantMeta  string
	}{
		{name: "nothing published", start: 0, committed: 0,
			wantPos: Position{Next: 0, RunStart: 0, Committed: 0, Reread: true}, wantMeta: ""},
		{name: "filtered records before the step", start: 3, committed: 5,
			wantPos: Position{Next: 5, RunStart: 3, Committed: 5, Reread: true}, wantMeta: metaPrefix + "r=3"},
		{name: "manifest gone too", start: 5, committed: 5, manifest: true,
			wantPos: Position{Next: 5, RunStart: 5, Committed: 5, Reread: true}, wantMeta: ""},
		{name: "partly published", start: 0, committed: 0, published: 1},
		{name: "partly published, manifest gone", start: 0, committed: 0, published: 1, manifest: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProtocol(t)
			s := stagedStep(t, p, tp, tc.start, tc.start+9, dataDirs...)
			for _, f := range s.Files[:tc.published] {
				if err := p.publishFile(ctx, s, f); err != nil {
					t.Fatal(err)
				}
			}
			md := metaPrefix + "p=" + encodeStep(s)
			if tc.manifest {
				md = metaPrefix + "m=" + NewID() // its file went with the staging directory
			}
			if err := os.RemoveAll(filepath.Join(p.Paths.Root, StagingDir)); err != nil {
				t.Fatal(err)
			}
			fc := newFakeCommitter()
			pos, err := p.Recover(ctx, fc, tp, Committed{Offset: tc.committed, Metadata: md})
			if tc.published > 0 {
				if !errors.Is(err, ErrStepLost) || !strings.Contains(err.Error(), "offsets reset") {
					t.Fatalf("Recover = %+v, %v; want ErrStepLost saying what to do", pos, err)
				}
				if len(fc.Calls()) != 0 {
					t.Errorf("commits = %+v, want none", fc.Calls())
				}
				return
			}
			if err != nil {
				t.Fatalf("Recover: %v, want the step abandoned for a re-read", err)
			}
			if pos != tc.wantPos {
				t.Errorf("Recover = %+v, want %+v", pos, tc.wantPos)
			}
			if got, want := fc.Calls(), []commitCall{{tp, tc.committed, tc.wantMeta}}; !reflect.DeepEqual(got, want) {
				t.Errorf("commits = %+v, want %+v (the pending step cleared, the offset unchanged)", got, want)
			}
		})
	}
}

func TestPublishIdempotent(t *testing.T) {
	p := newProtocol(t)
	cfs := &countingFS{FS: p.FS, renames: map[string]int{}}
	p.FS = cfs
	tp := TP{"clicks", 0}
	s := stagedStep(t, p, tp, 0, 9, dataDirs...)
	for i := range 3 {
		if err := p.Publish(ctx, s); err != nil {
			t.Fatalf("Publish #%d: %v", i+1, err)
		}
	}
	checkPublished(t, p, s)
	if len(cfs.renames) != len(s.Files) {
		t.Errorf("renamed onto %d paths, want %d", len(cfs.renames), len(s.Files))
	}
	for name, n := range cfs.renames {
		if n != 1 {
			t.Errorf("%s renamed %d times", name, n)
		}
	}
}

func TestPublishConcurrently(t *testing.T) {
	// A zombie owner and the recovering new owner publish the same prepared step at once.
	tp := TP{"clicks", 0}
	for round := range 10 {
		p := newProtocol(t)
		cfs := &countingFS{FS: p.FS, renames: map[string]int{}}
		p.FS = cfs
		var dirs []string
		for i := range 12 {
			dirs = append(dirs, fmt.Sprintf("clicks/dt=2026-11-22/hour=%02d", i))
		}
		s := stagedStep(t, p, tp, int64(round)*10, int64(round)*10+9, dirs...)
		var (
			wg   sync.WaitGroup
			go1  = make(chan struct{})
			errs = make([]error, 2)
		)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-go1
				if i == 1 {
					// The recovering owner goes through Recover, zombie through Publish.
					_, errs[i] = p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: s.Start, Metadata: metaPrefix + "p=" + encodeStep(s)})
					return
				}
				errs[i] = p.Publish(ctx, s)
			}()
		}
		close(go1)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: publisher %d: %v", round, i, err)
			}
		}
		checkPublished(t, p, s)
		if len(cfs.renames) != len(s.Files) {
			t.Fatalf("round %d: renamed onto %d paths, want %d", round, len(cfs.renames), len(s.Files))
		}
		for name, n := range cfs.renames {
			if n != 1 {
				t.Fatalf("round %d: %s published %d times", round, name, n)
			}
		}
	}
}

// renameOnStatFS renames the file at from to to just before the first Stat of from answers: what a
// fenced owner publishing the step does when its rename falls between recovery's two looks at a
// file (its final name, then its staging name).
type renameOnStatFS struct {
	storage.FS
	from, to string
	once     sync.Once
}

func (r *renameOnStatFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	if name == r.from {
		r.once.Do(func() {
			if err := r.FS.Rename(ctx, r.from, r.to); err != nil {
				panic(err)
			}
		})
	}
	return r.FS.Stat(ctx, name)
}

// Recovery that meets a step while its fenced owner publishes it rolls it forward: a file renamed
// between recovery's look at its final name and at its staging name is published, not lost. Before,
// recovery abandoned the step as lost, removed the rest of its staging files and re-read it, so the
// file the zombie had published was written a second time (TestPublishConcurrently saw it about once
// in a few hundred runs).
func TestRecoverWhileZombiePublishes(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	s := stagedStep(t, p, tp, 0, 9, dataDirs...)
	f := s.Files[0]
	p.FS = &renameOnStatFS{FS: p.FS, from: p.Paths.Staging(tp, f.ID), to: p.Paths.Final(s, f)}
	if err := p.FS.MkdirAll(ctx, path.Dir(p.Paths.Final(s, f))); err != nil {
		t.Fatal(err)
	}
	pos, err := p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: s.Start, Metadata: metaPrefix + "p=" + encodeStep(s)})
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if !pos.RolledForward || pos.Reread || pos.Next != s.End+1 {
		t.Errorf("Recover = %+v, want the step rolled forward to %d, not re-read", pos, s.End+1)
	}
	checkPublished(t, p, s)
}

func TestPublishConflict(t *testing.T) {
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	s := stagedStep(t, p, tp, 0, 9, dataDirs[0])
	final := p.Paths.Final(s, s.Files[0])
	writeFile(t, filepath.FromSlash(final), "another owner's file, of another size")
	err := p.Publish(ctx, s)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("Publish over a different file: %v, want ErrConflict", err)
	}
	if !strings.Contains(err.Error(), final) {
		t.Errorf("error %q does not name %s", err, final)
	}
	if got := readFile(t, final); got != "another owner's file, of another size" {
		t.Errorf("the existing final file was overwritten: %q", got)
	}
	if !exists(p.Paths.Staging(tp, s.Files[0].ID)) {
		t.Error("the staging file is gone")
	}
	// Recovery stops on it too.
	fc := newFakeCommitter()
	if _, err := p.Recover(ctx, fc, tp, Committed{Offset: 0, Metadata: metaPrefix + "p=" + encodeStep(s)}); !errors.Is(err, ErrConflict) {
		t.Errorf("Recover: %v, want ErrConflict", err)
	}
	if len(fc.Calls()) != 0 {
		t.Errorf("Recover committed %+v after a conflict", fc.Calls())
	}
}

func TestRecoverRemovesOrphans(t *testing.T) {
	p := newProtocol(t)
	tp, other := TP{"clicks", 1}, TP{"clicks", 2}
	a := stage(t, p, tp, "clicks/x", "a")
	b := stage(t, p, tp, "clicks/x", "bb")
	keep := stage(t, p, other, "clicks/x", "other partition")
	manifest := p.Paths.manifestPath(tp, NewID())
	writeFile(t, filepath.FromSlash(manifest), `{"s":0,"e":1,"f":[]}`)
	sub := path.Join(p.Paths.StagingDir(tp), "sub")
	writeFile(t, filepath.FromSlash(path.Join(sub, "x")), "not ours to judge")

	fc := newFakeCommitter()
	pos, err := p.Recover(ctx, fc, tp, Committed{Offset: 50})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Position{Next: 50, RunStart: 50, Committed: 50}); pos != want {
		t.Errorf("Recover = %+v, want %+v", pos, want)
	}
	for _, name := range []string{p.Paths.Staging(tp, a.ID), p.Paths.Staging(tp, b.ID), manifest} {
		if exists(name) {
			t.Errorf("orphan %s is still there", name)
		}
	}
	if !exists(p.Paths.Staging(other, keep.ID)) {
		t.Error("another partition's staging file was removed")
	}
	if !exists(path.Join(sub, "x")) {
		t.Error("a subdirectory of the staging directory was touched")
	}
	if len(fc.Calls()) != 0 {
		t.Errorf("commits = %+v, want none", fc.Calls())
	}
}

func TestRecoverFromFileNames(t *testing.T) {
	tp := TP{"clicks", 1}
	name := func(dir string, tp TP, s, e int64) string { return path.Join(dir, FileName(tp, s, e)) }
	for _, c := range []struct {
		name  string
		files []string
		want  Position
	}{
		{"none", nil, Position{Next: -1, RunStart: -1, Committed: -1}},
		{"data", []string{
			name("clicks/dt=2026-11-22/hour=13", tp, 0, 99),
			name("clicks/dt=2026-11-22/hour=14", tp, 100, 199),
			name("clicks/dt=2026-11-22/hour=13", tp, 100, 199),
			name("_errors/clicks/dt=2026-11-22/hour=13", tp, 0, 99),
		}, Position{Next: 200, RunStart: 200, Committed: -1, FromFiles: true}},
		{"dead letters highest", []string{
			name("clicks/dt=2026-11-22/hour=13", tp, 0, 99),
			name("_errors/clicks/dt=2026-11-22/hour=14", tp, 100, 149),
		}, Position{Next: 150, RunStart: 150, Committed: -1, FromFiles: true}},
		{"only other partitions and topics", []string{
			name("clicks/dt=2026-11-22/hour=13", TP{"clicks", 2}, 0, 999),
			name("clicks/dt=2026-11-22/hour=13", TP{"clicks", 11}, 0, 999),
			name("clickstream/dt=2026-11-22/hour=13", TP{"clickstream", 1}, 0, 999),
			name("_errors/clickstream/dt=2026-11-22/hour=13", TP{"clickstream", 1}, 0, 999),
			name("_staging/g1/clicks/1", tp, 0, 999),
			"clicks/dt=2026-11-22/hour=13/_SUCCESS",
			"clicks/dt=2026-11-22/hour=13/clicks+1+5+7.parquet",
		}, Position{Next: -1, RunStart: -1, Committed: -1}},
		{"mixed", []string{
			name("clicks/dt=2026-11-22/hour=13", TP{"clicks", 2}, 0, 999),
			name("clicks/dt=2026-11-22/hour=13", tp, 0, 9),
			"clicks/dt=2026-11-22/hour=13/manifest.json",
		}, Position{Next: 10, RunStart: 10, Committed: -1, FromFiles: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newProtocol(t)
			for _, f := range c.files {
				writeFile(t, filepath.Join(p.Paths.Root, filepath.FromSlash(f)), "x")
			}
			fc := newFakeCommitter()
			pos, err := p.Recover(ctx, fc, tp, Committed{Offset: -1})
			if err != nil {
				t.Fatal(err)
			}
			if pos != c.want {
				t.Errorf("Recover = %+v, want %+v", pos, c.want)
			}
			if len(fc.Calls()) != 0 {
				t.Errorf("commits = %+v, want none (the caller commits where it starts)", fc.Calls())
			}
		})
	}

	t.Run("committed offset wins", func(t *testing.T) {
		p := newProtocol(t)
		writeFile(t, filepath.Join(p.Paths.Root, "clicks", FileName(tp, 0, 999)), "x")
		pos, err := p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: 500})
		if err != nil {
			t.Fatal(err)
		}
		if want := (Position{Next: 500, RunStart: 500, Committed: 500}); pos != want {
			t.Errorf("Recover = %+v, want %+v", pos, want)
		}
	})

	t.Run("run start needs an offset", func(t *testing.T) {
		p := newProtocol(t)
		pos, err := p.Recover(ctx, newFakeCommitter(), tp, Committed{Offset: -1, Metadata: runStartMeta(3)})
		if err != nil {
			t.Fatal(err)
		}
		if want := (Position{Next: -1, RunStart: -1, Committed: -1}); pos != want {
			t.Errorf("Recover = %+v, want %+v", pos, want)
		}
	})
}

func TestRecoverBadMetadata(t *testing.T) {
	tp := TP{"clicks", 1}
	for _, md := range []string{"k2h1 p={", "k2h1 p=" + `{"s":1,"e":2,"f":[["a","../../etc",1]]}`, "spark-streaming checkpoint 17", "k2h1 z=1"} {
		t.Run(md, func(t *testing.T) {
			p := newProtocol(t)
			f := stage(t, p, tp, "clicks/x", "data")
			fc := newFakeCommitter()
			if _, err := p.Recover(ctx, fc, tp, Committed{Offset: 10, Metadata: md}); err == nil {
				t.Fatal("Recover accepted bad metadata")
			}
			// Nothing is decided on metadata it cannot read: no commit, no cleanup.
			if len(fc.Calls()) != 0 {
				t.Errorf("commits = %+v", fc.Calls())
			}
			if !exists(p.Paths.Staging(tp, f.ID)) {
				t.Error("a staging file was removed")
			}
		})
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 24 || strings.ContainsAny(id, "/\\.") || seen[id] {
			t.Fatalf("NewID = %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
	}
}

func TestWalk(t *testing.T) {
	p := newProtocol(t)
	for _, f := range []string{"t/b/2", "t/a/1", "t/a/z/3", "t/0"} {
		writeFile(t, filepath.Join(p.Paths.Root, filepath.FromSlash(f)), f)
	}
	var got []string
	err := Walk(ctx, p.FS, path.Join(p.Paths.Root, "t"), func(name string, info fs.FileInfo) error {
		rel := strings.TrimPrefix(name, p.Paths.Root+"/")
		if info.Size() != int64(len(rel)) {
			t.Errorf("%s: size %d", rel, info.Size())
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"t/0", "t/a/1", "t/a/z/3", "t/b/2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Walk = %q, want %q", got, want)
	}
	if err := Walk(ctx, p.FS, path.Join(p.Paths.Root, "missing"), func(string, fs.FileInfo) error {
		t.Error("called for a missing dir")
		return nil
	}); err != nil {
		t.Errorf("Walk of a missing dir: %v", err)
	}
	stop := errors.New("stop")
	if err := Walk(ctx, p.FS, p.Paths.Root, func(string, fs.FileInfo) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Walk = %v, want the callback's error", err)
	}
}

func TestCommitRejectsBadSteps(t *testing.T) {
	tp := TP{"clicks", 0}
	for _, c := range []struct {
		name string
		edit func(*Step)
		want string
	}{
		{"two files in one directory", func(s *Step) { s.Files[1].Dir = s.Files[0].Dir }, "same final name"},
		{"parent directory", func(s *Step) { s.Files[0].Dir = "clicks/../../elsewhere" }, "unsafe file entry"},
		{"absolute directory", func(s *Step) { s.Files[0].Dir = "/etc" }, "unsafe file entry"},
		{"no directory", func(s *Step) { s.Files[0].Dir = "" }, "unsafe file entry"},
		{"id with a slash", func(s *Step) { s.Files[0].ID = "../x" }, "unsafe file entry"},
		{"end before start", func(s *Step) { s.End = s.Start - 1 }, "bad offset range"},
		{"negative start", func(s *Step) { s.Start = -1 }, "bad offset range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newProtocol(t)
			s := stagedStep(t, p, tp, 10, 19, dataDirs...)
			c.edit(&s)
			fc := newFakeCommitter()
			err := p.Commit(ctx, fc, 10, s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Commit: %v, want an error containing %q", err, c.want)
			}
			if len(fc.Calls()) != 0 {
				t.Errorf("commits = %+v, want none", fc.Calls())
			}
		})
	}
}

func TestCommitTopicWithDots(t *testing.T) {
	// "my..topic" is a valid Kafka topic name. Its steps must be prepared in a form that recovery
	// accepts, or a failed final commit would stop the partition for good.
	p := newProtocol(t)
	tp := TP{"my..topic", 0}
	s := stagedStep(t, p, tp, 0, 9, "my..topic/dt=2026-11-22/hour=13", "_errors/my..topic/dt=2026-11-22/hour=13")
	old := newFakeCommitter()
	old.fail[2] = ErrFenced
	if err := p.Commit(ctx, old, 0, s); !errors.Is(err, ErrFenced) {
		t.Fatalf("Commit: %v, want ErrFenced", err)
	}
	pos, err := p.Recover(ctx, newFakeCommitter(), tp, old.Committed(tp))
	if err != nil {
		t.Fatal(err)
	}
	if !pos.RolledForward || pos.Next != 10 {
		t.Errorf("Recover = %+v, want a roll forward to 10", pos)
	}
	checkPublished(t, p, s)
	end, found, err := p.HighestEnd(ctx, tp)
	if err != nil || !found || end != 9 {
		t.Errorf("HighestEnd = %d %v %v, want 9", end, found, err)
	}
}

// TestHighestEndSeesLateFiles: a step whose only file went to _late (completeness policy
// late_root) still counts when the group has nothing committed, or its offsets would load twice.
func TestHighestEndSeesLateFiles(t *testing.T) {
	ctx := context.Background()
	p := newProtocol(t)
	tp := TP{"clicks", 0}
	if err := p.Commit(ctx, newFakeCommitter(), 0, stagedStep(t, p, tp, 0, 9, "clicks/dt=2026-11-22/hour=13")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx, newFakeCommitter(), 10, stagedStep(t, p, tp, 10, 19, LateDir+"/clicks/dt=2026-11-22/hour=10")); err != nil {
		t.Fatal(err)
	}
	end, found, err := p.HighestEnd(ctx, tp)
	if err != nil || !found || end != 19 {
		t.Errorf("HighestEnd = %d %v %v, want 19 from the file under %s", end, found, err, LateDir)
	}
}
