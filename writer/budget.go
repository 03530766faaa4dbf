package writer

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Budget bounds what all partitions of a process hold at once: buffered bytes (rows waiting for
// their row group, and the fixed cost of open writers) and open files. It tells the consumer when
// the process is over budget and which partition must give memory back (the one with the most
// unsealed bytes), signals that partition, and lets the others wait until memory is released, so
// the budget is held by spilling, flushing and pausing, never by growing. It also bounds how many
// files are encoded at once, since each encoder holds a row group's pages beside the rows.
type Budget struct {
	// MaxBytes held across all partitions. Default: 256 MiB.
	MaxBytes int64
	// MaxFiles open at once across all partitions. Default: 256.
	MaxFiles int
	// Encoders is how many row groups may be encoded at once. Default: GOMAXPROCS, at least 2.
	Encoders int
	// SpillDir is where buffered rows go when the process is over MaxBytes, so that memory is
	// freed without cutting files (see Partition.Spill). Empty: no spilling; a partition is
	// flushed instead.
	SpillDir string
	// MaxSpillBytes bounds the spill files across all partitions; past it the budget falls back
	// to flushing. Default: 4 GiB.
	MaxSpillBytes int64

	bytes atomic.Int64
	files atomic.Int64
	spill atomic.Int64 // bytes in spill files
	// Peaks and totals, for tests, the metrics and the benchmark report.
	peakBytes  atomic.Int64
	peakFiles  atomic.Int64
	peakSpill  atomic.Int64
	spilled    atomic.Int64 // bytes ever spilled
	spillCount atomic.Int64 // segments ever spilled

	encOnce sync.Once
	enc     chan struct{}

	mu       sync.Mutex
	parts    map[*account]struct{}
	released chan struct{} // closed and replaced whenever memory or a file is released
}

type account struct {
	tp    offsets.TP
	b     *Budget
	bytes atomic.Int64 // all the partition holds, sealed batches included
	open  atomic.Int64 // what a flush of the partition would release: its unsealed buffers
	files atomic.Int64
	spill atomic.Int64
	flush chan struct{}
}

// add moves the partition's held bytes by n and its unsealed bytes by open.
func (a *account) add(n, open int64) {
	a.open.Add(open)
	if n == 0 {
		return
	}
	a.bytes.Add(n)
	raise(&a.b.peakBytes, a.b.bytes.Add(n))
	if n < 0 {
		a.b.release()
	}
}

// addSpill moves the partition's spilled bytes by n.
func (a *account) addSpill(n int64) {
	a.spill.Add(n)
	raise(&a.b.peakSpill, a.b.spill.Add(n))
	if n > 0 {
		a.b.spilled.Add(n)
		a.b.spillCount.Add(1)
	}
}

func (a *account) addFile() {
	a.files.Add(1)
	raise(&a.b.peakFiles, a.b.files.Add(1))
}

func (a *account) addFiles(n int64) {
	a.files.Add(n)
	a.b.files.Add(n)
	if n < 0 {
		a.b.release()
	}
}

// release wakes whoever waits for the budget.
func (b *Budget) release() {
	b.mu.Lock()
	if b.released != nil {
		close(b.released)
		b.released = nil
	}
	b.mu.Unlock()
}

// Wait blocks until the process is within its budget, stop is closed, or a flush of this partition
// is requested (then it returns true: the caller must flush, or nobody will). The partition that
// is asked to flush does not wait: Relieve tells it so.
func (b *Budget) Wait(p *Partition, stop <-chan struct{}) (flush bool) {
	for {
		b.mu.Lock()
		if !b.Over() {
			b.mu.Unlock()
			return false
		}
		if b.released == nil {
			b.released = make(chan struct{})
		}
		released := b.released
		b.mu.Unlock()
		select {
		case <-released:
		case <-p.acct.flush:
			return true
		case <-stop:
			return false
		}
	}
}

// encoder takes one of the Budget's encoder slots; release gives it back.
func (b *Budget) encoder(ctx context.Context) (release func(), err error) {
	b.encOnce.Do(func() {
		n := b.Encoders
		if n <= 0 {
			n = max(runtime.GOMAXPROCS(0), 2)
		}
		b.enc = make(chan struct{}, n)
	})
	select {
	case b.enc <- struct{}{}:
		return func() { <-b.enc }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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

// Spill is the bytes in spill files now; PeakSpill the most at once.
func (b *Budget) Spill() int64     { return b.spill.Load() }
func (b *Budget) PeakSpill() int64 { return b.peakSpill.Load() }

// Spilled is the bytes ever written to spill files, in Spills segments.
func (b *Budget) Spilled() (bytes, spills int64) { return b.spilled.Load(), b.spillCount.Load() }

// spillRoom reports whether n more bytes may be spilled.
func (b *Budget) spillRoom(n int64) bool {
	max := b.MaxSpillBytes
	if max <= 0 {
		max = DefaultMaxSpillBytes
	}
	return b.SpillDir != "" && b.spill.Load()+n <= max
}

// fileRoom reports whether a file costing cost may be opened for a growing bucket: under the open
// files limit, and leaving a quarter of the bytes for rows. A bucket that finds no room goes on
// buffering its rows, which the budget can spill; an open file's cost only a flush (a cut) frees,
// so files must not fill the budget.
func (b *Budget) fileRoom(cost int64) bool {
	return b.files.Load() < b.maxFiles() && b.bytes.Load()+cost <= b.maxBytes()-b.maxBytes()/4
}

func (b *Budget) maxBytes() int64 {
	if b.MaxBytes > 0 {
		return b.MaxBytes
	}
	return DefaultMaxBufferedBytes
}

func (b *Budget) maxFiles() int64 {
	if b.MaxFiles > 0 {
		return int64(b.MaxFiles)
	}
	return DefaultMaxOpenFiles
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
	b.spill.Add(-a.spill.Swap(0))
	a.open.Store(0)
	b.release()
}

// Bytes is the buffered bytes across all partitions.
func (b *Budget) Bytes() int64 { return b.bytes.Load() }

// Files is the number of open files across all partitions.
func (b *Budget) Files() int64 { return b.files.Load() }

// Over reports whether the process holds more than its budget.
func (b *Budget) Over() bool {
	return b.bytes.Load() > b.maxBytes() || b.files.Load() > b.maxFiles()
}

// Relieve picks the partition whose relief would release the most (unsealed bytes, then files) and
// signals it to give memory back (Partition.Spill, or a flush where spilling cannot help). It
// returns true if that partition is self, so the caller does so in line instead of waiting.
func (b *Budget) Relieve(self *Partition) bool {
	b.mu.Lock()
	var best *account
	for a := range b.parts {
		if a.open.Load() == 0 && a.files.Load() == 0 {
			continue
		}
		if best == nil || a.open.Load() > best.open.Load() ||
			(a.open.Load() == best.open.Load() && a.files.Load() > best.files.Load()) {
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
