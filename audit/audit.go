package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Options says what to audit.
type Options struct {
	FS storage.FS
	// Root is the output root within FS (as storage.Open returns it).
	Root string
	// Deep opens every final file: checks it reads back whole, its row count, and that every
	// kafka_offset lies in the name's range and kafka_topic/kafka_partition match the name.
	Deep bool
	// Reader reads the files for Deep; nil is ParquetGoReader.
	Reader FileReader
	// Kafka (optional: nil client = files only): compare with the group's committed offsets and
	// metadata and each partition's log start and end. Config defaults to Client.Config(); an empty
	// Group reads log offsets only. The audit looks topics up by name: give it a client whose
	// Metadata.AllowAutoTopicCreation is false, or a topic deleted from Kafka may be created again.
	Client sarama.Client
	Config *sarama.Config
	Group  string
	// Topics limits the audit to these topics (nil: every topic found under the root and, with
	// Kafka, none extra). Only these topics' directories are walked.
	Topics []string
}

// Report is what an audit found. Problems make it unclean; warnings do not.
type Report struct {
	Root  string `json:"root"`
	Group string `json:"group,omitempty"`
	Kafka bool   `json:"kafka"`
	Deep  bool   `json:"deep"`
	// Reader names the Parquet implementation that read the files back (Deep only).
	Reader string `json:"reader,omitempty"`
	// Partitions, sorted by topic and partition.
	Partitions []Partition `json:"partitions"`
	// Staging lists every file under _staging (of the audited topics), relative to the root.
	Staging []string `json:"staging"`
	// Problems and Warnings, sorted by topic and partition.
	Problems []Problem `json:"problems"`
	Warnings []Problem `json:"warnings"`
	// Totals over Partitions.
	Files           int   `json:"files"`
	DeadLetterFiles int   `json:"dead_letter_files"`
	Bytes           int64 `json:"bytes"`
}

// Partition is one topic-partition.
type Partition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Files and DeadLetterFiles count final files under the topic's directory and under
	// _errors/<topic>; Steps counts their distinct offset ranges.
	Files           int `json:"files"`
	DeadLetterFiles int `json:"dead_letter_files"`
	Steps           int `json:"steps"`
	// First and Last are the covered offsets [First, Last] (the lowest start and highest end of
	// the ranges), -1 if none.
	First int64 `json:"first"`
	Last  int64 `json:"last"`
	Bytes int64 `json:"bytes"`
	// Rows and DeadLetterRows were read back (Deep only; -1 otherwise).
	Rows           int64 `json:"rows"`
	DeadLetterRows int64 `json:"dead_letter_rows"`
	// Committed is the group's committed offset, -1 for none or unknown; Metadata its metadata.
	Committed int64  `json:"committed"`
	Metadata  string `json:"metadata,omitempty"`
	// Pending describes a prepared step the commit metadata names, "" for none.
	Pending string `json:"pending,omitempty"`
	// LogStart and LogEnd are the partition's log start offset and high watermark, -1 unknown.
	LogStart int64 `json:"log_start"`
	LogEnd   int64 `json:"log_end"`
	// LagRecords is LogEnd minus where the loader resumes, -1 unknown (see the package doc).
	LagRecords int64 `json:"lag_records"`
}

// Problem is one finding. Partition is -1 when the finding is not about one partition (a bad name,
// a staging directory of no partition); Path is root-relative, "" when no file is concerned.
type Problem struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Kind      string `json:"kind"`
	Detail    string `json:"detail"`
	Path      string `json:"path,omitempty"`
}

// Problem and warning kinds. Problems: gap, overlap, bad-name, misplaced, unreadable,
// row-mismatch, offset-out-of-range, duplicate-offset, beyond-commit, behind-commit,
// lost-to-retention, past-log-end, bad-metadata. Warnings: staging, stray-file,
// not-from-log-start, no-commit, not-loaded, not-in-kafka, moving. pending-step is a warning while
// the prepared step's files are all there, a problem otherwise.
const (
	KindGap              = "gap"
	KindOverlap          = "overlap"
	KindBadName          = "bad-name"
	KindMisplaced        = "misplaced"
	KindUnreadable       = "unreadable"
	KindRowMismatch      = "row-mismatch"
	KindOffsetOutOfRange = "offset-out-of-range"
	KindDuplicateOffset  = "duplicate-offset"
	// KindStepFiles: a step's footers record another number of files (or rows) than are there.
	KindStepFiles       = "step-files"
	KindBeyondCommit    = "beyond-commit"
	KindBehindCommit    = "behind-commit"
	KindPendingStep     = "pending-step"
	KindLostToRetention = "lost-to-retention"
	KindPastLogEnd      = "past-log-end"
	KindBadMetadata     = "bad-metadata"
	KindStaging         = "staging"
	KindStrayFile       = "stray-file"
	KindNotFromLogStart = "not-from-log-start"
	KindNoCommit        = "no-commit"
	KindNotLoaded       = "not-loaded"
	KindNotInKafka      = "not-in-kafka"
	KindMoving          = "moving"
	// KindReset: offsets skipped or loaded again by `offsets reset`, as its reset record says.
	KindReset = "reset"
)

