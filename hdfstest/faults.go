package hdfstest

import (
	"sync"
	"sync/atomic"
	"time"
)

// faults holds the fault-injection knobs. They are read on every connection, RPC or packet, so
// the hot ones are atomics; the write failure needs a mutex because arming and consuming it
// touch two values.
type faults struct {
	refuseUntil  atomic.Int64 // unix nanoseconds; new connections before this are closed
	latency      atomic.Int64 // nanoseconds added before every NameNode reply
	replicating  atomic.Int64 // complete calls still to answer with result=false
	writeFailure struct {
		sync.Mutex
		armed  bool
		budget int64 // data bytes still accepted before the failing packet
	}
}

// FailWriteAfter makes the DataNode fail a block write once n more data bytes have arrived,
// counted across all WRITE_BLOCK streams from now on. Packets that fit in the budget are stored
// and acknowledged; the packet that would exceed it is answered with an ERROR ack and the
// connection is closed. The fault fires once.
//
// What the client sees: a Write (if the failed ack has arrived by then) or else the Close returns
// "Ack error from datanode: ERROR" (the DataNode half-closes and drains the connection so that the
// ack is not lost to a reset; a client that keeps writing for over 2 s may see a broken pipe
// instead). The file stays under construction, held by the writer: Stat shows only the blocks
// finished before the failure, and those read back fine; other clients get
// AlreadyBeingCreatedException on create or append. Close reports the stream error (once more,
// if a Write already did); after that, Close commits the length the client believes it wrote and
// keeps getting hdfs.ErrReplicating, as on a real cluster, because that block never reached a
// finalized replica (from then on Stat also reports that length, which cannot be read back). The
// file can be deleted, or be taken over by another client once Options.LeaseSoftLimit has passed,
// which truncates it to what the DataNode stored.
func (c *Cluster) FailWriteAfter(n int64) {
	w := &c.faults.writeFailure
	w.Lock()
	w.armed, w.budget = true, max(n, 0)
	w.Unlock()
}

// consumeWrite accounts n data bytes against an armed write failure. It reports false if the
// packet carrying them must fail, disarming the fault.
func (f *faults) consumeWrite(n int64) bool {
	w := &f.writeFailure
	w.Lock()
	defer w.Unlock()
	if !w.armed {
		return true
	}
	if n > w.budget {
		w.armed = false
		return false
	}
	w.budget -= n
	return true
}

// CompleteReplicating makes the next n complete calls answer result=false, which the client
// reports as hdfs.ErrReplicating from FileWriter.Close (real HDFS does this while the last block
// has too few replicas). The call still records the last block's length, and a later Close,
// which re-sends complete, succeeds once the n answers are used up.
func (c *Cluster) CompleteReplicating(n int) { c.faults.replicating.Store(int64(max(n, 0))) }

// takeReplicating consumes one pending result=false answer, if any.
func (f *faults) takeReplicating() bool {
	for {
		n := f.replicating.Load()
		if n <= 0 {
			return false
		}
		if f.replicating.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// RefuseConnections makes the NameNode and the DataNode close every new connection at once for
// d. Established connections keep working.
//
// What the client sees: hdfs.NewClient fails with a broken pipe or, since its handshake only
// writes, succeeds and fails its first call; such a client then refuses all calls for 5 s ("no
// available namenodes"). A block read or write started in the window fails with EOF or a
// connection reset. Refusal happens when a connection is accepted, so a connection that is still
// in the listen backlog when the window opens is refused too.
func (c *Cluster) RefuseConnections(d time.Duration) {
	c.faults.refuseUntil.Store(time.Now().Add(d).UnixNano())
}

func (f *faults) refusing() bool { return time.Now().UnixNano() < f.refuseUntil.Load() }

// SetLatency delays every NameNode reply by d; 0 turns the delay off. Close cuts a delay short.
func (c *Cluster) SetLatency(d time.Duration) { c.faults.latency.Store(int64(max(d, 0))) }

// Pending reports the faults armed but not yet fired, so a test can prove its fault happened.
func (c *Cluster) Pending() (writeFailure bool, replicating int) {
	w := &c.faults.writeFailure
	w.Lock()
	armed := w.armed
	w.Unlock()
	return armed, int(c.faults.replicating.Load())
}
