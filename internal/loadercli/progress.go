package loadercli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

// Progress display modes (--progress).
const (
	progressAuto = "auto" // a bar when stderr is a terminal, log lines otherwise
	progressBar  = "bar"
	progressLog  = "log"
	progressNone = "none"
)

// terminal is one output stream shared by log lines and a progress bar that redraws its line.
type terminal struct {
	mu sync.Mutex
	w  io.Writer
	// barShown says the current line holds the bar (no newline after it yet).
	barShown bool
}

// Write writes a log line (or any text) on a line of its own: over the bar's line, cleared first.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.barShown {
		if _, err := io.WriteString(t.w, "\r\x1b[K"); err != nil {
			return 0, err
		}
		t.barShown = false
	}
	return t.w.Write(p)
}

// bar is the writer for the progress bar itself.
func (t *terminal) bar() io.Writer { return barWriter{t} }

type barWriter struct{ t *terminal }

func (b barWriter) Write(p []byte) (int, error) {
	b.t.mu.Lock()
	defer b.t.mu.Unlock()
	b.t.barShown = len(p) > 0 && p[len(p)-1] != '\n'
	return b.t.w.Write(p)
}

// startProgress shows a batch run's progress until the returned stop is called: a live bar
// (records done / total, MB/s, ETA) on a terminal, a log line every `every` otherwise. Cron logs
// get the lines; a person at a terminal gets the bar.
func startProgress(mode string, every time.Duration, w io.Writer, log *slog.Logger, g *consumer.Group) (stop func()) {
	out := w
	if t, ok := w.(*terminal); ok {
		out = t.w
		w = t.bar()
	}
	if mode == progressAuto {
		mode = progressLog
		if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = progressBar
		}
	}
	if mode == progressNone {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// The total is known once the snapshot is taken, right after the run starts.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for g.Targets() == nil {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		start := time.Now()
		if mode == progressBar {
			runBar(ctx, w, g, start)
		} else {
			runLogLines(ctx, every, log, g, start)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// rate returns MB/s and the estimated time left from the counters so far.
func rate(p consumer.Progress, took time.Duration) (mbps float64, eta time.Duration, known bool) {
	secs := took.Seconds()
	if secs <= 0 || p.Done == 0 {
		return 0, 0, false
	}
	mbps = float64(p.Bytes) / 1e6 / secs
	left := max(0, p.Total-p.Done)
	eta = time.Duration(float64(left) / (float64(p.Done) / secs) * float64(time.Second))
	return mbps, eta, true
}

// progressSource is what the display reads: the group's counters.
type progressSource interface{ Progress() consumer.Progress }

func runBar(ctx context.Context, w io.Writer, g progressSource, start time.Time) {
	p := g.Progress()
	bar := progressbar.NewOptions64(max(p.Total, 1),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("loading"),
		progressbar.OptionShowCount(),
		// No its/s from the bar: its first frames show "0 records/hr" before any rate is known.
		// The description carries the rate once there is one.
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	update := func() {
		p := g.Progress()
		if bar.IsFinished() {
			return // everything is consumed; the run ends once the last commits land
		}
		if p.Done > bar.GetMax64() {
			bar.ChangeMax64(p.Done) // re-consumed records after a rebalance
		}
		if mbps, _, ok := rate(p, time.Since(start)); ok {
			bar.Describe(fmt.Sprintf("loading %.0f records/s, %.1f MB/s", float64(p.Done)/time.Since(start).Seconds(), mbps))
		}
		_ = bar.Set64(p.Done)
	}
	for {
		select {
		case <-ctx.Done():
			update()
			_ = bar.Finish()
			return
		case <-tick.C:
			update()
		}
	}
}

func runLogLines(ctx context.Context, every time.Duration, log *slog.Logger, g *consumer.Group, start time.Time) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		p := g.Progress()
		attrs := []any{"records", p.Done, "total", p.Total}
		if p.Total > 0 {
			attrs = append(attrs, "percent", fmt.Sprintf("%.1f", 100*float64(min(p.Done, p.Total))/float64(p.Total)))
		}
		if mbps, eta, ok := rate(p, time.Since(start)); ok {
			attrs = append(attrs, "mb_per_s", fmt.Sprintf("%.2f", mbps), "eta", eta.Round(time.Second))
		}
		log.Info("batch progress", attrs...)
	}
}
