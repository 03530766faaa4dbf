package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/testkrb"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// startCluster starts an in-process HDFS (1 MiB blocks, so test files cross block boundaries)
// that is closed after the test's clients.
func startCluster(t *testing.T) *hdfstest.Cluster {
	t.Helper()
	c, err := hdfstest.Start(hdfstest.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	return c
}

// hermetic are options that ignore the environment's Hadoop configuration.
func hermetic(t *testing.T) storage.HDFSOptions {
	return storage.HDFSOptions{User: "test", HadoopConfDir: t.TempDir()}
}

func newHDFS(t *testing.T, c *hdfstest.Cluster) *storage.HDFS {
	t.Helper()
	h, err := storage.NewHDFS(hermetic(t), []string{c.NameNodeAddr()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("close hdfs: %v", err)
		}
	})
	return h
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func testData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFile(t *testing.T, fsys storage.FS, name string, data []byte) {
	t.Helper()
	ctx := context.Background()
	f, err := fsys.Create(ctx, name)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	for off := 0; off < len(data); off += 100_000 {
		if _, err := f.Write(data[off:min(off+100_000, len(data))]); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func readFile(t *testing.T, fsys storage.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

// TestFSContract runs the same table against Local and HDFS: the protocol relies on these
// behaviours, so both sinks must agree on them.
func TestFSContract(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	sinks := []struct {
		name string
		fsys storage.FS
		root string
	}{
		{"local", storage.Local{}, filepath.ToSlash(t.TempDir())},
		{"hdfs", newHDFS(t, c), "/contract"},
	}
	ctx := context.Background()
	big := testData(3<<20+12345, 1) // four 1 MiB blocks on HDFS
	tests := []struct {
		name string
		run  func(t *testing.T, fsys storage.FS, dir string)
	}{
		{"create, write, close, stat, read back", func(t *testing.T, fsys storage.FS, dir string) {
			name := path.Join(dir, "f")
			writeFile(t, fsys, name, big)
			st, err := fsys.Stat(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != int64(len(big)) || st.IsDir() || st.Name() != "f" {
				t.Errorf("stat: size %d, dir %v, name %q; want %d, false, f", st.Size(), st.IsDir(), st.Name(), len(big))
			}
			if got := readFile(t, fsys, name); !bytes.Equal(got, big) {
				t.Errorf("read back %d bytes differ from the %d written", len(got), len(big))
			}
		}},
		{"create an existing file fails with ErrExist", func(t *testing.T, fsys storage.FS, dir string) {
			name := path.Join(dir, "f")
			writeFile(t, fsys, name, []byte("first"))
			if _, err := fsys.Create(ctx, name); !errors.Is(err, fs.ErrExist) {
				t.Errorf("create: got %v, want ErrExist", err)
			}
			if got := readFile(t, fsys, name); string(got) != "first" {
				t.Errorf("existing file changed to %q", got)
			}
		}},
		{"create never creates parents", func(t *testing.T, fsys storage.FS, dir string) {
			if _, err := fsys.Create(ctx, path.Join(dir, "missing", "f")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("create: got %v, want ErrNotExist", err)
			}
		}},
		{"a missing path is ErrNotExist everywhere", func(t *testing.T, fsys storage.FS, dir string) {
			missing := path.Join(dir, "missing")
			_, errOpen := fsys.Open(ctx, missing)
			_, errStat := fsys.Stat(ctx, missing)
			_, errList := fsys.ReadDir(ctx, missing)
			errs := map[string]error{
				"open":    errOpen,
				"stat":    errStat,
				"readdir": errList,
				"remove":  fsys.Remove(ctx, missing),
				"rename":  fsys.Rename(ctx, missing, path.Join(dir, "to")),
			}
			for op, err := range errs {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s: got %v, want ErrNotExist", op, err)
				}
			}
		}},
		{"rename replaces the target", func(t *testing.T, fsys storage.FS, dir string) {
			from, to := path.Join(dir, "from"), path.Join(dir, "to")
			writeFile(t, fsys, from, []byte("new"))
			writeFile(t, fsys, to, []byte("old contents"))
			if err := fsys.Rename(ctx, from, to); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, fsys, to); string(got) != "new" {
				t.Errorf("target holds %q, want new", got)
			}
			if _, err := fsys.Stat(ctx, from); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("source after rename: %v, want ErrNotExist", err)
			}
		}},
		{"rename into another directory", func(t *testing.T, fsys storage.FS, dir string) {
			from, to := path.Join(dir, "a", "f"), path.Join(dir, "b", "c", "f")
			if err := fsys.MkdirAll(ctx, path.Dir(from)); err != nil {
				t.Fatal(err)
			}
			if err := fsys.MkdirAll(ctx, path.Dir(to)); err != nil {
				t.Fatal(err)
			}
			writeFile(t, fsys, from, []byte("x"))
			if err := fsys.Rename(ctx, from, to); err != nil {
				t.Fatal(err)
			}
			if st, err := fsys.Stat(ctx, to); err != nil || st.Size() != 1 {
				t.Errorf("stat target: %v, %v", st, err)
			}
		}},
		{"remove: files and empty directories, not full ones", func(t *testing.T, fsys storage.FS, dir string) {
			full, empty := path.Join(dir, "full"), path.Join(dir, "empty")
			for _, d := range []string{full, empty} {
				if err := fsys.MkdirAll(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, fsys, path.Join(full, "f"), []byte("x"))
			err := fsys.Remove(ctx, full)
			if err == nil {
				t.Fatal("removing a non-empty directory succeeded")
			}
			if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
				t.Errorf("remove non-empty: got %v, want ENOTEMPTY", err)
			}
			if _, err := fsys.Stat(ctx, path.Join(full, "f")); err != nil {
				t.Errorf("file in the directory after the failed remove: %v", err)
			}
			if err := fsys.Remove(ctx, empty); err != nil {
				t.Errorf("remove empty directory: %v", err)
			}
			if err := fsys.Remove(ctx, path.Join(full, "f")); err != nil {
				t.Errorf("remove file: %v", err)
			}
			if _, err := fsys.Stat(ctx, path.Join(full, "f")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("stat removed file: %v", err)
			}
		}},
		{"mkdirall creates parents and accepts existing directories", func(t *testing.T, fsys storage.FS, dir string) {
			d := path.Join(dir, "x", "y", "z")
			for range 2 {
				if err := fsys.MkdirAll(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if st, err := fsys.Stat(ctx, d); err != nil || !st.IsDir() {
				t.Errorf("stat: %v, %v", st, err)
			}
		}},
		{"readdir lists names in order, directories marked", func(t *testing.T, fsys storage.FS, dir string) {
			for _, n := range []string{"b", "a", "c.parquet", "_z", "B"} {
				writeFile(t, fsys, path.Join(dir, n), []byte(n))
			}
			if err := fsys.MkdirAll(ctx, path.Join(dir, "d")); err != nil {
				t.Fatal(err)
			}
			infos, err := fsys.ReadDir(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fi := range infos {
				n := fi.Name()
				if fi.IsDir() {
					n += "/"
				}
				got = append(got, fmt.Sprintf("%s:%d", n, map[bool]int64{true: 0, false: fi.Size()}[fi.IsDir()]))
			}
			want := "B:1 _z:2 a:1 b:1 c.parquet:9 d/:0"
			if strings.Join(got, " ") != want {
				t.Errorf("readdir: got %s, want %s", strings.Join(got, " "), want)
			}
		}},
		{"ReadAt is safe for concurrent use and leaves Read alone", func(t *testing.T, fsys storage.FS, dir string) {
			name := path.Join(dir, "f")
			writeFile(t, fsys, name, big)
			f, err := fsys.Open(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Size() != int64(len(big)) {
				t.Fatalf("size %d, want %d", f.Size(), len(big))
			}
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), 7))
					for range 20 {
						off := r.Int64N(int64(len(big)))
						n := min(r.IntN(300_000)+1, len(big)-int(off))
						buf := make([]byte, n)
						if got, err := f.ReadAt(buf, off); err != nil && !(err == io.EOF && got == n) || got != n {
							t.Errorf("ReadAt(%d bytes at %d): %d, %v", n, off, got, err)
							return
						}
						if !bytes.Equal(buf, big[off:off+int64(n)]) {
							t.Errorf("ReadAt(%d bytes at %d): wrong bytes", n, off)
							return
						}
					}
				})
			}
			// Sequential reads run meanwhile and keep their own position.
			wg.Go(func() {
				got, err := io.ReadAll(f)
				if err != nil || !bytes.Equal(got, big) {
					t.Errorf("Read during ReadAt: %d bytes, %v", len(got), err)
				}
			})
			wg.Wait()
			buf := make([]byte, 100)
			if n, err := f.ReadAt(buf, int64(len(big))-10); n != 10 || err != io.EOF {
				t.Errorf("ReadAt across the end: %d, %v; want 10, EOF", n, err)
			}
			if n, err := f.ReadAt(buf, int64(len(big))); n != 0 || err != io.EOF {
				t.Errorf("ReadAt at the end: %d, %v; want 0, EOF", n, err)
			}
		}},
		{"abort leaves no file, abort after close keeps it", func(t *testing.T, fsys storage.FS, dir string) {
			aborted, kept := path.Join(dir, "aborted"), path.Join(dir, "kept")
			f, err := fsys.Create(ctx, aborted)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(big[:1<<20+1]); err != nil {
				t.Fatal(err)
			}
			_ = f.Abort()
			if err := fsys.Remove(ctx, aborted); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err) // the writer removes aborted files; Local's Abort only closes
			}
			if _, err := fsys.Stat(ctx, aborted); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("stat aborted file: %v, want ErrNotExist", err)
			}
			g, err := fsys.Create(ctx, kept)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.Write([]byte("kept")); err != nil {
				t.Fatal(err)
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			_ = g.Abort()
			if got := readFile(t, fsys, kept); string(got) != "kept" {
				t.Errorf("after abort following close: %q", got)
			}
		}},
	}
	for _, s := range sinks {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dir := path.Join(s.root, fmt.Sprint(i))
					if err := s.fsys.MkdirAll(ctx, dir); err != nil {
						t.Fatal(err)
					}
					tt.run(t, s.fsys, dir)
				})
			}
		})
	}
}

