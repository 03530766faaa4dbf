package consumer

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// minBadSample is how many records of a topic a run must have consumed before its dead-letter
// share is judged while it runs: the first records alone say little (a burst of bad ones at the
// start of a partition is not a broken schema). A batch run's end judges any count.
const minBadSample = 100

// badShareExceeded reports, as ErrTooManyBadRecords, whether the topic's dead letters (late
// records aside) passed share of the records it consumed in this run. share <= 0 or >= 1: no limit.
func badShareExceeded(topic string, st *TopicStats, share float64, minSample int64) error {
	if share <= 0 || share >= 1 {
		return nil
	}
	consumed, bad := st.consumed.Load(), st.rejected.Load()
	if consumed == 0 || consumed < minSample || float64(bad) <= share*float64(consumed) {
		return nil
	}
	return fmt.Errorf("%w: %d of %d records of topic %s (%.0f%%) went to dead letters, over errors.max_bad_share=%g; does the schema match the data? see the dead letters under _errors/%s and the summary's reasons",
		ErrTooManyBadRecords, bad, consumed, topic, 100*float64(bad)/float64(consumed), share, topic)
}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	numberRE = regexp.MustCompile(`-?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b`)
)

// badReason is the kind of a dead letter, for counting the most frequent: its stage and cause
// with the record's own values (quoted strings, numbers) left out, so that one broken column
// counts as one reason, not one per value.
func badReason(stage string, cause error) string {
	msg := cause.Error()
	var ce *schema.ConvertError
	if errors.As(cause, &ce) {
		msg = "column " + ce.Column + ": " + ce.Err.Error()
	}
	msg = quotedRE.ReplaceAllString(msg, `"…"`)
	msg = numberRE.ReplaceAllString(msg, "N")
	if len(msg) > 120 {
		msg = strings.ToValidUTF8(msg[:120], "") + "…"
	}
	return stage + ": " + msg
}
