// Package verify is the project's independent checker of output: it reads the Parquet files the
// loader wrote with apache/arrow-go, not with parquet-go, so that a writer bug cannot hide behind
// the same library reading its own files, and it checks that every produced Kafka offset landed
// exactly once. Integration tests use it, and so can an audit of a real output root.
//
// It depends on nothing in the project: file names and directory layout are parsed here again, so
// that a bug in the loader's own naming shows up as a failed check rather than being mirrored.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pqschema "github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// Metadata column names every data and dead-letter file carries.
const (
	colTopic     = "kafka_topic"
	colPartition = "kafka_partition"
	colOffset    = "kafka_offset"
)

// Root-relative directories of the output layout.
const (
	errorsDir  = "_errors"
	lateDir    = "_late" // late records of complete buckets; data files, counted like any
	stagingDir = "_staging"
)

// Table is a whole Parquet file as an independent reader sees it.
//
// Rows[i][j] is the value of column j in row i, as one of these Go types, chosen so that rows compare
// exactly with == or reflect.DeepEqual:
//
//	null                       nil (untyped)
//	STRING                     string
//	BYTE_ARRAY without type    []byte (an empty value is []byte{}, never nil)
//	INT32, INT64               int32, int64
//	FLOAT, DOUBLE              float32, float64
//	BOOLEAN                    bool
//	TIMESTAMP                  Timestamp: the instant in UTC and the declared unit
//	DATE                       time.Time at UTC midnight of the day
//	DECIMAL(P,S)               Decimal: the exact value in plain notation with S fractional digits
//	                           ("-12.30"), whatever the physical type (INT32, INT64, FIXED_LEN_BYTE_ARRAY)
//	LIST of {key, value}       []Header (the headers column)
//	MAP                        []MapEntry, in the file's order
//	other LIST                 []any
//	other group                map[string]any
type Table struct {
	Columns []ColumnInfo
	Rows    [][]any
	// Metadata is the file's key/value metadata.
	Metadata map[string]string
}

// ColumnInfo describes one top-level column as the file declares it.
type ColumnInfo struct {
	Name string
	// PhysicalType is the Parquet physical type ("INT64", "BYTE_ARRAY", ...), "GROUP" for a group.
	PhysicalType string
	// LogicalType is arrow-go's rendering of the logical type ("String", "None",
	// "Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds, ...)", "List", ...).
	LogicalType string
	Required    bool
}

// Col returns the index of the column named name, or -1.
func (t *Table) Col(name string) int {
	return slices.IndexFunc(t.Columns, func(c ColumnInfo) bool { return c.Name == name })
}

// Timestamp is a TIMESTAMP value: Time is in UTC (comparable with ==), Unit is the column's declared
// unit: "millis", "micros" or "nanos".
type Timestamp struct {
	Time time.Time
	Unit string
}

// Millis is the Timestamp of a millisecond column holding n.
func Millis(n int64) Timestamp { return Timestamp{time.UnixMilli(n).UTC(), "millis"} }

// Micros is the Timestamp of a microsecond column holding n.
func Micros(n int64) Timestamp { return Timestamp{time.UnixMicro(n).UTC(), "micros"} }

// Date is the value of a DATE column holding days since 1970-01-01.
func Date(days int32) time.Time { return time.Unix(int64(days)*86400, 0).UTC() }

// Decimal is a DECIMAL value as exact text: an optional "-", the integer digits (at least one) and,
// when the column's scale S is above 0, a point and exactly S digits, so a value of a decimal(5,2)
// column reads "-0.05" or "123.40", never "1.234e2". It is a string type of its own, not a string,
// so that a decimal read back as text (a STRING column) does not compare equal to it.
type Decimal string

// decimalText renders unscaled × 10^-scale as a Decimal.
func decimalText(unscaled *big.Int, scale int32) Decimal {
	digits := new(big.Int).Abs(unscaled).String()
	if scale <= 0 {
		if unscaled.Sign() != 0 {
			digits += strings.Repeat("0", int(-scale))
		}
	} else {
		if pad := int(scale) + 1 - len(digits); pad > 0 {
			digits = strings.Repeat("0", pad) + digits
		}
		digits = digits[:len(digits)-int(scale)] + "." + digits[len(digits)-int(scale):]
	}
	if unscaled.Sign() < 0 {
		digits = "-" + digits
	}
	return Decimal(digits)
}

