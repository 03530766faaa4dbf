// Package offsets implements the commit protocol that makes every Kafka record land exactly once:
// a flush of one topic-partition is a Step (an offset range and the files holding its records),
// taken through stage → prepare → publish → commit, fenced by the consumer group's generation, and
// finished by Recover when its owner died half-way. See docs/exactly-once.md for the argument.
//
// It sits at the end of the data flow (Kafka → consumer → interceptors → partitioner → writer →
// offsets): the writer stages files, this package decides when they become visible and when Kafka
// learns that their offsets are done.
package offsets

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// TP names a topic-partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// File is one staged file of a step.
type File struct {
	// ID names the staging file: <root>/_staging/<group>/<topic>/<partition>/<ID>.parquet.
	ID string
	// Dir is the final directory relative to the root, e.g. "clicks/dt=2026-11-22/hour=13".
	Dir string
	// Size in bytes, as staged; publish compares it with what it finds.
	Size int64
	// Rows in the file; informational, not committed.
	Rows int64
}

// Step is one flush of one topic-partition: the offsets [Start, End] and the files that hold the
// records among them that were written (filtered records are in no file; dead letters are in
// files under _errors). Every file of a step is named by the step's range, so the names of one
// topic-partition's files tile its offsets without gaps or overlaps.
type Step struct {
	TP
	Start, End int64
	Files      []File
}

// Footer metadata keys every file of a step carries, so a deep audit can tell that a file of a
// step is missing even though the step's other files still cover its range by name.
const (
	MetaStepFiles = "kafka2hdfs.step.files" // how many files (data and dead letters) the step has
	MetaStepRows  = "kafka2hdfs.step.rows"  // how many rows they hold together
)

// ErrorsDir is the root-relative directory of dead-letter files.
const ErrorsDir = "_errors"

// LateDir is the root-relative directory of records that arrived for a bucket already marked
// complete, under the late_root policy: _late/<topic>/<bucket>/<step file> (package completeness).
const LateDir = "_late"

// StagingDir is the root-relative directory of in-flight files.
const StagingDir = "_staging"

// FileName is the final name of every file of a step: topic+partition+start+end.parquet, offsets
// zero-padded to 20 digits so names sort by offset. Kafka topic names cannot contain '+'.
func FileName(tp TP, start, end int64) string {
	return fmt.Sprintf("%s+%d+%020d+%020d.parquet", tp.Topic, tp.Partition, start, end)
}

// ParseFileName is the inverse of FileName; ok is false for any other name.
func ParseFileName(name string) (tp TP, start, end int64, ok bool) {
	base, found := strings.CutSuffix(name, ".parquet")
	if !found {
		return tp, 0, 0, false
	}
	parts := strings.Split(base, "+")
	if len(parts) != 4 || parts[0] == "" || !padded(parts[2]) || !padded(parts[3]) {
		return tp, 0, 0, false
	}
	p, err1 := strconv.ParseInt(parts[1], 10, 32)
	s, err2 := strconv.ParseInt(parts[2], 10, 64)
	e, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || p < 0 || s < 0 || e < s || parts[1] != strconv.FormatInt(p, 10) {
		return tp, 0, 0, false
	}
	return TP{Topic: parts[0], Partition: int32(p)}, s, e, true
}

