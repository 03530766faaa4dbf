package writer

// Defaults of the writer's settings: the one definition each; config's WithDefaults fills unset
// keys from these, and the writer and the budget use them when a field is zero.
const (
	// DefaultRowGroupSize is the bytes of one Parquet row group (output.row_group_size).
	DefaultRowGroupSize = 8 << 20
	// DefaultMaxBufferedBytes is the memory budget for rows and open files (memory.max_buffered_bytes).
	DefaultMaxBufferedBytes = 256 << 20
	// DefaultMaxOpenFiles bounds the open staging files (memory.max_open_files).
	DefaultMaxOpenFiles = 256
	// DefaultMaxSpillBytes bounds the bytes spilled to local disk (memory.max_spill_bytes).
	DefaultMaxSpillBytes = 4 << 30
)
