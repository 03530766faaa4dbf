// Package failpoint kills or pauses the process at named points of the commit protocol, so crash
// tests can run the real binary and SIGKILL it between any two steps, or freeze it there (SIGSTOP)
// to make a zombie. It is off unless the environment variable KAFKA2HDFS_FAILPOINT is set, and
// then costs one atomic load per point.
//
//	KAFKA2HDFS_FAILPOINT=<point>[:<n>[:<action>]]
//
// fires the n-th time (default 1) the process reaches point. The action is kill (default: SIGKILL,
// nothing flushed or closed) or stop (SIGSTOP: every thread freezes where it is, heartbeats
// included, until someone sends SIGCONT; then the protocol carries on from the point as if
// nothing happened).
package failpoint

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// EnvVar names the environment variable that arms a failpoint.
const EnvVar = "KAFKA2HDFS_FAILPOINT"

// Actions a failpoint can take.
const (
	Kill = "kill"
	Stop = "stop"
)

var (
	armed  atomic.Bool
	point  string
	action = Kill
	left   atomic.Int64
)

func init() {
	p, a, n, ok := Parse(os.Getenv(EnvVar))
	if !ok {
		return
	}
	point, action = p, a
	left.Store(n)
	armed.Store(true)
}

// Parse reads a failpoint spec. ok is false for an empty spec. A count that is not a positive
// number counts as 1, and an unknown action as kill, so a typo still stops the process loudly
// rather than silently never firing.
func Parse(spec string) (point, action string, n int64, ok bool) {
	if spec == "" {
		return "", "", 0, false
	}
	parts := strings.SplitN(spec, ":", 3)
	point, action, n = parts[0], Kill, 1
	if len(parts) > 1 {
		if c, err := strconv.ParseInt(parts[1], 10, 64); err == nil && c > 0 {
			n = c
		}
	}
	if len(parts) > 2 && parts[2] == Stop {
		action = Stop
	}
	return point, action, n, true
}

// Hit fires the armed failpoint if name is its point and its count is reached: SIGKILL (nothing is
// flushed or closed: that is the point), or SIGSTOP, after which Hit returns once the process got
// SIGCONT.
func Hit(name string) {
	if !armed.Load() || name != point {
		return
	}
	if left.Add(-1) != 0 {
		return
	}
	if action == Stop {
		// A SIGSTOP sent to the process stops it asynchronously: the kernel has another thread
		// take it, and this one may run on for a while (milliseconds on a loaded machine), long
		// enough to carry on with the protocol. So wait for the SIGCONT that ends the stop before
		// returning into the protocol.
		cont := make(chan os.Signal, 1)
		signal.Notify(cont, syscall.SIGCONT)
		defer signal.Stop(cont)
		os.Stderr.WriteString("failpoint " + name + ": stopping the process\n")
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		<-cont
		os.Stderr.WriteString("failpoint " + name + ": continued\n")
		return
	}
	os.Stderr.WriteString("failpoint " + name + ": killing the process\n")
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is asynchronous; never return into the protocol
}
