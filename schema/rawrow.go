package schema

import (
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// RawRow is AppendRaw's old signature, with a key flag it ignores (the schema decides how the key
// is stored). Its one caller left is storage/hdfs_test.go, outside the change that renamed it;
// when that calls AppendRaw, delete this file.
func (s *Schema) RawRow(r *record.Record, reason, stage string, _ bool, row parquet.Row) (parquet.Row, error) {
	return s.AppendRaw(r, reason, stage, row)
}
