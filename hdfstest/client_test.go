package hdfstest

import (
	"errors"
	"io"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
)

// These tests drive the cluster through the unmodified colinmarc/hdfs client, the way the loader
// uses it.

func TestWriteReadMultiBlock(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	data := testData(3<<20+12345, 1)
	writeFile(t, cl, "/multi", data, 100000)
	if n := blockCount(t, c, "/multi"); n != 4 {
		t.Errorf("blocks: got %d, want 4", n)
	}
	fi, err := cl.Stat("/multi")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != int64(len(data)) {
		t.Errorf("size: got %d, want %d", fi.Size(), len(data))
	}
	checkBytes(t, "read back", readFile(t, cl, "/multi"), data)

	f, err := cl.Open("/multi")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, off := range []int{0, 1, 511, 513, 1<<20 - 7, 3 << 20, len(data) - 100, len(data) - 1} {
		buf := make([]byte, min(100, len(data)-off))
		if _, err := f.ReadAt(buf, int64(off)); err != nil {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
		checkBytes(t, "ReadAt", buf, data[off:off+len(buf)])
	}
	// Across a block boundary in one call.
	buf := make([]byte, 5000)
	if _, err := f.ReadAt(buf, 1<<20-2500); err != nil {
		t.Fatalf("ReadAt across blocks: %v", err)
	}
	checkBytes(t, "ReadAt across blocks", buf, data[1<<20-2500:1<<20+2500])
	if _, err := f.ReadAt(make([]byte, 1), int64(len(data))); err != io.EOF {
		t.Errorf("ReadAt at the end: got %v, want io.EOF", err)
	}
}

func TestSmallAndEmptyFiles(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	writeFile(t, cl, "/small", []byte("7 bytes"), 100)
	if got := readFile(t, cl, "/small"); string(got) != "7 bytes" {
		t.Errorf("small file: got %q", got)
	}

	if err := cl.CreateEmptyFile("/empty"); err != nil {
		t.Fatal(err)
	}
	if fi, err := cl.Stat("/empty"); err != nil || fi.Size() != 0 {
		t.Fatalf("stat empty: %v, %v", fi, err)
	}
	if got := readFile(t, cl, "/empty"); len(got) != 0 {
		t.Errorf("empty file: got %d bytes", len(got))
	}

	// A zero-length first Write allocates a block the DataNode never sees; complete drops it.
	w, err := cl.Create("/zero-write")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := blockCount(t, c, "/zero-write"); n != 0 {
		t.Errorf("zero-write blocks: got %d, want 0", n)
	}

	// CreateFile with its own block size: exactly three 64 KiB blocks.
	data := testData(3<<16, 2)
	w, err = cl.CreateFile("/own-blocksize", 1, 1<<16, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := blockCount(t, c, "/own-blocksize"); n != 3 {
		t.Errorf("own-blocksize blocks: got %d, want 3", n)
	}
	checkBytes(t, "own-blocksize", readFile(t, cl, "/own-blocksize"), data)
	if fi, err := cl.Stat("/own-blocksize"); err != nil || fi.Mode() != 0o600 {
		t.Errorf("own-blocksize mode: %v, %v", fi.Mode(), err)
	}
}

func TestStatAndMkdirAll(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	if err := cl.MkdirAll("/a/b/c", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := cl.MkdirAll("/a/b/c", 0o750); err != nil {
		t.Fatalf("MkdirAll of an existing directory: %v", err)
	}
	checkErr(t, "Mkdir of an existing directory", cl.Mkdir("/a/b", 0o755), os.ErrExist)
	checkErr(t, "Mkdir with a missing parent", cl.Mkdir("/x/y", 0o755), os.ErrNotExist)
	fi, err := cl.Stat("/a/b/c")
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode() != os.ModeDir|0o750 || fi.Name() != "c" {
		t.Errorf("dir stat: dir=%v mode=%v name=%q", fi.IsDir(), fi.Mode(), fi.Name())
	}

	before := time.Now().Add(-time.Second)
	writeFile(t, cl, "/a/f", []byte("hello"), 5)
	fi, err = cl.Stat("/a/f")
	if err != nil {
		t.Fatal(err)
	}
	hfi := fi.(*hdfs.FileInfo)
	switch {
	case fi.IsDir(), fi.Size() != 5, fi.Mode() != 0o644, fi.Name() != "f":
		t.Errorf("file stat: dir=%v size=%d mode=%v name=%q", fi.IsDir(), fi.Size(), fi.Mode(), fi.Name())
	case fi.ModTime().Before(before) || fi.ModTime().After(time.Now().Add(time.Second)):
		t.Errorf("file mtime %v is not about now", fi.ModTime())
	case hfi.Owner() != "test" || hfi.OwnerGroup() != "supergroup":
		t.Errorf("owner %q group %q", hfi.Owner(), hfi.OwnerGroup())
	}

	_, err = cl.Stat("/nope")
	checkErr(t, "Stat missing", err, os.ErrNotExist)
	_, err = cl.Stat("/a/f/below-a-file")
	checkErr(t, "Stat below a file", err, os.ErrNotExist)
	if err := cl.MkdirAll("/a/f/sub", 0o755); exception(err) != classParentNotDir {
		t.Errorf("MkdirAll below a file: got %v, want %s", err, classParentNotDir)
	}
	checkErr(t, "MkdirAll onto a file", cl.MkdirAll("/a/f", 0o755), os.ErrExist)
	if fi, err := cl.Stat("/"); err != nil || !fi.IsDir() {
		t.Errorf("stat /: %v, %v", fi, err)
	}
}

func TestReadDir(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	if err := cl.MkdirAll("/dir", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b", "a", "c", "B", "a0"} {
		writeFile(t, cl, "/dir/"+name, []byte(name), 10)
	}
	if err := cl.Mkdir("/dir/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	want := []string{"B", "a", "a0", "b", "c", "sub"}

	list := func() []string {
		fis, err := cl.ReadDir("/dir")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fi := range fis {
			names = append(names, fi.Name())
			if fi.IsDir() != (fi.Name() == "sub") {
				t.Errorf("%s: IsDir %v", fi.Name(), fi.IsDir())
			}
		}
		return names
	}
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("ReadDir: got %q, want %q", got, want)
	}

	// Force the client through several getListing pages.
	c.ns.mu.Lock()
	c.ns.listLimit = 2
	c.ns.mu.Unlock()
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("paged ReadDir: got %q, want %q", got, want)
	}

	_, err := cl.ReadDir("/missing")
	checkErr(t, "ReadDir missing", err, os.ErrNotExist)
	fis, err := cl.ReadDir("/dir/sub")
	if err != nil || len(fis) != 0 {
		t.Errorf("ReadDir empty: %v, %v", fis, err)
	}
}

func TestRename(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	writeFile(t, cl, "/old", []byte("new content"), 100)
	writeFile(t, cl, "/existing", []byte("old content, longer"), 100)
	if err := cl.Rename("/old", "/existing"); err != nil {
		t.Fatalf("rename onto an existing file: %v", err)
	}
	if got := readFile(t, cl, "/existing"); string(got) != "new content" {
		t.Errorf("replaced file: got %q", got)
	}
	_, err := cl.Stat("/old")
	checkErr(t, "Stat renamed source", err, os.ErrNotExist)

	checkErr(t, "rename missing", cl.Rename("/old", "/x"), os.ErrNotExist)
	checkErr(t, "rename into a missing dir", cl.Rename("/existing", "/no/x"), os.ErrNotExist)

	if err := cl.MkdirAll("/d1/inner", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cl.Rename("/d1", "/existing"); exception(err) != classIOException {
		t.Errorf("rename dir onto file: got %v, want %s", err, classIOException)
	}
	if err := cl.Rename("/d1", "/d1/inner/x"); exception(err) != classIOException {
		t.Errorf("rename dir below itself: got %v, want %s", err, classIOException)
	}
	if err := cl.Rename("/d1", "/d2"); err != nil {
		t.Fatal(err)
	}
	if fi, err := cl.Stat("/d2/inner"); err != nil || !fi.IsDir() {
		t.Errorf("renamed dir: %v, %v", fi, err)
	}

	// A file renamed while it is being written keeps its writer: the writer names it by id.
	w, err := cl.Create("/d2/writing")
	if err != nil {
		t.Fatal(err)
	}
	data := testData(1<<20+100, 3)
	if _, err := w.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}
	if err := cl.Rename("/d2/writing", "/d2/written"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[1000:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "renamed while writing", readFile(t, cl, "/d2/written"), data)
}

func TestRemove(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	if err := cl.MkdirAll("/dir/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cl, "/dir/sub/f", testData(3<<20, 4), 1<<20)
	writeFile(t, cl, "/g", []byte("g"), 1)
	if err := cl.Remove("/g"); err != nil {
		t.Fatal(err)
	}
	checkErr(t, "Remove missing", cl.Remove("/g"), os.ErrNotExist)
	checkErr(t, "Remove non-empty dir", cl.Remove("/dir"), syscall.ENOTEMPTY)
	for range 2 {
		if err := cl.RemoveAll("/dir"); err != nil {
			t.Fatalf("RemoveAll: %v", err)
		}
	}
	c.store.mu.Lock()
	left := len(c.store.replicas)
	c.store.mu.Unlock()
	if left != 0 {
		t.Errorf("%d replicas left after removing every file", left)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	writeFile(t, cl, "/f", []byte("x"), 1)
	_, err := cl.Create("/f")
	checkErr(t, "Create existing", err, os.ErrExist)
	_, err = cl.Create("/missing/f")
	checkErr(t, "Create with a missing parent", err, os.ErrNotExist)
	_, err = cl.Create("/f/below")
	if exception(err) != classParentNotDir {
		t.Errorf("Create below a file: got %v, want %s", err, classParentNotDir)
	}
	if err := cl.Mkdir("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = cl.CreateFile("/d", 1, 1<<20, 0o644)
	checkErr(t, "CreateFile onto a dir", err, os.ErrExist)

	// A file being written by one client is AlreadyBeingCreated for another (and for itself).
	w, err := cl.Create("/open")
	if err != nil {
		t.Fatal(err)
	}
	other := newClient(t, c)
	_, err = other.CreateFile("/open", 1, 1<<20, 0o644)
	checkErr(t, "CreateFile of a file open for write", err, os.ErrExist)
	_, err = other.Append("/open")
	if exception(err) != classBeingCreated {
		t.Errorf("Append of a file open for write: got %v, want %s", err, classBeingCreated)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = cl.CreateFile("/odd-blocksize", 1, 1000, 0o644)
	if exception(err) != classIOException {
		t.Errorf("CreateFile with block size 1000: got %v, want %s", err, classIOException)
	}
	_, err = cl.Stat("relative")
	if exception(err) != classInvalidPath {
		t.Errorf("Stat of a relative path: got %v, want %s", err, classInvalidPath)
	}
}

func TestAppend(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	appendData := func(name string, data []byte) {
		t.Helper()
		w, err := cl.Append(name)
		if err != nil {
			t.Fatalf("append %s: %v", name, err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatalf("append %s: write: %v", name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("append %s: close: %v", name, err)
		}
	}
	cases := []struct {
		name          string
		first, second int
		blocks        int
	}{
		// Offset 1000 is mid-chunk: the client cuts the first packet short at 1024.
		{"partial-block", 1000, 2000, 1},
		{"partial-to-next-block", 1<<20 - 300, 1000, 2}, // fills the block, then a new one
		{"empty-file", 0, 1500, 1},
		{"full-block", 1 << 20, 777, 2},
	}
	for _, tc := range cases {
		data := testData(tc.first+tc.second, uint64(tc.first))
		name := "/" + tc.name
		if tc.first == 0 {
			if err := cl.CreateEmptyFile(name); err != nil {
				t.Fatal(err)
			}
		} else {
			writeFile(t, cl, name, data[:tc.first], 1<<16)
		}
		appendData(name, data[tc.first:])
		checkBytes(t, tc.name, readFile(t, cl, name), data)
		if n := blockCount(t, c, name); n != tc.blocks {
			t.Errorf("%s: %d blocks, want %d", tc.name, n, tc.blocks)
		}
	}
	// Twice in a row, with small appends.
	appendData("/partial-block", []byte("abc"))
	appendData("/partial-block", []byte("def"))
	if got := readFile(t, cl, "/partial-block"); string(got[len(got)-6:]) != "abcdef" {
		t.Errorf("repeated appends: got %q", got[len(got)-6:])
	}
	_, err := cl.Append("/missing")
	checkErr(t, "Append missing", err, os.ErrNotExist)
}

func TestReadWhileWriting(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	writer, reader := newClient(t, c), newClient(t, c)

	data := testData(1<<20+(1<<19), 5)
	w, err := writer.Create("/growing")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	// The first block is finished and committed; the second is still open. Like a real
	// NameNode, this one reports only committed bytes, and those read back.
	fi, err := reader.Stat("/growing")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 1<<20 {
		t.Errorf("size while writing: got %d, want %d", fi.Size(), 1<<20)
	}
	checkBytes(t, "read while writing", readFile(t, reader, "/growing"), data[:1<<20])
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkBytes(t, "read after close", readFile(t, reader, "/growing"), data)
}

// TestLeaseRenewal checks that the client's renewLease, every second, keeps its file across the
// soft limit.
func TestLeaseRenewal(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{LeaseSoftLimit: 2 * time.Second})
	writer, other := newClient(t, c), newClient(t, c)

	w, err := writer.Create("/held")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("first ")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past the soft limit; renewals keep the lease
	_, err = other.Append("/held")
	if exception(err) != classBeingCreated {
		t.Fatalf("append to a file with a live lease: got %v, want %s", err, classBeingCreated)
	}
	if _, err := w.Write([]byte("second")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, other, "/held"); string(got) != "first second" {
		t.Errorf("after renewals: got %q", got)
	}
}

// TestLeaseRecovery checks that another client takes over a file once its writer is gone, and
// that what reached the DataNode survives.
func TestLeaseRecovery(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{LeaseSoftLimit: time.Second})
	other := newClient(t, c)

	crashing, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := crashing.Create("/orphan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("flushed")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	crashing.Close() // without closing the file: its lease is no longer renewed
	_, err = other.Append("/orphan")
	if exception(err) != classBeingCreated {
		t.Fatalf("append within the soft limit: got %v, want %s", err, classBeingCreated)
	}
	eventually(t, 5*time.Second, func() error {
		w, err := other.Append("/orphan")
		if err != nil {
			return err
		}
		if _, err := w.Write([]byte(", recovered")); err != nil {
			return err
		}
		return w.Close()
	})
	if got := readFile(t, other, "/orphan"); string(got) != "flushed, recovered" {
		t.Errorf("after lease recovery: got %q", got)
	}
}

func TestUnknownMethodKeepsConnection(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)

	err := cl.Chmod("/", 0o755) // setPermission is not implemented
	var herr hdfs.Error
	if !errors.As(err, &herr) || herr.Exception() != classNoSuchMethod || herr.Desc() != "ERROR_NO_SUCH_METHOD" {
		t.Fatalf("Chmod: got %v, want %s / ERROR_NO_SUCH_METHOD", err, classNoSuchMethod)
	}
	// Had the connection dropped, the client would refuse calls for 5 s.
	if _, err := cl.Stat("/"); err != nil {
		t.Fatalf("Stat after an unknown method: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{BlockSize: 1 << 16})
	const n = 4
	errs := make(chan error, n)
	for i := range n {
		cl := newClient(t, c)
		go func() {
			errs <- func() error {
				name := "/concurrent/" + string(rune('a'+i))
				data := testData(300000, uint64(i))
				if err := cl.MkdirAll("/concurrent", 0o755); err != nil {
					return err
				}
				w, err := cl.Create(name)
				if err != nil {
					return err
				}
				if _, err := w.Write(data); err != nil {
					return err
				}
				if err := w.Close(); err != nil {
					return err
				}
				got, err := cl.ReadFile(name)
				if err != nil {
					return err
				}
				if string(got) != string(data) {
					return errors.New(name + ": data differs")
				}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// `hdfs du` and `hdfs df` against the test HDFS: getContentSummary and getFsStats.
func TestContentSummaryAndFsStats(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cl := newClient(t, c)
	if err := cl.MkdirAll("/d/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cl, "/d/a", testData(1000, 1), 100000)
	writeFile(t, cl, "/d/sub/b", testData(2345, 2), 100000)
	cs, err := cl.GetContentSummary("/d")
	if err != nil {
		t.Fatalf("GetContentSummary: %v", err)
	}
	if cs.Size() != 3345 || cs.FileCount() != 2 || cs.DirectoryCount() != 2 || cs.SizeAfterReplication() != 3345 {
		t.Errorf("content summary of /d: size %d, files %d, dirs %d, consumed %d; want 3345, 2, 2 (itself and sub), 3345",
			cs.Size(), cs.FileCount(), cs.DirectoryCount(), cs.SizeAfterReplication())
	}
	if cs.NameQuota() != -1 || cs.SpaceQuota() != -1 {
		t.Errorf("quotas %d, %d; want -1 (none)", cs.NameQuota(), cs.SpaceQuota())
	}
	if _, err := cl.GetContentSummary("/nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("GetContentSummary of a missing path: %v, want ErrNotExist", err)
	}
	fs, err := cl.StatFs()
	if err != nil {
		t.Fatalf("StatFs: %v", err)
	}
	if fs.Used != 3345 || fs.Capacity == 0 || fs.Remaining+fs.Used > fs.Capacity {
		t.Errorf("fs stats %+v: want 3345 used of a non-zero capacity", fs)
	}
}
