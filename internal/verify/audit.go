package verify

import (
	"io"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// AuditReader is audit --deep's reader in the development binary and the tests: apache/arrow-go,
// a Parquet implementation that shares no code with parquet-go, which wrote the files. The release
// binary reads with parquet-go (audit.ParquetGoReader) so that it does not carry arrow-go.
type AuditReader struct{}

// Name implements audit.FileReader.
func (AuditReader) Name() string { return "apache/arrow-go" }

// ReadFile implements audit.FileReader.
func (AuditReader) ReadFile(r io.ReaderAt, size int64) (*audit.FileContents, error) {
	t, err := ReadFile(r, size)
	if err != nil {
		return nil, err
	}
	fc := &audit.FileContents{Rows: int64(len(t.Rows)), Metadata: t.Metadata}
	for name, dst := range map[string]*[]any{schema.ColTopic: &fc.Topic, schema.ColPartition: &fc.Partition, schema.ColOffset: &fc.Offset} {
		c := t.Col(name)
		if c < 0 {
			continue
		}
		*dst = make([]any, len(t.Rows))
		for i, row := range t.Rows {
			(*dst)[i] = row[c]
		}
	}
	return fc, nil
}
