package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Local is the local filesystem. Close fsyncs the file and Rename fsyncs the target directory, so
// that a file the commit protocol calls durable survives a power loss, not only a process crash.
// Files and directories are created with Perms (zero: DefaultPerms).
type Local struct {
	Perms Perms
}

var _ FS = Local{}

func osPath(name string) string { return filepath.FromSlash(name) }

// Create implements FS.
func (l Local) Create(_ context.Context, name string) (File, error) {
	f, err := os.OpenFile(osPath(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fs.FileMode(l.Perms.WithDefaults().File))
	if err != nil {
		return nil, err
	}
	return &localFile{f: f}, nil
}

type localFile struct {
	f *os.File
}

func (l *localFile) Write(p []byte) (int, error) { return l.f.Write(p) }

func (l *localFile) Close() error {
	if err := l.f.Sync(); err != nil {
		_ = l.f.Close()
		return fmt.Errorf("sync %s: %w", l.f.Name(), err)
	}
	return l.f.Close()
}

func (l *localFile) Abort() error { return l.f.Close() }

// Open implements FS.
func (Local) Open(_ context.Context, name string) (ReadFile, error) {
	f, err := os.Open(osPath(name))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return &localReadFile{File: f, size: st.Size()}, nil
}

type localReadFile struct {
	*os.File
	size int64
}

func (r *localReadFile) Size() int64 { return r.size }

// Rename implements FS.
func (Local) Rename(_ context.Context, oldpath, newpath string) error {
	if err := os.Rename(osPath(oldpath), osPath(newpath)); err != nil {
		return err
	}
	return syncDir(path.Dir(newpath))
}

func syncDir(dir string) error {
	d, err := os.Open(osPath(dir))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// Remove implements FS.
func (Local) Remove(_ context.Context, name string) error { return os.Remove(osPath(name)) }

// MkdirAll implements FS.
func (l Local) MkdirAll(_ context.Context, dir string) error {
	return os.MkdirAll(osPath(dir), fs.FileMode(l.Perms.WithDefaults().Dir))
}

// Stat implements FS.
func (Local) Stat(_ context.Context, name string) (fs.FileInfo, error) { return os.Stat(osPath(name)) }

// ReadDir implements FS.
func (Local) ReadDir(_ context.Context, dir string) ([]fs.FileInfo, error) {
	entries, err := os.ReadDir(osPath(dir))
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// Open parses an output root URL and returns its filesystem and the root path within it.
// file:///abs/path and plain paths (made absolute) are the local filesystem. hdfs:// URLs are
// HDFS, through h (see parseHDFSURL for the forms): hdfs://nn1:8020,nn2:8020/path names the
// namenodes, in failover order; hdfs://nameservice/path resolves a nameservice through
// hdfs-site.xml; hdfs:///path takes fs.defaultFS. Opening HDFS connects, and the *HDFS is shared
// by every Open of the same namenodes and options in the process; Close it (it is an io.Closer)
// to release this Open's share. Files and directories get DefaultPerms; OpenWith chooses.
func Open(root string, h HDFSOptions) (FS, string, error) { return OpenWith(root, h, Perms{}) }

// OpenWith is Open creating files and directories with p.
func OpenWith(root string, h HDFSOptions, perms Perms) (FS, string, error) {
	perms = perms.WithDefaults()
	if isHDFSURL(root) {
		conf, err := loadHadoopConf(h.HadoopConfDir)
		if err != nil {
			return nil, "", fmt.Errorf("output root %q: %w", root, err)
		}
		addrs, p, err := parseHDFSURL(root, conf)
		if err != nil {
			return nil, "", err
		}
		fsys, err := openShared(h, conf, addrs, perms)
		if err != nil {
			return nil, "", fmt.Errorf("output root %q: %w", root, err)
		}
		return fsys, p, nil
	}
	dir, err := localRoot(root)
	if err != nil {
		return nil, "", err
	}
	return Local{Perms: perms}, dir, nil
}

// CheckRoot reports what Open would reject in root and the Hadoop configuration, without
// connecting anywhere: for validating a configuration on a machine that cannot reach the cluster.
func CheckRoot(root string, h HDFSOptions) error {
	if isHDFSURL(root) {
		conf, err := loadHadoopConf(h.HadoopConfDir)
		if err != nil {
			return fmt.Errorf("output root %q: %w", root, err)
		}
		_, _, err = parseHDFSURL(root, conf)
		return err
	}
	_, err := localRoot(root)
	return err
}

func localRoot(root string) (string, error) {
	switch {
	case strings.HasPrefix(root, "file://"):
		p := strings.TrimPrefix(root, "file://")
		if !strings.HasPrefix(p, "/") {
			return "", fmt.Errorf("output root %q: a file:// URL needs an absolute path, as in file:///data/out", root)
		}
		return path.Clean(p), nil
	case strings.Contains(root, "://"):
		scheme := root[:strings.Index(root, "://")]
		return "", fmt.Errorf("output root %q: unsupported scheme %s://; use hdfs://namenode:8020/path, file:///path or a local path", root, scheme)
	case root == "":
		return "", errors.New("output root is empty; set output.root to hdfs://namenode:8020/path, a local path or file:///path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("output root %q: %w", root, err)
	}
	return filepath.ToSlash(abs), nil
}
