package completeness

import "time"

// DefaultInterval is how often the completer looks for buckets to close (completeness.interval);
// config's WithDefaults and Options.WithDefaults both use it.
const DefaultInterval = time.Minute
