package offsets

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// ResetsDir is the root-relative directory of reset records, one JSON file per reset, so an audit
// can explain a committed offset that jumped. It starts with "." so that Hadoop readers and the
// audit's file checks skip it as they skip every hidden name ("_" names that are not step files
// are read as a topic directory by the audit).
const ResetsDir = ".kafka2hdfs/resets"

// ResetRecord is the JSON file written under <root>/.kafka2hdfs/resets/<group>/ before the commit.
type ResetRecord struct {
	Group      string           `json:"group"`
	Time       time.Time        `json:"time"`
	By         string           `json:"by"`
	To         string           `json:"to"`
	Forced     bool             `json:"forced,omitempty"`
	Partitions []ResetPartition `json:"partitions"`
}

// ResetPartition is one partition's move.
type ResetPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// From is the committed offset before (-1: none), FromMeta its metadata.
	From     int64  `json:"from"`
	FromMeta string `json:"from_metadata,omitempty"`
	To       int64  `json:"to"`
	// FilesEnd is the highest offset in files at the time (-1: none).
	FilesEnd int64 `json:"files_end"`
}

// WriteResetRecord writes rec under <root>/.kafka2hdfs/resets/<group>/ (kafkaoffsets.Reset does, before
// its commit).
func (p *Protocol) WriteResetRecord(ctx context.Context, rec *ResetRecord) error {
	dir := path.Join(p.Paths.Root, ResetsDir, p.Paths.Group)
	if err := p.FS.MkdirAll(ctx, dir); err != nil {
		return fmt.Errorf("reset record: %w", err)
	}
	name := path.Join(dir, rec.Time.Format("20060102T150405.000000000Z")+"-"+NewID()+".json")
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("reset record: %w", err)
	}
	f, err := p.FS.Create(ctx, name)
	if err != nil {
		return fmt.Errorf("create reset record %s: %w", name, err)
	}
	if _, err := io.Copy(f, strings.NewReader(string(b)+"\n")); err != nil {
		_ = f.Abort()
		return fmt.Errorf("write reset record %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close reset record %s: %w", name, err)
	}
	return nil
}
