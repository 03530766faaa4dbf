package offsets

import "errors"

// ErrFenced means the group coordinator refused a commit because this member's generation is no
// longer current: another member owns the partition now. The step must be abandoned, publishing
// nothing; the new owner replays it or rolls its prepared form forward.
var ErrFenced = errors.New("fenced: this member's group generation is no longer current")

// ErrRebalancing means the group is rebalancing and did not take the commit. Nothing was committed;
// the step is abandoned and the partition's next owner replays it.
var ErrRebalancing = errors.New("group is rebalancing; commit not taken")

// Committed is a topic-partition's committed offset (-1 for none) and its metadata.
type Committed struct {
	Offset   int64
	Metadata string
}
