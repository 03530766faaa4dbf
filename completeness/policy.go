package completeness

import (
	"fmt"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// Policy is what happens to a record that arrives for a bucket already marked complete.
type Policy string

// Late-record policies.
const (
	// Into writes the record into the bucket as usual; the Completer lists its file under
	// late_files in the manifest and keeps _SUCCESS.
	Into Policy = "into"
	// LateRoot writes it under <root>/_late/<topic>/<bucket>/, through the same commit protocol.
	LateRoot Policy = "late_root"
	// DeadLetter writes it to the topic's dead letters with the reason "late for completed bucket".
	DeadLetter Policy = "dead_letter"
)

// LateDir is the root-relative directory of records written by the LateRoot policy:
// _late/<topic>/<bucket path>/<step file>.
const LateDir = offsets.LateDir

// LateReason is the dead-letter reason of a record sent there by the DeadLetter policy.
const LateReason = "late for completed bucket"

// ParsePolicy checks a configured policy; "" is Into.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return Into, nil
	case Into, LateRoot, DeadLetter:
		return p, nil
	}
	return "", fmt.Errorf("%q is not a late-record policy; use into (write into the bucket, noted in its manifest), late_root (under <root>/%s) or dead_letter", s, LateDir)
}

// Options configure completeness for a group.
type Options struct {
	// Enabled turns markers and late-record handling on.
	Enabled bool
	// Late is the late-record policy. Default: Into.
	Late Policy
	// Interval between completer passes in run mode; batch runs make one more pass at the end.
	// Default: 1m.
	Interval time.Duration
	// Lateness is how long after a bucket's end records may still arrive on time: the group's
	// rotation.allowed_lateness.
	Lateness time.Duration
}

// WithDefaults fills what is unset.
func (o Options) WithDefaults() Options {
	if o.Late == "" {
		o.Late = Into
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	return o
}
