package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/failpoint"
)

// proc is the real kafka2hdfs binary running as a subprocess (`batch` or `run`), for the fault
// tests that SIGKILL, SIGSTOP and SIGCONT it. Its combined output is kept, and can be waited on.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // Wait's result, set before done is closed
}

// syncBuffer is an output buffer the process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeConfig writes the harness config for group, with session_timeout replaced, and returns its
// path.
func (h *harness) writeConfig(t *testing.T, group string, session time.Duration, edit func(string) string) string {
	t.Helper()
	y := h.configYAML(group)
	if !strings.Contains(y, "session_timeout: 6s") {
		t.Fatal("the harness config has no session_timeout: 6s to replace")
	}
	y = strings.Replace(y, "session_timeout: 6s", "session_timeout: "+session.String(), 1)
	if edit != nil {
		before := y
		if y = edit(y); y == before {
			t.Fatal("the config edit changed nothing: the harness config no longer has what it replaces")
		}
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// spawn starts `kafka2hdfs <mode> --config cfgPath` with the failpoint spec armed ("" for none).
// The test's cleanup kills it if it still runs.
func spawn(t *testing.T, name, mode, cfgPath, spec string) *proc {
	t.Helper()
	return spawnArgs(t, name, []string{mode, "--config", cfgPath}, failpoint.EnvVar+"="+spec)
}

// spawnArgs starts the loader binary with args and env added to the test's environment; like
// spawn, it is killed at the test's end if it is still running.
func spawnArgs(t *testing.T, name string, args []string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{t: t, name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitFor waits until the output contains s, and reports whether it did before the deadline or the
// process's exit.
func (p *proc) waitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(p.out.String(), s) {
			return true
		}
		if p.exited() {
			return strings.Contains(p.out.String(), s)
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signal sends sig to the process unless it already exited.
func (p *proc) signal(sig syscall.Signal) {
	if p.exited() {
		return
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
}

// kill SIGKILLs the process and waits for it; it reports whether the kill is what ended it (false
// if it had exited on its own first).
func (p *proc) kill() bool {
	p.signal(syscall.SIGKILL)
	<-p.done
	return p.killedBy(syscall.SIGKILL)
}

func (p *proc) killedBy(sig syscall.Signal) bool {
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
			return true
		}
	}
	return false
}

// wait waits for the process to exit and returns Wait's error; it fails the test if it does not exit
// in time.
func (p *proc) wait(timeout time.Duration) error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		p.t.Fatalf("%s did not exit within %s; output:\n%s", p.name, timeout, p.tail(4000))
		return nil
	}
}

// waitStopped waits until the kernel reports the process stopped (SIGSTOP took effect).
func (p *proc) waitStopped(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if procState(p.cmd.Process.Pid) == 'T' {
			return true
		}
		if p.exited() {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// procState is the state letter of /proc/<pid>/stat (R, S, T, Z, ...), or 0.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ...; comm may hold spaces, so look after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// lines returns the output lines containing all of the substrings.
func (p *proc) lines(subs ...string) []string {
	var out []string
	for _, l := range strings.Split(p.out.String(), "\n") {
		ok := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// tail is the last n bytes of the output.
func (p *proc) tail(n int) string { return tail(p.out.String(), n) }
