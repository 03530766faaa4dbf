// Package failpoint kills the process at named points of the commit protocol, so crash tests can
// run the real binary and SIGKILL it between any two steps. It is off unless the environment
// variable KAFKA2HDFS_FAILPOINT is set, and then costs one atomic load per point.
//
// KAFKA2HDFS_FAILPOINT=<point>[:<n>] kills the process the n-th time (default 1) it reaches point.
package failpoint

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// EnvVar names the environment variable that arms a failpoint.
const EnvVar = "KAFKA2HDFS_FAILPOINT"

var (
	armed atomic.Bool
	point string
	left  atomic.Int64
)

func init() {
	spec := os.Getenv(EnvVar)
	if spec == "" {
		return
	}
	name, n, found := strings.Cut(spec, ":")
	count := int64(1)
	if found {
		if c, err := strconv.ParseInt(n, 10, 64); err == nil && c > 0 {
			count = c
		}
	}
	point = name
	left.Store(count)
	armed.Store(true)
}

// Hit kills the process with SIGKILL if name is the armed point and its count is reached. Nothing
// is flushed or closed: that is the point.
func Hit(name string) {
	if !armed.Load() || name != point {
		return
	}
	if left.Add(-1) == 0 {
		os.Stderr.WriteString("failpoint " + name + ": killing the process\n")
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is asynchronous; never return into the protocol
	}
}