func TestHDFSAbortDeletes(t *testing.T) {
	t.Parallel()
	h := newHDFS(t, startCluster(t))
	ctx := context.Background()
	for _, n := range []int{0, 10, 2<<20 + 7} {
		name := fmt.Sprintf("/abort-%d", n)
		f, err := h.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(testData(n, 3)); err != nil {
			t.Fatal(err)
		}
		if err := f.Abort(); err != nil {
			t.Errorf("abort after %d bytes: %v", n, err)
		}
		if _, err := h.Stat(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat after abort of %d bytes: %v, want ErrNotExist", n, err)
		}
		if err := f.Close(); err == nil {
			t.Errorf("close after abort succeeded")
		}
		writeFile(t, h, name, []byte("again")) // the name and its lease are free
	}
}

func TestHDFSCloseRetriesReplicating(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	h := newHDFS(t, c)
	data := testData(1<<20+5000, 4)
	c.CompleteReplicating(3)
	start := time.Now()
	writeFile(t, h, "/replicating", data)
	// Three "not yet" answers cost the first three delays: 100+200+400 ms.
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Errorf("close returned after %s; the three retries should take at least 700ms", took)
	}
	if got := readFile(t, h, "/replicating"); !bytes.Equal(got, data) {
		t.Error("replicating file reads back wrong")
	}
}

