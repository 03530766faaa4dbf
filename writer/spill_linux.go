package writer

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openAnonymous opens a file in dir that has no name (O_TMPFILE), so no kill, however timed,
// can leave it behind.
func openAnonymous(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDWR|unix.O_TMPFILE, 0o600)
	if err != nil {
		// Kernels and file systems without O_TMPFILE answer with one of these.
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
			return nil, errNoAnonymous
		}
		return nil, err
	}
	return f, nil
}