// padded reports whether s is an offset as FileName writes it: exactly 20 ASCII digits. (strconv
// alone would also take a sign, and "-0000000000000000000" would parse as 0.)
func padded(s string) bool {
	if len(s) != 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Paths resolves a step's files under one output root and group.
type Paths struct {
	Root  string
	Group string
}

// StagingDir is the directory of one topic-partition's staging files.
func (p Paths) StagingDir(tp TP) string {
	return path.Join(p.Root, StagingDir, p.Group, tp.Topic, strconv.Itoa(int(tp.Partition)))
}

// Staging is a staged file's path.
func (p Paths) Staging(tp TP, id string) string {
	return path.Join(p.StagingDir(tp), id+".parquet")
}

// Final is where a file of s is published.
func (p Paths) Final(s Step, f File) string {
	return path.Join(p.Root, f.Dir, FileName(s.TP, s.Start, s.End))
}

// manifestPath holds a step too large for the commit metadata.
func (p Paths) manifestPath(tp TP, id string) string {
	return path.Join(p.StagingDir(tp), id+".step.json")
}

// Commit metadata. The loader owns its group's metadata; anything it does not recognise is an error,
// because guessing could skip a pending step.
//
//	""                  nothing pending; the next step starts at the committed offset
//	"k2h1 r=<offset>"   nothing pending; offsets from <offset> up to the committed one were consumed
//	                    without files (all filtered), so the next step's name starts at <offset>
//	"k2h1 p=<json>"     a step is prepared: publish its files, then commit End+1
//	"k2h1 m=<id>"       a step is prepared and described by the manifest file <id>.step.json
const metaPrefix = "k2h1 "

// Meta is decoded commit metadata.
type Meta struct {
	RunStart int64 // -1: the committed offset
	Pending  *Step
	Manifest string // id of the manifest holding Pending
}

type stepJSON struct {
	S int64    `json:"s"`
	E int64    `json:"e"`
	F [][3]any `json:"f"`
}

func encodeStep(s Step) string {
	j := stepJSON{S: s.Start, E: s.End, F: make([][3]any, len(s.Files))}
	for i, f := range s.Files {
		j.F[i] = [3]any{f.ID, f.Dir, f.Size}
	}
	b, _ := json.Marshal(j)
	return string(b)
}

func decodeStep(tp TP, text string) (*Step, error) {
	var j struct {
		S *int64              `json:"s"`
		E *int64              `json:"e"`
		F [][]json.RawMessage `json:"f"`
	}
	if err := json.Unmarshal([]byte(text), &j); err != nil {
		return nil, fmt.Errorf("pending step: %w", err)
	}
	if j.S == nil || j.E == nil || *j.S < 0 || *j.E < *j.S {
		return nil, errors.New("pending step: bad range")
	}
	s := &Step{TP: tp, Start: *j.S, End: *j.E}
	for _, raw := range j.F {
		var f File
		if len(raw) != 3 || json.Unmarshal(raw[0], &f.ID) != nil || json.Unmarshal(raw[1], &f.Dir) != nil || json.Unmarshal(raw[2], &f.Size) != nil {
			return nil, errors.New("pending step: bad file entry")
		}
		if !f.safe() {
			return nil, fmt.Errorf("pending step: unsafe file entry %q in %q", f.ID, f.Dir)
		}
		s.Files = append(s.Files, f)
	}
	return s, nil
}

// ErrBadMetadata means a partition's commit metadata was not written by kafka2hdfs or is damaged.
// Guessing could skip a pending step, so the loader stops.
var ErrBadMetadata = errors.New("unrecognised commit metadata")

// safe reports whether f stays where it belongs: its staging file in the partition's staging
// directory, its final file under the root. Committed metadata is checked with it before anything
// is renamed, and Commit checks steps with it, so that no step is prepared that recovery would
// refuse. ".." is refused as a directory name, not as text: "a..b" is a valid Kafka topic.
func (f File) safe() bool {
	if f.ID == "" || strings.ContainsAny(f.ID, "/\\") || f.Dir == "" || path.IsAbs(f.Dir) {
		return false
	}
	for _, seg := range strings.Split(f.Dir, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

// ParseMeta decodes commit metadata written by this package. Errors wrap ErrBadMetadata.
func ParseMeta(tp TP, md string) (Meta, error) {
	m, err := parseMeta(tp, md)
	if err != nil {
		return m, fmt.Errorf("%w: %w", ErrBadMetadata, err)
	}
	return m, nil
}

func parseMeta(tp TP, md string) (Meta, error) {
	m := Meta{RunStart: -1}
	if md == "" {
		return m, nil
	}
	rest, ok := strings.CutPrefix(md, metaPrefix)
	if !ok || len(rest) < 2 || rest[1] != '=' {
		return m, fmt.Errorf("commit metadata %.60q of %s was not written by kafka2hdfs; is another application using this group id?", md, tp)
	}
	val := rest[2:]
	switch rest[0] {
	case 'r':
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return m, fmt.Errorf("commit metadata %q of %s: bad run start", md, tp)
		}
		m.RunStart = n
	case 'p':
		s, err := decodeStep(tp, val)
		if err != nil {
			return m, fmt.Errorf("commit metadata of %s: %w", tp, err)
		}
		m.Pending = s
	case 'm':
		if val == "" || strings.ContainsAny(val, "/\\") {
			return m, fmt.Errorf("commit metadata %q of %s: bad manifest id", md, tp)
		}
		m.Manifest = val
	default:
		return m, fmt.Errorf("commit metadata %.60q of %s: unknown kind %q", md, tp, rest[0])
	}
	return m, nil
}

func runStartMeta(runStart int64) string { return metaPrefix + "r=" + strconv.FormatInt(runStart, 10) }
