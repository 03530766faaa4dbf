//go:build failpoints

// Package failpoint kills, pauses or slows the process at named points of the commit protocol, so
// crash tests can run the real binary and SIGKILL it between any two steps, freeze it there
// (SIGSTOP) to make a zombie, or widen the window between two steps so that a kill at a random
// moment lands in it often. It is off unless the environment variable K2H_FAILPOINT is
// set, and then costs one atomic load per point.
//
// It is compiled in only with the build tag failpoints (go test -tags failpoints; the e2e tests
// build the binary they kill with it). The release build gets off.go instead: Hit is an empty
// function the compiler inlines away and the environment variable is never read, so no setting in
// a deployment's environment can kill or stop the loader.
//
//	K2H_FAILPOINT=<point>[:<n>[:<action>]][,<point>...]
//
// arms one rule per comma-separated entry. The action is kill (default: SIGKILL at the n-th time,
// default 1, the process reaches point; nothing flushed or closed), stop (SIGSTOP at the n-th
// time: every thread freezes where it is, heartbeats included, until someone sends SIGCONT; then
// the protocol carries on from the point as if nothing happened) or sleep=<duration> (a pause at
// the n-th time and every time after, as a slow broker or file system would make).
package failpoint

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Enabled says failpoints are compiled in (the failpoints build tag).
const Enabled = true

// Actions a failpoint can take.
const (
	Kill  = "kill"
	Stop  = "stop"
	Sleep = "sleep"
)

// Rule is one armed failpoint.
type Rule struct {
	Point  string
	Action string
	N      int64         // the hit that fires it (for Sleep, the first that does)
	Pause  time.Duration // for Sleep

	hits atomic.Int64
}

var (
	armed atomic.Bool
	rules []*Rule
)

func init() {
	if rules = Parse(os.Getenv(EnvVar)); len(rules) > 0 {
		armed.Store(true)
	}
}

// Parse reads a failpoint spec; an empty spec arms nothing. A count that is not a positive number
// counts as 1, and an unknown action or a sleep without a valid duration as kill, so a typo still
// stops the process loudly rather than silently never firing.
func Parse(spec string) []*Rule {
	var out []*Rule
	for _, entry := range strings.Split(spec, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		parts := strings.SplitN(entry, ":", 3)
		r := &Rule{Point: parts[0], Action: Kill, N: 1}
		if len(parts) > 1 {
			if c, err := strconv.ParseInt(parts[1], 10, 64); err == nil && c > 0 {
				r.N = c
			}
		}
		if len(parts) > 2 {
			switch a, arg, _ := strings.Cut(parts[2], "="); a {
			case Stop:
				r.Action = Stop
			case Sleep:
				if d, err := time.ParseDuration(arg); err == nil && d > 0 {
					r.Action, r.Pause = Sleep, d
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// Hit fires the armed rules for name whose count is reached: SIGKILL (nothing is flushed or
// closed: that is the point), SIGSTOP, after which Hit returns once the process got SIGCONT, or a
// pause.
func Hit(name string) {
	if !armed.Load() {
		return
	}
	for _, r := range rules {
		if r.Point != name {
			continue
		}
		n := r.hits.Add(1)
		switch {
		case r.Action == Sleep:
			if n >= r.N {
				time.Sleep(r.Pause)
			}
		case n == r.N:
			fire(name, r.Action)
		}
	}
}

func fire(name, action string) {
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