// Header is one element of a headers list; Value is nil for a null value.
type Header struct {
	Key   string
	Value []byte
}

// ReadFile reads a whole Parquet file of size bytes with arrow-go and returns every column.
func ReadFile(r io.ReaderAt, size int64) (t *Table, err error) {
	err = scan(r, size, func(info []ColumnInfo, meta map[string]string) error {
		t = &Table{Columns: info, Metadata: meta}
		return nil
	}, func(rg arrow.Table) error {
		rows, err := tableRows(rg)
		t.Rows = append(t.Rows, rows...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ReadPath reads the Parquet file at path on the local filesystem; errors name the file.
func ReadPath(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	t, err := ReadFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// scan opens the file, hands its columns to head, then decodes every column of every row group
// (so a damaged page anywhere is an error) and hands each row group to each.
func scan(r io.ReaderAt, size int64, head func([]ColumnInfo, map[string]string) error, each func(arrow.Table) error) (err error) {
	defer func() {
		// A reader meeting damaged bytes should fail, but a panic must not take the checker down.
		if p := recover(); p != nil {
			err = fmt.Errorf("parquet reader panicked: %v", p)
		}
	}()
	pf, err := file.NewParquetReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return fmt.Errorf("open parquet: %w", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("parquet to arrow: %w", err)
	}
	md := pf.MetaData()
	if err := checkChunks(md, size); err != nil {
		return err
	}
	root := md.Schema.Root()
	info := make([]ColumnInfo, root.NumFields())
	for i := range info {
		info[i] = columnInfo(root.Field(i))
	}
	meta := map[string]string{}
	for _, kv := range md.KeyValueMetadata() {
		if kv.Value != nil {
			meta[kv.Key] = *kv.Value
		} else {
			meta[kv.Key] = ""
		}
	}
	if err := head(info, meta); err != nil {
		return err
	}
	leaves := make([]int, md.Schema.NumColumns())
	for i := range leaves {
		leaves[i] = i
	}
	var rows int64
	for rg := range pf.NumRowGroups() {
		tbl, err := fr.ReadRowGroups(context.Background(), leaves, []int{rg})
		if err != nil {
			return fmt.Errorf("row group %d: %w", rg, err)
		}
		rows += tbl.NumRows()
		err = each(tbl)
		tbl.Release()
		if err != nil {
			return fmt.Errorf("row group %d: %w", rg, err)
		}
	}
	if rows != pf.NumRows() {
		return fmt.Errorf("read %d rows, footer says %d", rows, pf.NumRows())
	}
	return nil
}

// checkChunks checks that every column chunk lies inside the file. pqarrow reads nested columns
// on goroutines of its own, where a damaged footer's negative length panics beyond any recover.
func checkChunks(md *metadata.FileMetaData, size int64) error {
	for rg := range md.NumRowGroups() {
		rgm := md.RowGroup(rg)
		for c := range rgm.NumColumns() {
			cc, err := rgm.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("row group %d column %d: %w", rg, c, err)
			}
			start, n := cc.DataPageOffset(), cc.TotalCompressedSize()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			if start < 0 || n < 0 || start > size || n > size-start {
				return fmt.Errorf("row group %d column %d: chunk at %d of %d bytes is outside the file of %d bytes", rg, c, start, n, size)
			}
		}
	}
	return nil
}

func columnInfo(n pqschema.Node) ColumnInfo {
	c := ColumnInfo{
		Name:         n.Name(),
		PhysicalType: "GROUP",
		LogicalType:  n.LogicalType().String(),
		Required:     n.RepetitionType() == parquet.Repetitions.Required,
	}
	if p, ok := n.(*pqschema.PrimitiveNode); ok {
		c.PhysicalType = p.PhysicalType().String()
	}
	return c
}

// tableRows converts an arrow table to rows of Go values.
func tableRows(t arrow.Table) ([][]any, error) {
	n := int(t.NumRows())
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, t.NumCols())
	}
	for c := range int(t.NumCols()) {
		row := 0
		for _, chunk := range t.Column(c).Data().Chunks() {
			for i := range chunk.Len() {
				v, err := value(chunk, i)
				if err != nil {
					return nil, fmt.Errorf("column %s: %w", t.Column(c).Name(), err)
				}
				rows[row][c] = v
				row++
			}
		}
		if row != n {
			return nil, fmt.Errorf("column %s has %d values for %d rows", t.Column(c).Name(), row, n)
		}
	}
	return rows, nil
}

// value converts element i of a to the Go value documented on Table. Strings and bytes are copied.
func value(a arrow.Array, i int) (any, error) {
	if a.IsNull(i) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.String:
		return strings.Clone(a.Value(i)), nil
	case *array.Binary:
		return append([]byte{}, a.Value(i)...), nil
	case *array.Int32:
		return a.Value(i), nil
	case *array.Int64:
		return a.Value(i), nil
	case *array.Float32:
		return a.Value(i), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Date32:
		return Date(int32(a.Value(i))), nil
	case *array.Decimal32:
		return decimalText(big.NewInt(int64(a.Value(i))), decimalScale(a)), nil
	case *array.Decimal64:
		return decimalText(big.NewInt(int64(a.Value(i))), decimalScale(a)), nil
	case *array.Decimal128:
		return decimalText(a.Value(i).BigInt(), decimalScale(a)), nil
	case *array.Decimal256:
		return decimalText(a.Value(i).BigInt(), decimalScale(a)), nil
	case *array.Timestamp:
		n := int64(a.Value(i))
		switch a.DataType().(*arrow.TimestampType).Unit {
		case arrow.Millisecond:
			return Millis(n), nil
		case arrow.Microsecond:
			return Micros(n), nil
		case arrow.Nanosecond:
			return Timestamp{time.Unix(0, n).UTC(), "nanos"}, nil
		}
		return Timestamp{time.Unix(n, 0).UTC(), "seconds"}, nil
	case *array.Map:
		lo, hi := a.ValueOffsets(i)
		out := make([]MapEntry, 0, hi-lo)
		for j := int(lo); j < int(hi); j++ {
			k, err := value(a.Keys(), j)
			if err != nil {
				return nil, err
			}
			v, err := value(a.Items(), j)
			if err != nil {
				return nil, err
			}
			out = append(out, MapEntry{k, v})
		}
		return out, nil
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		elems := a.ListValues()
		if isHeaders(elems) {
			st := elems.(*array.Struct)
			hs := make([]Header, 0, hi-lo)
			for j := int(lo); j < int(hi); j++ {
				if st.IsNull(j) {
					return nil, fmt.Errorf("null header entry %d", j-int(lo))
				}
				k, _ := value(st.Field(0), j)
				v, _ := value(st.Field(1), j)
				if k == nil {
					return nil, fmt.Errorf("null header key %d", j-int(lo))
				}
				h := Header{Key: k.(string)}
				if v != nil {
					h.Value = v.([]byte)
				}
				hs = append(hs, h)
			}
			return hs, nil
		}
		out := make([]any, 0, hi-lo)
		for j := int(lo); j < int(hi); j++ {
			v, err := value(elems, j)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		out := make(map[string]any, st.NumFields())
		for f := range st.NumFields() {
			v, err := value(a.Field(f), i)
			if err != nil {
				return nil, err
			}
			out[st.Field(f).Name] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported arrow type %s", a.DataType())
}

// decimalScale is the scale of a decimal array: arrow-go reads parquet DECIMALs as Decimal128 (or
// Decimal256 beyond 38 digits) today, and may pick the narrower types for small precisions.
func decimalScale(a arrow.Array) int32 { return a.DataType().(arrow.DecimalType).GetScale() }

// isHeaders reports whether a list's elements are {key: string, value: binary} structs.
func isHeaders(elems arrow.Array) bool {
	st, ok := elems.DataType().(*arrow.StructType)
	return ok && st.NumFields() == 2 &&
		st.Field(0).Name == "key" && st.Field(0).Type.ID() == arrow.STRING &&
		st.Field(1).Name == "value" && st.Field(1).Type.ID() == arrow.BINARY
}

// MapEntry is one key and value of a MAP column.
type MapEntry struct{ Key, Value any }

// TP names a topic-partition.
type TP struct {
	Topic     string
	Partition int32
}

func (tp TP) String() string { return tp.Topic + "/" + strconv.Itoa(int(tp.Partition)) }

// FileRows is one final file: where it is, what its name says, and the offsets it holds.
type FileRows struct {
	// Path is relative to the output root, with slashes.
	Path      string
	Topic     string
	Partition int32
	// Start and End are the step's offset range, from the file name.
	Start, End int64
	// Offsets is the kafka_offset column, in file order.
	Offsets []int64
	Rows    int64
}

// TP is the file's topic-partition, from its name.
func (f *FileRows) TP() TP { return TP{f.Topic, f.Partition} }

// Report is what Output found under an output root.
type Report struct {
	Files       []FileRows // data files
	DeadLetters []FileRows // files under _errors
	// Staging lists leftover files under _staging, relative to the root.
	Staging []string
	// Problems are files that do not belong where they are: a name that is not a step file name, a
	// file outside its topic's directory, rows whose kafka_topic or kafka_partition disagree with
	// the name. Check reports them.
	Problems []string
}

// Output scans an output root on the local filesystem; see OutputFS.
func Output(root string) (*Report, error) {
	return OutputFS(context.Background(), storage.Local{}, filepath.ToSlash(root))
}

// OutputFS scans the output root on fsys (local or HDFS) and reads the kafka_offset column of
// every data and dead-letter file, decoding every column to make sure the file is whole. Files
// under _staging are listed, not read. An unreadable file is an error naming it.
func OutputFS(ctx context.Context, fsys storage.FS, root string) (*Report, error) {
	rep := &Report{}
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		entries, err := fsys.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue // the loader's own records (.kafka2hdfs/) and hidden files are no output
			}
			p, r := path.Join(dir, e.Name()), path.Join(rel, e.Name())
			if e.IsDir() {
				if err := walk(p, r); err != nil {
					return err
				}
				continue
			}
			if err := visit(ctx, fsys, p, r, rep); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	return rep, nil
}

func visit(ctx context.Context, fsys storage.FS, p, rel string, rep *Report) error {
	parts := strings.Split(rel, "/")
	switch parts[0] {
	case stagingDir:
		rep.Staging = append(rep.Staging, rel)
		return nil
	case errorsDir, lateDir:
		if len(parts) > 1 {
			parts = parts[1:]
		}
	}
	if n := parts[len(parts)-1]; n == "_SUCCESS" || n == "_manifest.json" {
		return nil // completeness markers, not data
	}
	fr, ok := parseName(parts[len(parts)-1])
	if !ok {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: not a step file name <topic>+<partition>+<start20>+<end20>.parquet", rel))
		return nil
	}
	fr.Path = rel
	if len(parts) < 2 || parts[0] != fr.Topic {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: file of topic %s is not under the topic's directory", rel, fr.Topic))
	}
	f, err := fsys.Open(ctx, p)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	err = readOffsets(f, f.Size(), &fr, rep)
	_ = f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	if strings.HasPrefix(rel, errorsDir+"/") {
		rep.DeadLetters = append(rep.DeadLetters, fr)
	} else {
		rep.Files = append(rep.Files, fr)
	}
	return nil
}

// parseName parses <topic>+<partition>+<start20>+<end20>.parquet.
func parseName(name string) (FileRows, bool) {
	base, ok := strings.CutSuffix(name, ".parquet")
	parts := strings.Split(base, "+")
	if !ok || len(parts) != 4 || parts[0] == "" || len(parts[2]) != 20 || len(parts[3]) != 20 {
		return FileRows{}, false
	}
	p, err1 := strconv.ParseInt(parts[1], 10, 32)
	s, err2 := strconv.ParseUint(parts[2], 10, 63)
	e, err3 := strconv.ParseUint(parts[3], 10, 63)
	if err1 != nil || err2 != nil || err3 != nil || p < 0 || e < s || parts[1] != strconv.FormatInt(p, 10) {
		return FileRows{}, false
	}
	return FileRows{Topic: parts[0], Partition: int32(p), Start: int64(s), End: int64(e)}, true
}

// readOffsets fills fr.Offsets and fr.Rows from the file at path, and notes rows of another
// topic-partition than the name's.
func readOffsets(f io.ReaderAt, size int64, fr *FileRows, rep *Report) error {
	var cTopic, cPart, cOff int
	var wrong int64
	err := scan(f, size, func(info []ColumnInfo, _ map[string]string) error {
		col := func(name, phys string) (int, error) {
			i := slices.IndexFunc(info, func(c ColumnInfo) bool { return c.Name == name })
			if i < 0 || info[i].PhysicalType != phys || !info[i].Required {
				return 0, fmt.Errorf("no required %s column %s", phys, name)
			}
			return i, nil
		}
		var e1, e2, e3 error
		cTopic, e1 = col(colTopic, "BYTE_ARRAY")
		cPart, e2 = col(colPartition, "INT32")
		cOff, e3 = col(colOffset, "INT64")
		return errors.Join(e1, e2, e3)
	}, func(t arrow.Table) error {
		for _, ch := range t.Column(cOff).Data().Chunks() {
			fr.Offsets = append(fr.Offsets, ch.(*array.Int64).Int64Values()...)
		}
		topics := t.Column(cTopic).Data().Chunks()
		parts := t.Column(cPart).Data().Chunks()
		for k := range topics {
			ts, ok1 := topics[k].(*array.String)
			ps, ok2 := parts[k].(*array.Int32)
			if !ok1 || !ok2 || ts.Len() != ps.Len() {
				return errors.New("unexpected kafka_topic/kafka_partition arrays")
			}
			for i := range ts.Len() {
				if ts.Value(i) != fr.Topic || ps.Value(i) != fr.Partition {
					wrong++
				}
			}
		}
		fr.Rows += t.NumRows()
		return nil
	})
	if err != nil {
		return err
	}
	if wrong > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %d rows have another kafka_topic/kafka_partition than the name's %s/%d", fr.Path, wrong, fr.Topic, fr.Partition))
	}
	return nil
}

// Check verifies exactly-once against what was produced: want maps each topic-partition to the
// number of records produced (offsets 0..n-1), and excluded reports offsets that must be in no
// file (filtered records; nil for none). Every other offset must be in exactly one data or
// dead-letter file, within its name's range: a dead letter is a landed record, so malformed
// records are not excluded offsets (check which file kind holds them from Files/DeadLetters). The distinct step ranges of a topic-partition (a
// range that names several files of one step counts once) must not overlap and must tile [0, n):
// only a tail of excluded offsets may be left uncovered, since a flush of filtered records alone
// writes no file and only the next step's name covers them. The error lists every problem found,
// Report.Problems first. Leftover staging files are not checked: after a crash they are expected
// until recovery runs; look at Report.Staging.
func (r *Report) Check(want map[TP]int64, excluded func(TP, int64) bool) error {
	if excluded == nil {
		excluded = func(TP, int64) bool { return false }
	}
	probs := slices.Clone(r.Problems)
	byTP := map[TP][]*FileRows{}
	for _, fs := range [][]FileRows{r.Files, r.DeadLetters} {
		for i := range fs {
			byTP[fs[i].TP()] = append(byTP[fs[i].TP()], &fs[i])
		}
	}
	tps := make([]TP, 0, len(byTP)+len(want))
	for tp := range byTP {
		if _, ok := want[tp]; !ok {
			tps = append(tps, tp)
		}
	}
	for tp := range want {
		tps = append(tps, tp)
	}
	slices.SortFunc(tps, cmpTP)
	for _, tp := range tps {
		n, ok := want[tp]
		if !ok {
			probs = append(probs, fmt.Sprintf("%s: %d files of a topic-partition nothing was produced to", tp, len(byTP[tp])))
			continue
		}
		probs = append(probs, checkTP(tp, n, byTP[tp], excluded)...)
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("verify: %d problems:\n  %s", len(probs), strings.Join(probs, "\n  "))
}

func cmpTP(a, b TP) int {
	if c := strings.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	return int(a.Partition) - int(b.Partition)
}

// maxListed bounds the lines of one kind reported for one topic-partition.
const maxListed = 20

func checkTP(tp TP, n int64, files []*FileRows, excluded func(TP, int64) bool) []string {
	var probs []string
	add := func(format string, args ...any) {
		probs = append(probs, tp.String()+": "+fmt.Sprintf(format, args...))
	}
	// where[o] is the index+1 of the first file holding offset o.
	where := make([]int32, n)
	var dups, outside, unknown []string
	for fi, f := range files {
		for _, o := range f.Offsets {
			if o < f.Start || o > f.End {
				outside = append(outside, fmt.Sprintf("offset %d in %s outside its name's range [%d, %d]", o, f.Path, f.Start, f.End))
			}
			if o < 0 || o >= n {
				unknown = append(unknown, fmt.Sprintf("offset %d in %s was never produced (0..%d)", o, f.Path, n-1))
				continue
			}
			if w := where[o]; w != 0 {
				if w-1 == int32(fi) {
					dups = append(dups, fmt.Sprintf("duplicate offset %d: twice in %s", o, f.Path))
				} else {
					dups = append(dups, fmt.Sprintf("duplicate offset %d: in %s and %s", o, files[w-1].Path, f.Path))
				}
				continue
			}
			where[o] = int32(fi) + 1
		}
	}
	var lost, inData, inDead []int64
	for o := range n {
		switch ex := excluded(tp, o); {
		case ex && where[o] != 0 && strings.HasPrefix(files[where[o]-1].Path, errorsDir+"/"):
			inDead = append(inDead, o)
		case ex && where[o] != 0:
			inData = append(inData, o)
		case !ex && where[o] == 0:
			lost = append(lost, o)
		}
	}
	if len(lost) > 0 {
		add("lost offsets %s (%d)", runs(lost), len(lost))
	}
	if len(inData) > 0 {
		add("excluded offsets in data files %s (%d)", runs(inData), len(inData))
	}
	if len(inDead) > 0 {
		// Dead letters are landed records: only filtered ones are expected nowhere.
		add("excluded offsets in dead-letter files %s (%d)", runs(inDead), len(inDead))
	}
	for _, list := range [][]string{dups, outside, unknown} {
		for i, s := range list {
			if i == maxListed {
				add("… and %d more like that", len(list)-maxListed)
				break
			}
			add("%s", s)
		}
	}

	// Step ranges: distinct, sorted by start.
	type rng struct{ start, end int64 }
	var ranges []rng
	for _, f := range files {
		ranges = append(ranges, rng{f.Start, f.End})
	}
	slices.SortFunc(ranges, func(a, b rng) int {
		if a.start != b.start {
			return cmp64(a.start, b.start)
		}
		return cmp64(a.end, b.end)
	})
	ranges = slices.Compact(ranges)
	next := int64(0) // first offset not covered by the ranges so far
	prev := rng{-1, -1}
	for _, r := range ranges {
		switch {
		case r.start < next:
			add("step ranges [%d, %d] and [%d, %d] overlap", prev.start, prev.end, r.start, r.end)
		case r.start > next:
			add("gap: offsets %d..%d are in no step range", next, r.start-1)
		}
		if r.end >= n {
			add("step range [%d, %d] reaches past the last produced offset %d", r.start, r.end, n-1)
		}
		if r.end+1 > next {
			next, prev = r.end+1, r
		}
	}
	if next < n {
		for o := next; o < n; o++ {
			if !excluded(tp, o) {
				add("gap: offsets %d..%d are in no step range, and not all of them were filtered", next, n-1)
				break
			}
		}
	}
	return probs
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// runs writes sorted offsets as "3-5, 9", at most maxListed runs.
func runs(offs []int64) string {
	var b strings.Builder
	k := 0
	for i := 0; i < len(offs); k++ {
		j := i
		for j+1 < len(offs) && offs[j+1] == offs[j]+1 {
			j++
		}
		if k == maxListed {
			b.WriteString(", …")
			break
		}
		if k > 0 {
			b.WriteString(", ")
		}
		if i == j {
			fmt.Fprintf(&b, "%d", offs[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", offs[i], offs[j])
		}
		i = j + 1
	}
	return b.String()
}
