package consumer

import "sync"

// pauser is what fetchGate needs of a sarama consumer group.
type pauser interface {
	PauseAll()
	ResumeAll()
}

// fetchGate pauses every fetch while partitions wait for memory (see pipeline.underBudget): the
// records already fetched are then all that can pile up, so Kafka's share of the memory stops
// growing with the wait instead of queueing a new fetch response per partition.
type fetchGate struct {
	mu      sync.Mutex
	cg      pauser // nil until the group is joined
	waiters int
}

func (f *fetchGate) set(cg pauser) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cg = cg
}

func (f *fetchGate) enter() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiters++; f.waiters == 1 && f.cg != nil {
		f.cg.PauseAll()
	}
}

func (f *fetchGate) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.waiters--; f.waiters == 0 && f.cg != nil {
		f.cg.ResumeAll()
	}
}
