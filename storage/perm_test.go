package storage_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// TestPerms checks the modes of created files and directories, on the local filesystem and on
// HDFS, with the defaults (no world access) and with output.permissions set.
func TestPerms(t *testing.T) {
	old := syscall.Umask(0o022) // the local modes below assume the usual umask
	defer syscall.Umask(old)
	c := startCluster(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name              string
		perms             storage.Perms
		wantFile, wantDir fs.FileMode
	}{
		{"defaults", storage.Perms{}, 0o640, 0o750},
		{"owner only", storage.Perms{File: 0o600, Dir: 0o700}, 0o600, 0o700},
		{"group writable dirs", storage.Perms{File: 0o640, Dir: 0o770}, 0o640, 0o750 /* umask 022 */},
	} {
		for _, backend := range []string{"local", "hdfs"} {
			t.Run(tc.name+"/"+backend, func(t *testing.T) {
				root := "hdfs://" + c.NameNodeAddr() + "/perm-" + strings.ReplaceAll(tc.name, " ", "-")
				if backend == "local" {
					root = filepath.Join(t.TempDir(), "out")
				}
				fsys, dir, err := storage.OpenWith(root, hermetic(t), tc.perms)
				if err != nil {
					t.Fatal(err)
				}
				if cl, ok := fsys.(interface{ Close() error }); ok {
					defer cl.Close()
				}
				if err := fsys.MkdirAll(ctx, dir+"/topic/dt=2026-12-05"); err != nil {
					t.Fatal(err)
				}
				f, err := fsys.Create(ctx, dir+"/topic/dt=2026-12-05/f.parquet")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write([]byte("x")); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				wantDir := tc.wantDir
				if backend == "hdfs" {
					wantDir = tc.perms.WithDefaults().Dir.FileMode() // no umask on the namenode side here
				}
				for _, p := range []struct {
					path string
					want fs.FileMode
				}{{dir + "/topic", wantDir}, {dir + "/topic/dt=2026-12-05", wantDir}, {dir + "/topic/dt=2026-12-05/f.parquet", tc.wantFile}} {
					fi, err := fsys.Stat(ctx, p.path)
					if err != nil {
						t.Fatal(err)
					}
					if got := fi.Mode().Perm(); got != p.want {
						t.Errorf("%s: mode %04o, want %04o", p.path, got, p.want)
					}
				}
				if _, err := fsys.Create(ctx, dir+"/topic/dt=2026-12-05/f.parquet"); !isExist(err) {
					t.Errorf("Create of an existing file: %v, want fs.ErrExist", err)
				}
			})
		}
	}
}

func isExist(err error) bool { return err != nil && strings.Contains(err.Error(), "exist") }

func TestPermsYAML(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want storage.Perms
		err  bool
	}{
		{`{file: "0640", dir: "0750"}`, storage.Perms{File: 0o640, Dir: 0o750}, false},
		{`{file: 0600, dir: 700}`, storage.Perms{File: 0o600, Dir: 0o700}, false},
		{`{file: 0o644}`, storage.Perms{File: 0o644}, false},
		{`{file: "rw-r-----"}`, storage.Perms{}, true},
		{`{file: 0999}`, storage.Perms{}, true},
	} {
		var p storage.Perms
		err := yaml.Unmarshal([]byte(tc.in), &p)
		if (err != nil) != tc.err || (!tc.err && p != tc.want) {
			t.Errorf("%s: %+v, %v; want %+v, error %v", tc.in, p, err, tc.want, tc.err)
		}
	}
	out, _ := yaml.Marshal(storage.DefaultPerms)
	if string(out) != "file: \"0640\"\ndir: \"0750\"\n" {
		t.Errorf("Marshal = %q", out)
	}
	for _, bad := range []storage.Perms{{File: 0o440, Dir: 0o750}, {File: 0o640, Dir: 0o650}, {File: 0o4640, Dir: 0o750}} {
		if len(bad.Check()) == 0 {
			t.Errorf("%+v passes Check", bad)
		}
	}
	if errs := storage.DefaultPerms.Check(); len(errs) != 0 {
		t.Errorf("defaults: %v", errs)
	}
}