// TestHDFSFailedWrite: a datanode failure surfaces from Write or Close, the file is not
// durable, and Abort removes it and frees the name.
func TestHDFSFailedWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failAfter int64
	}{
		{"first packet", 0},
		{"in the second block", 1<<20 + 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := startCluster(t)
			h := newHDFS(t, c)
			ctx := context.Background()
			c.FailWriteAfter(tt.failAfter)
			f, err := h.Create(ctx, "/failing")
			if err != nil {
				t.Fatal(err)
			}
			data := testData(2<<20, 5)
			var werr error
			for off := 0; off < len(data) && werr == nil; off += 100_000 {
				_, werr = f.Write(data[off:min(off+100_000, len(data))])
			}
			if werr == nil {
				werr = f.Close()
			}
			if werr == nil {
				t.Fatal("write and close succeeded despite the datanode failure")
			}
			if !strings.Contains(werr.Error(), "/failing") {
				t.Errorf("error does not name the file: %v", werr)
			}
			t.Logf("the sink saw: %v", werr)
			if err := f.Abort(); err != nil {
				t.Errorf("abort: %v", err)
			}
			if _, err := h.Stat(ctx, "/failing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("stat after abort: %v, want ErrNotExist", err)
			}
			writeFile(t, h, "/failing", data[:1000])
		})
	}
}

