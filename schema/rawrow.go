package schema

import (
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// RawRow is AppendRaw with a key flag it ignores (the schema decides how the key is stored).
//
// Deprecated: use AppendRaw. Kept only until the last caller outside this change
// (storage/hdfs_test.go) moves; then delete this file.
func (s *Schema) RawRow(r *record.Record, reason, stage string, _ bool, row parquet.Row) (parquet.Row, error) {
	return s.AppendRaw(r, reason, stage, row)
}
