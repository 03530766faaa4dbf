package writer

import (
	"sync"
	"sync/atomic"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Budget bounds what all partitions of a process hold at once: buffered bytes and open files. It
// does not block writers; it tells the consumer when the process is over budget and which
// partition to flush (the one holding the most bytes), and signals that partition. The overshoot
// is bounded by one row group per partition that writes before the flushed one gets to run.
type Budget struct {
	// MaxBytes of buffered row data across all open files. Default: 256 MiB.
	MaxBytes int64
	// MaxFiles open at once across all partitions. Default: 256.
	MaxFiles int

	bytes atomic.Int64
	files atomic.Int64
	// Peaks, for tests and the benchmark report.
	peakBytes atomic.Int64
	peakFiles atomic.Int64

	mu    sync.Mutex
	parts map[*account]struct{}
}

type account struct {
	tp    offsets.TP
	b     *Budget
	bytes atomic.Int64
	files atomic.Int64
	flush chan struct{}
}

func (a *account) add(n int64) {
	a.bytes.Add(n)
	raise(&a.b.peakBytes, a.b.bytes.Add(n))
}

func (a *account) addFile() {
	a.files.Add(1)
	raise(&a.b.peakFiles, a.b.files.Add(1))
}

func (a *account) addFiles(n int64) {
	a.files.Add(n)
	a.b.files.Add(n)
}

func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// PeakBytes is the most buffered bytes seen at once.
func (b *Budget) PeakBytes() int64 { return b.peakBytes.Load() }

// PeakFiles is the most open files seen at once.
func (b *Budget) PeakFiles() int64 { return b.peakFiles.Load() }

func (b *Budget) maxBytes() int64 {
	if b.MaxBytes > 0 {
		return b.MaxBytes
	}
	return 256 << 20
}

func (b *Budget) maxFiles() int64 {
	if b.MaxFiles > 0 {
		return int64(b.MaxFiles)
	}
	return 256
}

func (b *Budget) register(tp offsets.TP) *account {
	a := &account{tp: tp, b: b, flush: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.parts == nil {
		b.parts = map[*account]struct{}{}
	}
	b.parts[a] = struct{}{}
	b.mu.Unlock()
	return a
}

func (b *Budget) unregister(a *account) {
	b.mu.Lock()
	delete(b.parts, a)
	b.mu.Unlock()
	b.bytes.Add(-a.bytes.Swap(0))
	b.files.Add(-a.files.Swap(0))
}

// Bytes is the buffered bytes across all partitions.
func (b *Budget) Bytes() int64 { return b.bytes.Load() }

// Files is the number of open files across all partitions.
func (b *Budget) Files() int64 { return b.files.Load() }

// Over reports whether the process holds more than its budget, or would with one more file.
func (b *Budget) Over(newFile bool) bool {
	files := b.files.Load()
	if newFile {
		files++
	}
	return b.bytes.Load() > b.maxBytes() || files > b.maxFiles()
}

// Relieve picks the partition holding the most (bytes, then files) and signals it to flush. It
// returns true if that partition is self, so the caller flushes in line instead of waiting.
func (b *Budget) Relieve(self *Partition) bool {
	b.mu.Lock()
	var best *account
	for a := range b.parts {
		if a.files.Load() == 0 {
			continue
		}
		if best == nil || a.bytes.Load() > best.bytes.Load() ||
			(a.bytes.Load() == best.bytes.Load() && a.files.Load() > best.files.Load()) {
			best = a
		}
	}
	b.mu.Unlock()
	if best == nil {
		return false
	}
	if self != nil && best == self.acct {
		return true
	}
	select {
	case best.flush <- struct{}{}:
	default: // already signalled
	}
	return false
}