const (
	minParquetSize        = 12 // "PAR1", footer length, "PAR1"
	maxListedOffsets      = 10 // offsets listed in one problem's detail
	maxListedStagingTable = 20 // staging files listed in the table (JSON lists all)
)

// Clean reports whether the audit found no problems. Warnings (staging leftovers right after a
// crash, a pending step whose files are all there, ...) are normal states the loader's recovery
// resolves, and do not count.
func (r *Report) Clean() bool { return len(r.Problems) == 0 }

// Run audits o.Root. Its error is for failures of the audit itself (listing or reading the
// filesystem, asking Kafka); what is wrong with the data is in the report's problems.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.FS == nil || o.Root == "" {
		return nil, errors.New("audit: no filesystem or root")
	}
	if o.Client != nil && o.Config == nil {
		o.Config = o.Client.Config()
	}
	if o.Reader == nil {
		o.Reader = ParquetGoReader{}
	}
	a := &auditor{
		o:       o,
		reader:  o.Reader,
		rep:     &Report{Root: o.Root, Group: o.Group, Kafka: o.Client != nil, Deep: o.Deep, Staging: []string{}},
		tps:     map[offsets.TP]*tpState{},
		staging: map[stagingKey][]string{},
	}
	if o.Deep {
		a.rep.Reader = o.Reader.Name()
	}
	if o.Topics != nil {
		a.want = map[string]bool{}
		for _, t := range o.Topics {
			a.want[t] = true
		}
	}
	if o.Client == nil {
		o.Group = ""
		a.o.Group = ""
		a.rep.Group = ""
	}
	topics, err := a.listTopics(ctx)
	if err != nil {
		return nil, err
	}
	a.loadResets(ctx)
	var before map[offsets.TP]offsets.Committed
	if o.Client != nil {
		if err := a.partitions(topics); err != nil {
			return nil, err
		}
		// Commits are read before and after the walk, to tell a loader that moved while we
		// looked from a real disagreement between files and commits.
		if before, err = a.fetchCommitted(ctx); err != nil {
			return nil, err
		}
	}
	if err := a.walk(ctx); err != nil {
		return nil, err
	}
	if o.Client != nil {
		if err := a.kafka(ctx, before); err != nil {
			return nil, err
		}
	}
	for _, tp := range a.sortedTPs() {
		if err := a.checkTP(ctx, a.tps[tp]); err != nil {
			return nil, err
		}
	}
	a.checkStaging()
	a.finish()
	return a.rep, nil
}

type stagingKey struct {
	group, topic, partition string
}

type auditor struct {
	o       Options
	rep     *Report
	want    map[string]bool // nil: every topic
	tps     map[offsets.TP]*tpState
	reader  FileReader
	staging map[stagingKey][]string // file names in each staging directory
	// resets are the moves of `offsets reset` by partition, from the reset records.
	resets map[offsets.TP][]resetMove
}

func (a *auditor) wanted(topic string) bool { return a.want == nil || a.want[topic] }

func (a *auditor) problem(tp offsets.TP, kind, path, format string, args ...any) {
	a.rep.Problems = append(a.rep.Problems, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: kind, Detail: fmt.Sprintf(format, args...), Path: path})
}

func (a *auditor) warn(tp offsets.TP, kind, path, format string, args ...any) {
	a.rep.Warnings = append(a.rep.Warnings, Problem{Topic: tp.Topic, Partition: tp.Partition, Kind: kind, Detail: fmt.Sprintf(format, args...), Path: path})
}

// tp returns the state of tp, creating it.
func (a *auditor) tp(tp offsets.TP) *tpState {
	st := a.tps[tp]
	if st == nil {
		st = &tpState{tp: tp, logStart: -1, logEnd: -1}
		a.tps[tp] = st
	}
	return st
}

func (a *auditor) sortedTPs() []offsets.TP {
	out := make([]offsets.TP, 0, len(a.tps))
	for tp := range a.tps {
		out = append(out, tp)
	}
	slices.SortFunc(out, cmpTP)
	return out
}

func cmpTP(x, y offsets.TP) int {
	return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
}

func (a *auditor) finish() {
	r := a.rep
	r.Partitions = make([]Partition, 0, len(a.tps))
	for _, tp := range a.sortedTPs() {
		p := a.tps[tp].p
		r.Partitions = append(r.Partitions, p)
		r.Files += p.Files
		r.DeadLetterFiles += p.DeadLetterFiles
		r.Bytes += p.Bytes
	}
	byTP := func(x, y Problem) int {
		return cmp.Or(cmp.Compare(x.Topic, y.Topic), cmp.Compare(x.Partition, y.Partition))
	}
	slices.SortStableFunc(r.Problems, byTP)
	slices.SortStableFunc(r.Warnings, byTP)
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	if r.Warnings == nil {
		r.Warnings = []Problem{}
	}
	slices.Sort(r.Staging)
}
