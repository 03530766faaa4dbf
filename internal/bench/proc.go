package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Usage is what the kernel accounted to one finished subprocess.
type Usage struct {
	Wall time.Duration
	// CPU is user plus system time.
	CPU time.Duration
	// MaxRSS is the peak resident set size in bytes (getrusage reports KiB on Linux).
	MaxRSS int64
}

// measure runs bin with args to completion and returns its output and kernel accounting. A
// non-zero exit is an error that quotes the end of the output.
func (b *bench) measure(ctx context.Context, name string, args ...string) (stdout string, u Usage, err error) {
	cmd := exec.CommandContext(ctx, b.opts.Binary, args...)
	cmd.Env = append(cmd.Environ(), b.opts.Env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = 5 * time.Second
	b.logf("  %s: %s %s", name, b.opts.Binary, strings.Join(args, " "))
	lowerPeakRSS()
	start := time.Now()
	err = cmd.Run()
	u.Wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.CPU = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
			u.MaxRSS = ru.Maxrss << 10
		}
	}
	if err != nil {
		return out.String(), u, fmt.Errorf("%s: %w\n%s", name, err, tail(out.String()+errOut.String(), 30))
	}
	return out.String(), u, nil
}

// lowerPeakRSS returns this process's free memory to the OS and resets its peak RSS to its
// current RSS, just before a measured child starts.
//
// NOTE: on Linux a child's getrusage ru_maxrss is at least its parent's peak RSS at the time of
// the fork. Go starts children with clone(CLONE_VM|CLONE_VFORK), so the child runs in the parent's
// address space until it execs, and exec folds that address space's high-water mark into the
// child's maxrss (fs/exec.c, setmax_mm_hiwater_rss). Without this, a bench process that had seeded
// 100k records itself or read back an output charged its own peak (214 MiB, measured) to every
// party after it. Writing 5 to clear_refs resets the high-water mark (Documentation/filesystems/proc.rst).
func lowerPeakRSS() {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// server is a helper process (the broker, the test HDFS) that runs until stopped.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu  sync.Mutex
	out bytes.Buffer // everything it printed
}

// startServer starts bin with args and waits until its stdout has a line starting with each of
// the prefixes, returning the rest of those lines. It is stopped with stop.
func (b *bench) startServer(ctx context.Context, name string, timeout time.Duration, prefixes []string, args ...string) (*server, []string, error) {
	cmd := exec.Command(b.opts.Binary, args...)
	cmd.Env = append(cmd.Environ(), b.opts.Env...)
	pr, pw := io.Pipe()
	s := &server{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = pw
	cmd.Stderr = &lockedWriter{s}
	b.logf("  %s: %s %s", name, b.opts.Binary, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	found := make(chan []string, 1)
	go func() {
		vals := make([]string, len(prefixes))
		seen := 0
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.out.WriteString(line + "\n")
			s.mu.Unlock()
			for i, p := range prefixes {
				if vals[i] == "" && strings.HasPrefix(line, p) {
					vals[i] = strings.TrimSpace(strings.TrimPrefix(line, p))
					if seen++; seen == len(prefixes) {
						found <- vals
					}
				}
			}
		}
		// Keep draining is done by the scanner; after EOF nothing more comes.
	}()
	select {
	case vals := <-found:
		return s, vals, nil
	case <-s.done:
		return nil, nil, fmt.Errorf("%s exited before it was ready: %v\n%s", name, s.err, tail(s.output(), 30))
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	s.stop()
	return nil, nil, fmt.Errorf("%s was not ready after %s (%v)\n%s", name, timeout, ctx.Err(), tail(s.output(), 30))
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// stop interrupts the server and waits for it, killing it if it does not exit in time.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

type lockedWriter struct{ s *server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.out.Write(p)
}

// ErrVerify marks a run whose output or counts are wrong: the benchmark fails rather than report it.
var ErrVerify = errors.New("verification failed")
