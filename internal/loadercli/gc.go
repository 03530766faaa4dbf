package loadercli

import (
	"os"
	"runtime/debug"
)

// gcPercent is the garbage collector's target when the loader sets its own memory limit. The
// loader's heap is bounded by the memory budget and Kafka's fetch sizes, and the soft limit
// (memory.limit) stops the heap from growing past them: with the default GOGC of 100 the collector
// ran every time the live heap doubled, 9-15% of the CPU at hundreds of thousands of records a
// second, although the limit was far off. A higher target lets the heap use the room the limit
// leaves; near the limit the collector runs as often as it must, as before.
const gcPercent = 400

// tuneGC sets the soft memory limit and the collector's target, unless the environment sets them
// (GOMEMLIMIT, GOGC), which always wins.
func tuneGC(limit int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(limit)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
