package bench

// Event shapes of the seeded messages.
const (
	// EventSample is internal/sample's clickstream event (~750 bytes, many fields the bench schema
	// does not read, cart only on a quarter of the events): what dev-kafka serves for the demo.
	EventSample = "sample"
	// EventBench is the bench's own event: exactly the fields Schema reads, every one on every
	// event, 200 bytes on average (at most 215) before padding, so that a 200-byte case is possible and every column the
	// loader builds has a value to convert.
	EventBench = "bench"
)