func TestHDFSUnreachable(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	c.RefuseConnections(time.Minute)
	dead := deadAddr(t)
	tests := []struct {
		name  string
		addrs []string
		want  []string
	}{
		{"refusing namenode", []string{c.NameNodeAddr()}, []string{c.NameNodeAddr(), "namenode", "as user test", "reachable"}},
		{"nothing listening", []string{dead}, []string{dead, "connection refused", "reachable"}},
		{"both of an HA pair", []string{dead, c.NameNodeAddr()}, []string{dead + "," + c.NameNodeAddr()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := storage.NewHDFS(hermetic(t), tt.addrs)
			if err == nil {
				h.Close()
				t.Fatal("NewHDFS succeeded")
			}
			// An unreachable service is worth retrying, unlike a wrong configuration.
			if !errors.Is(err, storage.ErrUnavailable) {
				t.Errorf("error %q is not ErrUnavailable", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHDFSDoneContext(t *testing.T) {
	t.Parallel()
	h := newHDFS(t, startCluster(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, errCreate := h.Create(ctx, "/x")
	_, errStat := h.Stat(ctx, "/")
	for op, err := range map[string]error{"create": errCreate, "stat": errStat, "mkdir": h.MkdirAll(ctx, "/d")} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: got %v, want context.Canceled", op, err)
		}
	}
}

// TestHDFSKerberosErrors covers the Kerberos settings that are wrong before any KDC or namenode
// is asked.
func TestHDFSKerberosErrors(t *testing.T) {
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	conf := "[libdefaults]\n  default_realm = EXAMPLE.COM\n[realms]\n  EXAMPLE.COM = {\n    kdc = 127.0.0.1:1\n  }\n"
	if err := os.WriteFile(krb5, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	kerberized := writeConf(t, map[string]string{"hadoop.security.authentication": "kerberos"}, nil)
	missing := filepath.Join(dir, "missing")
	// A ticket the KDC never issued: enough for the cache to load, since these cases fail first.
	tkt, err := (&messages.Ticket{TktVNO: 5, Realm: "EXAMPLE.COM", SName: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/EXAMPLE.COM"),
		EncPart: types.EncryptedData{EType: 18, KVNO: 1, Cipher: make([]byte, 64)}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tgt := func(end time.Time) testkrb.Cred {
		return testkrb.Cred{Server: types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "krbtgt/EXAMPLE.COM"), ServerRealm: "EXAMPLE.COM",
			Key: types.EncryptionKey{KeyType: 18, KeyValue: make([]byte, 32)}, AuthTime: end.Add(-time.Hour), StartTime: end.Add(-time.Hour),
			EndTime: end, Ticket: tkt}
	}
	expired, noTGT, valid := filepath.Join(dir, "expired"), filepath.Join(dir, "no-tgt"), filepath.Join(dir, "valid")
	other := tgt(time.Now().Add(time.Hour))
	other.Server = types.NewPrincipalName(nametype.KRB_NT_SRV_INST, "nn/host")
	for p, c := range map[string]testkrb.Cred{expired: tgt(time.Now().Add(-time.Minute)), noTGT: other, valid: tgt(time.Now().Add(time.Hour))} {
		if err := testkrb.WriteCCache(p, "etl", "EXAMPLE.COM", c); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KRB5CCNAME", "")
	tests := []struct {
		name string
		opts storage.HDFSOptions
		env  string // KRB5CCNAME
		want string
	}{
		{"no krb5.conf", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: missing}}, "",
			"kerberos: load " + missing},
		{"keytab without principal", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5, Keytab: missing}}, "",
			"a keytab needs a principal"},
		{"missing keytab", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5, Keytab: missing, Principal: "etl@EXAMPLE.COM"}}, "",
			"load keytab " + missing},
		{"missing ticket cache", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5, CCache: missing}}, "",
			"load ticket cache " + missing + ": "},
		{"KRB5CCNAME of another kind", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5}}, "KEYRING:persistent:0",
			"is not a FILE: ticket cache"},
		{"kerberos from core-site.xml uses KRB5CCNAME", storage.HDFSOptions{HadoopConfDir: kerberized, Kerberos: storage.HDFSKerberos{Krb5Conf: krb5}}, "FILE:" + missing,
			"load ticket cache " + missing + ": "},
		{"expired TGT in the ticket cache", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5, CCache: expired}}, "",
			"kerberos: ticket cache " + expired + ": the ticket-granting ticket of etl@EXAMPLE.COM expired at "},
		{"no TGT in the ticket cache", storage.HDFSOptions{Kerberos: storage.HDFSKerberos{Enabled: true, Krb5Conf: krb5, CCache: noTGT}}, "",
			"kerberos: ticket cache " + noTGT + " holds no ticket-granting ticket for etl@EXAMPLE.COM; run kinit"},
		{"valid TGT gets as far as the namenode", storage.HDFSOptions{HadoopConfDir: writeConf(t, map[string]string{"hadoop.security.authentication": "kerberos"}, map[string]string{"dfs.namenode.kerberos.principal": "nn/_HOST@EXAMPLE.COM"}),
			Kerberos: storage.HDFSKerberos{Krb5Conf: krb5, CCache: valid}}, "",
			"connect to namenode 127.0.0.1:1 as kerberos principal etl@EXAMPLE.COM"},
		{"misspelt data transfer protection", storage.HDFSOptions{HadoopConfDir: writeConf(t, nil, map[string]string{"dfs.data.transfer.protection": "authentication, privacy"})}, "",
			`dfs.data.transfer.protection="authentication, privacy" in the Hadoop configuration in `},
		{"unknown rpc protection", storage.HDFSOptions{HadoopConfDir: writeConf(t, map[string]string{"hadoop.rpc.protection": "secret"}, nil)}, "",
			`hadoop.rpc.protection="secret" in the Hadoop configuration in `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KRB5CCNAME", tt.env)
			if tt.opts.HadoopConfDir == "" {
				tt.opts.HadoopConfDir = t.TempDir()
			}
			h, err := storage.NewHDFS(tt.opts, []string{"127.0.0.1:1"})
			if err == nil {
				h.Close()
				t.Fatal("NewHDFS succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// writeConf writes a Hadoop configuration directory with the given properties.
func writeConf(t *testing.T, core, site map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for file, props := range map[string]map[string]string{"core-site.xml": core, "hdfs-site.xml": site} {
		var b strings.Builder
		b.WriteString("<?xml version=\"1.0\"?>\n<configuration>\n")
		for k, v := range props {
			fmt.Fprintf(&b, "  <property><name>%s</name><value>%s</value></property>\n", k, v)
		}
		b.WriteString("</configuration>\n")
		if err := os.WriteFile(filepath.Join(dir, file), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOpenHDFS opens output roots of every form against a running cluster, with a dead namenode
// in front where the form allows it, so that failover is exercised too.
func TestOpenHDFS(t *testing.T) {
	c := startCluster(t)
	nn, dead := c.NameNodeAddr(), deadAddr(t)
	conf := writeConf(t,
		map[string]string{"fs.defaultFS": "hdfs://ns1"},
		map[string]string{
			"dfs.nameservices":                 "ns1",
			"dfs.ha.namenodes.ns1":             "nn1,nn2",
			"dfs.namenode.rpc-address.ns1.nn1": dead,
			"dfs.namenode.rpc-address.ns1.nn2": nn,
		})
	t.Setenv("HADOOP_USER_NAME", "etl")
	tests := []struct {
		name, root, confDir, envConfDir string
		wantNNs                         []string
		wantRoot                        string
	}{
		{"single namenode", "hdfs://" + nn + "/warehouse/events", "", "", []string{nn}, "/warehouse/events"},
		{"HA list, first one down", "hdfs://" + dead + "," + nn + "/warehouse/ha/", "", "", []string{dead, nn}, "/warehouse/ha"},
		{"nameservice through hadoop_conf_dir", "hdfs://ns1/ns", conf, "", []string{dead, nn}, "/ns"},
		{"nameservice through HADOOP_CONF_DIR", "hdfs://ns1/env", "", conf, []string{dead, nn}, "/env"},
		{"fs.defaultFS", "hdfs:///default", conf, "", []string{dead, nn}, "/default"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HADOOP_CONF_DIR", tt.envConfDir)
			fsys, root, err := storage.Open(tt.root, storage.HDFSOptions{HadoopConfDir: tt.confDir})
			if err != nil {
				t.Fatal(err)
			}
			h := fsys.(*storage.HDFS)
			defer h.Close()
			if root != tt.wantRoot || fmt.Sprint(h.NameNodes()) != fmt.Sprint(tt.wantNNs) || h.User() != "etl" {
				t.Errorf("got root %s, namenodes %v, user %s; want %s, %v, etl", root, h.NameNodes(), h.User(), tt.wantRoot, tt.wantNNs)
			}
			if err := h.MkdirAll(ctx, root); err != nil {
				t.Fatal(err)
			}
			writeFile(t, h, root+"/f", []byte(tt.name))
			if got := readFile(t, h, root+"/f"); string(got) != tt.name {
				t.Errorf("read back %q", got)
			}
		})
	}

	t.Run("one client per process", func(t *testing.T) {
		t.Setenv("HADOOP_CONF_DIR", "")
		root := "hdfs://" + nn + "/shared"
		a, _, err := storage.Open(root, storage.HDFSOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := storage.Open(root+"/other", storage.HDFSOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Error("two Opens of the same namenode made two clients")
		}
		other, _, err := storage.Open(root, storage.HDFSOptions{User: "someone-else"})
		if err != nil {
			t.Fatal(err)
		}
		if other == a {
			t.Error("another user shares the client")
		}
		other.(*storage.HDFS).Close()
		a.(*storage.HDFS).Close()
		if _, err := b.Stat(ctx, "/"); err != nil {
			t.Errorf("the client closed while still shared: %v", err)
		}
		b.(*storage.HDFS).Close()
		if _, err := b.Stat(ctx, "/"); err == nil {
			t.Error("the client still works after its last Close")
		}
		c, _, err := storage.Open(root, storage.HDFSOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.(*storage.HDFS).Close()
		if c == a {
			t.Error("Open after the last Close returned the closed client")
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	emptyConf := t.TempDir()
	defaultFSFile := writeConf(t, map[string]string{"fs.defaultFS": "file:///"}, nil)
	tests := []struct {
		root, confDir string
		want          string
	}{
		{"", "", "output root is empty"},
		{"s3://bucket/x", "", "unsupported scheme s3://; use hdfs://namenode:8020/path"},
		{"hdfs:/warehouse", "", "write HDFS URLs as hdfs://namenode:8020/path"},
		{"hdfs://nn1:8020", "", "no path after the namenode"},
		{"hdfs://nn1:8020/x?replication=2", "", "no query or fragment"},
		{"hdfs://hive@nn1:8020/x", "", "user name does not go in the URL"},
		{"hdfs://nn1:80a0/x", "", `port "80a0" is not a number from 1 to 65535`},
		{"hdfs://nn1:8020,,nn2:8020/x", "", "empty namenode address"},
		{"hdfs:///x", emptyConf, "no core-site.xml or hdfs-site.xml"},
		{"hdfs:///x", defaultFSFile, `fs.defaultFS = "file:///"`},
		{"hdfs://ns1/x", filepath.Join(emptyConf, "missing"), "hadoop configuration directory"},
	}
	for _, tt := range tests {
		err := storage.CheckRoot(tt.root, storage.HDFSOptions{HadoopConfDir: tt.confDir})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckRoot(%q): got %v, want an error containing %q", tt.root, err, tt.want)
			continue
		}
		if _, _, err2 := storage.Open(tt.root, storage.HDFSOptions{HadoopConfDir: tt.confDir}); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("Open(%q): got %v, want CheckRoot's %v", tt.root, err2, err)
		}
	}
}

type fakeCommitter struct {
	mu      sync.Mutex
	commits []string
}

func (c *fakeCommitter) Commit(_ context.Context, tp offsets.TP, offset int64, md string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits = append(c.commits, fmt.Sprintf("%s@%d %q", tp, offset, md))
	return nil
}

// TestHDFSWriterCommit writes Parquet files through the writer and publishes them with the
// commit protocol, all on HDFS: staged files are durable with the size the writer counted,
// publish renames them into their buckets, and they read back as Parquet through ReadAt.
func TestHDFSWriterCommit(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	h := newHDFS(t, c)
	ctx := context.Background()
	paths := offsets.Paths{Root: "/warehouse", Group: "g1"}
	tp := offsets.TP{Topic: "clicks", Partition: 3}
	s, err := schema.NewRaw(schema.Options{Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &writer.Config{FS: h, Paths: paths, RowGroupBytes: 256 << 10, Budget: &writer.Budget{}, CreatedBy: "test"}
	w := writer.NewPartition(cfg, tp)
	defer w.Close()

	// Incompressible values make files of about 1.5 MiB, over a block boundary.
	const n = 6000
	dirs := []string{"clicks/dt=2026-11-22/hour=13", "clicks/dt=2026-11-22/hour=14"}
	value := testData(512, 9)
	var row parquet.Row
	for i := range n {
		r := &record.Record{Topic: tp.Topic, Partition: tp.Partition, Offset: int64(i), Timestamp: time.UnixMilli(int64(i)),
			Value: append(value[i%64:], byte(i))}
		if row, err = s.AppendRaw(r, "", "", row); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, dirs[i%2], s, row); err != nil {
			t.Fatal(err)
		}
	}
	files, err := w.Stage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("staged %d files, want 2", len(files))
	}
	for _, f := range files {
		st, err := h.Stat(ctx, paths.Staging(tp, f.ID))
		if err != nil || st.Size() != f.Size || f.Size < 1<<20 {
			t.Fatalf("staged %s: %v, %v; want %d bytes (over a block)", f.ID, st, err, f.Size)
		}
	}

	step := offsets.Step{TP: tp, Start: 0, End: n - 1, Files: files}
	proto := &offsets.Protocol{FS: h, Paths: paths}
	committer := &fakeCommitter{}
	if err := proto.Commit(ctx, committer, -1, step); err != nil {
		t.Fatal(err)
	}
	if len(committer.commits) != 2 || !strings.HasPrefix(committer.commits[1], fmt.Sprintf("%s@%d ", tp, n)) {
		t.Errorf("commits: %q, want prepare then %d", committer.commits, n)
	}
	var rows int64
	for _, f := range files {
		final := paths.Final(step, f)
		st, err := h.Stat(ctx, final)
		if err != nil || st.Size() != f.Size {
			t.Fatalf("final %s: %v, %v; want %d bytes", final, st, err, f.Size)
		}
		rf, err := h.Open(ctx, final)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := parquet.OpenFile(rf, rf.Size())
		if err != nil {
			t.Fatalf("%s: %v", final, err)
		}
		rows += pf.NumRows()
		rf.Close()
	}
	if rows != n {
		t.Errorf("read back %d rows, want %d", rows, n)
	}
	staged, err := h.ReadDir(ctx, paths.StagingDir(tp))
	if err != nil || len(staged) != 0 {
		t.Errorf("staging after commit: %d entries, %v; want none", len(staged), err)
	}
	// Publishing again (recovery after a crash) finds the files in place.
	if err := proto.Publish(ctx, step); err != nil {
		t.Errorf("publish again: %v", err)
	}
}

// TestHDFSWriterStageFailure: a datanode failure while the writer stages leaves no staging file
// behind.
func TestHDFSWriterStageFailure(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	h := newHDFS(t, c)
	ctx := context.Background()
	paths := offsets.Paths{Root: "/warehouse", Group: "g1"}
	tp := offsets.TP{Topic: "clicks", Partition: 0}
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := writer.NewPartition(&writer.Config{FS: h, Paths: paths, Budget: &writer.Budget{}}, tp)
	defer w.Close()
	row, err := s.AppendRaw(&record.Record{Topic: tp.Topic, Value: []byte("v")}, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, "clicks/dt=2026-11-22", s, row); err != nil {
		t.Fatal(err)
	}
	c.FailWriteAfter(0)
	if _, err := w.Stage(ctx); err == nil {
		t.Fatal("stage succeeded despite the datanode failure")
	}
	left, err := h.ReadDir(ctx, paths.StagingDir(tp))
	if err != nil || len(left) != 0 {
		t.Errorf("staging after the failed stage: %d entries, %v; want none", len(left), err)
	}
}
