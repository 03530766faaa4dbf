package audit

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// FileContents is what a deep audit needs of one file read back: the number of rows, the file's
// key/value metadata, and each row's kafka_topic, kafka_partition and kafka_offset as the reader
// decoded them (so a column of the wrong type shows as a value of the wrong Go type). A column the
// file does not have is nil.
type FileContents struct {
	Rows                     int64
	Metadata                 map[string]string
	Topic, Partition, Offset []any
}

// A FileReader reads a final file back whole for --deep: every page of every column is decoded,
// so a damaged page anywhere is an error, not a silent short read.
type FileReader interface {
	// Name says which Parquet implementation reads, for the report's header.
	Name() string
	ReadFile(r io.ReaderAt, size int64) (*FileContents, error)
}

// ParquetGoReader reads with parquet-go, the library the loader writes with. It is the default:
// it keeps the release binary free of a second Parquet implementation. Its reader shares no code
// path with the writer's row building and page encoding, but a bug in parquet-go's format
// handling could hide from it; the development binary (cmd/kafka2hdfs-dev) audits with apache/arrow-go
// instead (internal/verify), and the tests read every run's output with that independent reader.
type ParquetGoReader struct{}

// Name implements FileReader.
func (ParquetGoReader) Name() string { return "parquet-go" }

// ReadFile implements FileReader.
func (ParquetGoReader) ReadFile(r io.ReaderAt, size int64) (*FileContents, error) {
	// The page index and bloom filters are not needed to read every page in order, and skipping
	// them keeps a damaged index from failing a file whose pages are whole (arrow-go ignores them too).
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, err
	}
	fc := &FileContents{Rows: f.NumRows(), Metadata: map[string]string{}}
	for _, kv := range f.Metadata().KeyValueMetadata {
		fc.Metadata[kv.Key] = kv.Value
	}
	// Only top-level, non-repeated columns can place a row; anything else reads as missing.
	keys := map[int]*[]any{}
	for name, dst := range map[string]*[]any{schema.ColTopic: &fc.Topic, schema.ColPartition: &fc.Partition, schema.ColOffset: &fc.Offset} {
		if leaf, ok := f.Schema().Lookup(name); ok && len(leaf.Path) == 1 && leaf.MaxRepetitionLevel == 0 {
			*dst = make([]any, 0, fc.Rows)
			keys[leaf.ColumnIndex] = dst
		}
	}
	buf := make([]parquet.Value, 1024)
	var read int64
	for i, rg := range f.RowGroups() {
		for c, chunk := range rg.ColumnChunks() {
			dst := keys[c]
			n, err := readChunk(chunk, buf, dst)
			if err != nil {
				return nil, fmt.Errorf("row group %d, column %d: %w", i, c, err)
			}
			if dst != nil && n != rg.NumRows() {
				return nil, fmt.Errorf("row group %d, column %d: %d values for %d rows", i, c, n, rg.NumRows())
			}
		}
		read += rg.NumRows()
	}
	if read != fc.Rows {
		return nil, fmt.Errorf("row groups hold %d rows, the footer says %d", read, fc.Rows)
	}
	return fc, nil
}

// readChunk decodes every value of one column chunk, appending them to dst when it is not nil,
// and returns how many it read.
func readChunk(chunk parquet.ColumnChunk, buf []parquet.Value, dst *[]any) (int64, error) {
	pages := chunk.Pages()
	defer pages.Close()
	var n int64
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		values := page.Values()
		for {
			k, err := values.ReadValues(buf)
			n += int64(k)
			if dst != nil {
				for _, v := range buf[:k] {
					*dst = append(*dst, goValue(v))
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return n, err
			}
		}
		parquet.Release(page)
	}
}

// goValue is v as the Go type of its physical type, nil for null.
func goValue(v parquet.Value) any {
	switch v.Kind() {
	case parquet.Boolean:
		return v.Boolean()
	case parquet.Int32:
		return v.Int32()
	case parquet.Int64:
		return v.Int64()
	case parquet.Float:
		return v.Float()
	case parquet.Double:
		return v.Double()
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray())
	default: // null, INT96
		if v.IsNull() {
			return nil
		}
		return v.String()
	}
}
