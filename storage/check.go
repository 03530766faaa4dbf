package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"time"
)

// NotWritableError says a directory the loader must write to cannot take a file. Err is the
// filesystem's error, which names the path and the OS error (a *fs.PathError on both backends).
type NotWritableError struct {
	Dir string
	Err error
}

func (e *NotWritableError) Error() string {
	return fmt.Sprintf("output directory %s is not writable: %v", e.Dir, e.Err)
}

func (e *NotWritableError) Unwrap() error { return e.Err }

// CheckWritable proves that dir exists (creating it and its parents) and can take a file: it
// creates, writes, closes and removes a small probe file in it. A root that is read-only, under a
// regular file or on a full disk fails here, at the start, rather than at the first flush, when
// records were already consumed. The probe's name starts with a dot, which every reader of the
// output (and the audit) skips, should a crash leave it behind.
func CheckWritable(ctx context.Context, fsys FS, dir string) error {
	if err := fsys.MkdirAll(ctx, dir); err != nil {
		return &NotWritableError{Dir: dir, Err: err}
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	probe := path.Join(dir, ".kafka2hdfs-probe-"+hex.EncodeToString(id[:]))
	f, err := fsys.Create(ctx, probe)
	if err != nil {
		return &NotWritableError{Dir: dir, Err: err}
	}
	// Once the probe exists, it is removed even if ctx is cancelled meanwhile (a loader stopped
	// while it starts): a cancelled removal left it behind and reported the directory as not
	// writable, which it was.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeCleanupTimeout)
	defer cancel()
	if _, err := f.Write([]byte("probe\n")); err != nil {
		_ = f.Abort()
		return &NotWritableError{Dir: dir, Err: fmt.Errorf("write %s: %w", probe, err)}
	}
	if err := f.Close(); err != nil {
		_ = fsys.Remove(cleanup, probe)
		return &NotWritableError{Dir: dir, Err: fmt.Errorf("close %s: %w", probe, err)}
	}
	if err := fsys.Remove(cleanup, probe); err != nil {
		return &NotWritableError{Dir: dir, Err: err}
	}
	return nil
}

// probeCleanupTimeout bounds the probe's removal once its context no longer does.
const probeCleanupTimeout = 30 * time.Second
