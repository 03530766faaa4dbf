// Package storage is the filesystem the loader writes to: the local filesystem or HDFS, behind one
// small os-shaped interface. Everything above it (writer, offsets, audit) speaks only FS, so the
// commit protocol is the same code on both.
package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
)

// ErrUnavailable marks a failure to reach the filesystem's service (no NameNode answered): the
// configuration may be right, and trying again later may work. Callers branch on it to tell such a
// failure from a wrong configuration (errors.Is(err, ErrUnavailable)).
var ErrUnavailable = errors.New("filesystem unavailable")

// ErrRefused marks a refusal of the loader's credentials by the filesystem's security (a KDC, a
// NameNode): an unknown principal, a stale keytab, an expired ticket cache. No retry cures it, but
// the configuration file may be right (a cache expires, a keytab goes stale under a password
// change), so the command line exits 1 for it, as for a refused Kafka login, not 2.
var ErrRefused = errors.New("credentials refused")

// refused marks err as ErrRefused without changing its message.
type refused struct{ err error }

func (r refused) Error() string   { return r.err.Error() }
func (r refused) Unwrap() []error { return []error{r.err, ErrRefused} }

// unavailable marks err as ErrUnavailable without changing its message.
type unavailable struct{ err error }

func (e unavailable) Error() string        { return e.err.Error() }
func (e unavailable) Unwrap() error        { return e.err }
func (e unavailable) Is(target error) bool { return target == ErrUnavailable }

// FS is the subset of a filesystem the loader needs. Paths are slash-separated and absolute within
// the filesystem. Implementations must be safe for concurrent use, and must report a missing path
// with an error for which errors.Is(err, fs.ErrNotExist) is true, an existing one with fs.ErrExist.
type FS interface {
	// Create creates name for writing; it fails with fs.ErrExist if name exists. The parent
	// directory must exist. Data is durable only once Close returned nil.
	Create(ctx context.Context, name string) (File, error)
	// Open opens name for reading.
	Open(ctx context.Context, name string) (ReadFile, error)
	// Rename moves oldpath to newpath, replacing newpath if it exists (HDFS through colinmarc/hdfs
	// and POSIX both do); callers that must not clobber check first.
	Rename(ctx context.Context, oldpath, newpath string) error
	// Remove removes a file or an empty directory.
	Remove(ctx context.Context, name string) error
	// MkdirAll creates dir and its parents; an existing directory is fine.
	MkdirAll(ctx context.Context, dir string) error
	// Stat describes name.
	Stat(ctx context.Context, name string) (fs.FileInfo, error)
	// ReadDir lists dir sorted by name.
	ReadDir(ctx context.Context, dir string) ([]fs.FileInfo, error)
}

// File is a file open for writing.
type File interface {
	io.Writer
	// Close flushes and closes the file. Its error must be checked: only a nil return means the
	// bytes are durable. An implementation retries what its backend says is retryable.
	Close() error
	// Abort closes the file without making it durable, for a write that will be thrown away.
	Abort() error
}

// ReadFile is a file open for reading.
type ReadFile interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}
