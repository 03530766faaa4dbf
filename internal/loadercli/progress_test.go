package loadercli

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

type fakeProgress struct{ done atomic.Int64 }

func (f *fakeProgress) Progress() consumer.Progress {
	return consumer.Progress{Done: f.done.Load(), Bytes: f.done.Load() * 1000, Total: 1000}
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var zeroRate = regexp.MustCompile(`(^|[^0-9.])0 records/`)

// A log line written while the bar is shown starts on a line of its own (the bar's line cleared),
// not in the middle of the bar; and no frame shows a rate before one is known ("0 records/hr").
func TestProgressBarAndLogLines(t *testing.T) {
	var out lockedBuf
	term := &terminal{w: &out}
	log := slog.New(slog.NewTextHandler(term, nil))
	src := &fakeProgress{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); runBar(ctx, term.bar(), src, time.Now()) }()
	time.Sleep(450 * time.Millisecond)
	src.done.Store(300)
	time.Sleep(450 * time.Millisecond)
	log.Info("a log line while the bar is shown")
	src.done.Store(1000)
	time.Sleep(450 * time.Millisecond)
	cancel()
	<-done
	got := out.String()
	// A rate of zero, not a rate ending in 0 ("500 records/s").
	if strings.Contains(got, "/hr") || zeroRate.MatchString(got) {
		t.Errorf("a frame shows a rate before one is known:\n%q", got)
	}
	i := strings.Index(got, "time=")
	if i < 0 {
		t.Fatalf("no log line:\n%q", got)
	}
	if !strings.HasSuffix(got[:i], "\r\x1b[K") {
		t.Errorf("the log line does not start on a cleared line: ...%q", got[max(0, i-80):i+10])
	}
	if !strings.Contains(got, "records/s") {
		t.Errorf("no frame shows the rate once known:\n%q", got)
	}
}
