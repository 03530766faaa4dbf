package verify

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// parquetFile writes rows of the raw (or dead-letter) schema with parquet-go, as the loader does,
// one per offset, with the given topic-partition in the rows.
func parquetFile(t *testing.T, dead bool, topic string, partition int32, offsets ...int64) []byte {
	t.Helper()
	newSchema := schema.NewRaw
	if dead {
		newSchema = schema.NewDeadLetter
	}
	s, err := newSchema(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, s.Parquet(), parquet.Compression(s.Codec()),
		parquet.KeyValueMetadata("kafka2hdfs.topic", topic))
	var row parquet.Row
	for i, o := range offsets {
		r := &record.Record{Topic: topic, Partition: partition, Offset: o, Timestamp: time.UnixMilli(o),
			Value: []byte(fmt.Sprint(o)), Headers: []record.Header{{Key: "h", Value: []byte("v")}}}
		if row, err = s.AppendRaw(r, "why", "convert", row); err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 2 { // several row groups
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func name(topic string, partition int32, start, end int64) string {
	return fmt.Sprintf("%s+%d+%020d+%020d.parquet", topic, partition, start, end)
}

// file is one file of a hand-made output tree.
type outFile struct {
	dir        string // root-relative; under _errors for dead letters
	topic      string
	partition  int32
	start, end int64
	offsets    []int64
	rowsTP     int32 // partition written in the rows; -1: same as the name's
	rawName    string
}

func f(dir string, p int32, start, end int64, offsets ...int64) outFile {
	topic := strings.TrimPrefix(dir, "_errors/")
	topic, _, _ = strings.Cut(topic, "/")
	return outFile{dir: dir, topic: topic, partition: p, start: start, end: end, offsets: offsets, rowsTP: -1}
}

func build(t *testing.T, files ...outFile) string {
	t.Helper()
	root := t.TempDir()
	for _, fl := range files {
		n := fl.rawName
		if n == "" {
			n = name(fl.topic, fl.partition, fl.start, fl.end)
		}
		p := fl.partition
		if fl.rowsTP >= 0 {
			p = fl.rowsTP
		}
		data := parquetFile(t, strings.HasPrefix(fl.dir, "_errors/"), fl.topic, p, fl.offsets...)
		write(t, filepath.Join(root, fl.dir, n), data)
	}
	return root
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// good is a correct output of clicks/0 (10 records, 9 filtered), clicks/1 (3 records) and views/0
// (4 records, all filtered): a step of clicks/0 spans two buckets and a dead letter.
var good = []outFile{
	f("clicks/dt=a", 0, 0, 4, 0, 1, 3),
	f("clicks/dt=b", 0, 0, 4, 4),
	f("_errors/clicks/dt=a", 0, 0, 4, 2),
	f("clicks/dt=b", 0, 5, 9, 5, 6, 7, 8),
	f("clicks/dt=a", 1, 0, 2, 2, 0, 1),
}

var goodWant = map[TP]int64{{"clicks", 0}: 10, {"clicks", 1}: 3, {"views", 0}: 4}

func goodExcluded(tp TP, o int64) bool {
	return tp.Topic == "views" || (tp == TP{"clicks", 0} && o == 9)
}

func TestOutputAndCheckGood(t *testing.T) {
	root := build(t, good...)
	write(t, filepath.Join(root, "_staging", "g", "clicks", "0", "x.parquet"), []byte("partial"))
	rep, err := Output(root)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []FileRows{
		{Path: "clicks/dt=a/" + name("clicks", 0, 0, 4), Topic: "clicks", Partition: 0, Start: 0, End: 4, Offsets: []int64{0, 1, 3}, Rows: 3},
		{Path: "clicks/dt=a/" + name("clicks", 1, 0, 2), Topic: "clicks", Partition: 1, Start: 0, End: 2, Offsets: []int64{2, 0, 1}, Rows: 3},
		{Path: "clicks/dt=b/" + name("clicks", 0, 0, 4), Topic: "clicks", Partition: 0, Start: 0, End: 4, Offsets: []int64{4}, Rows: 1},
		{Path: "clicks/dt=b/" + name("clicks", 0, 5, 9), Topic: "clicks", Partition: 0, Start: 5, End: 9, Offsets: []int64{5, 6, 7, 8}, Rows: 4},
	}
	if !reflect.DeepEqual(rep.Files, wantFiles) {
		t.Errorf("Files:\n got %+v\nwant %+v", rep.Files, wantFiles)
	}
	wantDead := []FileRows{{Path: "_errors/clicks/dt=a/" + name("clicks", 0, 0, 4), Topic: "clicks", Start: 0, End: 4, Offsets: []int64{2}, Rows: 1}}
	if !reflect.DeepEqual(rep.DeadLetters, wantDead) {
		t.Errorf("DeadLetters:\n got %+v\nwant %+v", rep.DeadLetters, wantDead)
	}
	if want := []string{"_staging/g/clicks/0/x.parquet"}; !reflect.DeepEqual(rep.Staging, want) || len(rep.Problems) > 0 {
		t.Errorf("Staging %q, Problems %q", rep.Staging, rep.Problems)
	}
	if err := rep.Check(goodWant, goodExcluded); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestCheck(t *testing.T) {
	// replace returns good with file i replaced by fl (or removed when fl.dir is "").
	replace := func(i int, fl outFile) []outFile {
		out := append([]outFile{}, good...)
		if fl.dir == "" {
			return append(out[:i], out[i+1:]...)
		}
		out[i] = fl
		return out
	}
	a04 := "clicks/dt=a/" + name("clicks", 0, 0, 4)
	b04 := "clicks/dt=b/" + name("clicks", 0, 0, 4)
	cases := []struct {
		name     string
		files    []outFile
		want     map[TP]int64 // default goodWant
		excluded func(TP, int64) bool
		errs     []string // every line of the error, without the leading "  "
	}{{
		name:  "lost offset",
		files: replace(0, f("clicks/dt=a", 0, 0, 4, 0, 3)),
		errs:  []string{"clicks/0: lost offsets 1 (1)"},
	}, {
		name:  "lost offsets, as runs",
		files: replace(3, f("clicks/dt=b", 0, 5, 9, 6)),
		errs:  []string{"clicks/0: lost offsets 5, 7-8 (3)"},
	}, {
		name:  "duplicate across two files",
		files: replace(1, f("clicks/dt=b", 0, 0, 4, 4, 1)),
		errs:  []string{"clicks/0: duplicate offset 1: in " + a04 + " and " + b04},
	}, {
		name:  "duplicate across a data file and a dead letter",
		files: replace(1, f("clicks/dt=b", 0, 0, 4, 4, 2)),
		errs:  []string{"clicks/0: duplicate offset 2: in " + b04 + " and _errors/clicks/dt=a/" + name("clicks", 0, 0, 4)},
	}, {
		name:  "duplicate in one file",
		files: replace(0, f("clicks/dt=a", 0, 0, 4, 0, 1, 1, 3)),
		errs:  []string{"clicks/0: duplicate offset 1: twice in " + a04},
	}, {
		name:  "offset outside the name's range",
		files: replace(3, f("clicks/dt=b", 0, 6, 9, 5, 6, 7, 8)),
		errs: []string{
			"clicks/0: offset 5 in clicks/dt=b/" + name("clicks", 0, 6, 9) + " outside its name's range [6, 9]",
			"clicks/0: gap: offsets 5..5 are in no step range",
		},
	}, {
		name:  "overlapping step ranges",
		files: replace(3, f("clicks/dt=b", 0, 4, 9, 5, 6, 7, 8)),
		errs:  []string{"clicks/0: step ranges [0, 4] and [4, 9] overlap"},
	}, {
		name:  "gap",
		files: replace(3, f("clicks/dt=b", 0, 6, 9, 6, 7, 8)),
		errs:  []string{"clicks/0: lost offsets 5 (1)", "clicks/0: gap: offsets 5..5 are in no step range"},
	}, {
		name:     "gap of filtered offsets in the middle",
		files:    replace(3, f("clicks/dt=b", 0, 6, 9, 6, 7, 8)),
		excluded: func(tp TP, o int64) bool { return goodExcluded(tp, o) || o == 5 },
		errs:     []string{"clicks/0: gap: offsets 5..5 are in no step range"},
	}, {
		name:  "gap at the start",
		files: replace(4, f("clicks/dt=a", 1, 1, 2, 2, 1)),
		errs:  []string{"clicks/1: lost offsets 0 (1)", "clicks/1: gap: offsets 0..0 are in no step range"},
	}, {
		name:  "tail not filtered and in no file",
		files: replace(3, outFile{}),
		errs: []string{
			"clicks/0: lost offsets 5-8 (4)",
			"clicks/0: gap: offsets 5..9 are in no step range, and not all of them were filtered",
		},
	}, {
		name:  "filtered offset present",
		files: replace(3, f("clicks/dt=b", 0, 5, 9, 5, 6, 7, 8, 9)),
		errs:  []string{"clicks/0: excluded offsets in data files 9 (1)"},
	}, {
		name:     "dead letters are not excluded offsets",
		files:    good,
		excluded: func(tp TP, o int64) bool { return goodExcluded(tp, o) || (tp == TP{"clicks", 0} && o == 2) },
		errs:     []string{"clicks/0: excluded offsets in dead-letter files 2 (1)"},
	}, {
		name:  "range past the produced offsets",
		files: replace(3, f("clicks/dt=b", 0, 5, 12, 5, 6, 7, 8)),
		errs:  []string{"clicks/0: step range [5, 12] reaches past the last produced offset 9"},
	}, {
		name:  "offset never produced",
		files: replace(4, f("clicks/dt=a", 1, 0, 3, 2, 0, 1, 3)),
		errs: []string{
			"clicks/1: offset 3 in clicks/dt=a/" + name("clicks", 1, 0, 3) + " was never produced (0..2)",
			"clicks/1: step range [0, 3] reaches past the last produced offset 2",
		},
	}, {
		name:  "topic-partition nothing was produced to",
		files: append(append([]outFile{}, good...), f("clicks/dt=a", 7, 0, 0, 0)),
		errs:  []string{"clicks/7: 1 files of a topic-partition nothing was produced to"},
	}, {
		name:  "nothing written at all",
		files: nil,
		errs: []string{
			"clicks/0: lost offsets 0-8 (9)",
			"clicks/0: gap: offsets 0..9 are in no step range, and not all of them were filtered",
			"clicks/1: lost offsets 0-2 (3)",
			"clicks/1: gap: offsets 0..2 are in no step range, and not all of them were filtered",
		},
	}, {
		name:  "not a step file name",
		files: append(append([]outFile{}, good...), outFile{dir: "clicks/dt=a", topic: "clicks", rawName: "clicks+0+1+2.parquet", rowsTP: -1}),
		errs:  []string{"clicks/dt=a/clicks+0+1+2.parquet: not a step file name <topic>+<partition>+<start20>+<end20>.parquet"},
	}, {
		name:  "file outside its topic's directory",
		files: replace(1, outFile{dir: "views/dt=b", topic: "clicks", start: 0, end: 4, offsets: []int64{4}, rowsTP: -1}),
		errs:  []string{"views/dt=b/" + name("clicks", 0, 0, 4) + ": file of topic clicks is not under the topic's directory"},
	}, {
		name:  "rows of another partition",
		files: replace(1, outFile{dir: "clicks/dt=b", topic: "clicks", start: 0, end: 4, offsets: []int64{4}, rowsTP: 1}),
		errs:  []string{b04 + ": 1 rows have another kafka_topic/kafka_partition than the name's clicks/0"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Output(build(t, c.files...))
			if err != nil {
				t.Fatal(err)
			}
			want, excluded := c.want, c.excluded
			if want == nil {
				want = goodWant
			}
			if excluded == nil {
				excluded = goodExcluded
			}
			err = rep.Check(want, excluded)
			if err == nil {
				t.Fatalf("Check found nothing; want %q", c.errs)
			}
			lines := strings.Split(err.Error(), "\n  ")
			if head := fmt.Sprintf("verify: %d problems:", len(lines)-1); lines[0] != head {
				t.Errorf("first line %q, want %q", lines[0], head)
			}
			if !reflect.DeepEqual(lines[1:], c.errs) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(lines[1:], "\n  "), strings.Join(c.errs, "\n  "))
			}
		})
	}
}

func TestCorruptFiles(t *testing.T) {
	good := parquetFile(t, false, "clicks", 0, 0, 1, 2, 3, 4, 5, 6)
	cases := map[string][]byte{
		"truncated":      good[:len(good)/2],
		"footer cut off": good[:len(good)-3],
		"empty":          {},
		"not parquet":    []byte("PAR1 this is not a parquet file at all PAR1"),
	}
	for what, data := range cases {
		t.Run(what, func(t *testing.T) {
			if _, err := ReadFile(bytes.NewReader(data), int64(len(data))); err == nil {
				t.Error("ReadFile: no error")
			}
			root := t.TempDir()
			rel := "clicks/dt=a/" + name("clicks", 0, 0, 6)
			write(t, filepath.Join(root, rel), data)
			_, err := Output(root)
			if err == nil || !strings.Contains(err.Error(), rel) {
				t.Errorf("Output: got %v, want an error naming %s", err, rel)
			}
			if _, err := ReadPath(filepath.Join(root, rel)); err == nil || !strings.Contains(err.Error(), rel) {
				t.Errorf("ReadPath: got %v, want an error naming %s", err, rel)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	data := parquetFile(t, true, "clicks", 2, 7, 8)
	tbl, err := ReadFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tbl.Columns {
		names = append(names, c.Name)
	}
	if want := "kafka_topic kafka_partition kafka_offset kafka_timestamp kafka_key value headers error stage"; strings.Join(names, " ") != want {
		t.Errorf("columns %q, want %q", names, want)
	}
	want := [][]any{
		{"clicks", int32(2), int64(7), Millis(7), nil, []byte("7"), []Header{{"h", []byte("v")}}, "why", "convert"},
		{"clicks", int32(2), int64(8), Millis(8), nil, []byte("8"), []Header{{"h", []byte("v")}}, "why", "convert"},
	}
	if !reflect.DeepEqual(tbl.Rows, want) {
		t.Errorf("rows:\n got %#v\nwant %#v", tbl.Rows, want)
	}
	if tbl.Metadata["kafka2hdfs.topic"] != "clicks" {
		t.Errorf("metadata %v", tbl.Metadata)
	}
	if tbl.Col("headers") != 6 || tbl.Col("nope") != -1 {
		t.Error("Col")
	}
}

func TestDate(t *testing.T) {
	for days, want := range map[int32]string{0: "1970-01-01", -1: "1969-12-31", 19675: "2023-11-14", -719162: "0001-01-01"} {
		if got := Date(days); got.Format(time.DateOnly) != want || got.Location() != time.UTC || got != got.Truncate(24*time.Hour) {
			t.Errorf("Date(%d) = %v, want %s UTC midnight", days, got, want)
		}
	}
}

func TestRuns(t *testing.T) {
	cases := map[string][]int64{
		"":               nil,
		"3":              {3},
		"3-5, 9":         {3, 4, 5, 9},
		"0-1, 3-4, 6, 8": {0, 1, 3, 4, 6, 8},
	}
	for want, in := range cases {
		if got := runs(in); got != want {
			t.Errorf("runs(%v) = %q, want %q", in, got, want)
		}
	}
	var many []int64
	for i := range 50 {
		many = append(many, int64(2*i))
	}
	if got := runs(many); !strings.HasSuffix(got, "38, …") {
		t.Errorf("runs of 50 = %q", got)
	}
}

// TestDamagedFooter flips bytes of the footer: the reader must fail or succeed, never panic (a
// panic on one of pqarrow's own goroutines would take the whole test binary down).
func TestDamagedFooter(t *testing.T) {
	good := parquetFile(t, true, "clicks", 0, 0, 1, 2, 3, 4, 5, 6)
	footer := int(binary.LittleEndian.Uint32(good[len(good)-8:]))
	step := 5
	if testing.Short() {
		step = 17
	}
	for i := len(good) - 8 - footer; i < len(good)-8; i += step {
		d := bytes.Clone(good)
		d[i] ^= 0x55
		_, _ = ReadFile(bytes.NewReader(d), int64(len(d)))
	}
}

// TestDecimal: every arrow decimal width renders as the exact text with the column's scale, so a
// DECIMAL cell compares exactly, and not equal to the same text in a STRING column.
func TestDecimal(t *testing.T) {
	big38, _ := new(big.Int).SetString("-99999999999999999999999999999999999999", 10)
	cases := []struct {
		arr  func(mem memory.Allocator) arrow.Array
		want []any
	}{{
		func(mem memory.Allocator) arrow.Array {
			b := array.NewDecimal32Builder(mem, &arrow.Decimal32Type{Precision: 5, Scale: 2})
			b.AppendValues([]decimal.Decimal32{1234, -5, 0, -99999}, nil)
			b.AppendNull()
			return b.NewArray()
		},
		[]any{Decimal("12.34"), Decimal("-0.05"), Decimal("0.00"), Decimal("-999.99"), nil},
	}, {
		func(mem memory.Allocator) arrow.Array {
			b := array.NewDecimal64Builder(mem, &arrow.Decimal64Type{Precision: 18, Scale: 0})
			b.AppendValues([]decimal.Decimal64{-999999999999999999, 7}, nil)
			return b.NewArray()
		},
		[]any{Decimal("-999999999999999999"), Decimal("7")},
	}, {
		func(mem memory.Allocator) arrow.Array {
			b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 10})
			b.AppendValues([]decimal128.Num{decimal128.FromBigInt(big38), decimal128.FromI64(1)}, nil)
			return b.NewArray()
		},
		[]any{Decimal("-9999999999999999999999999999.9999999999"), Decimal("0.0000000001")},
	}, {
		func(mem memory.Allocator) arrow.Array {
			b := array.NewDecimal256Builder(mem, &arrow.Decimal256Type{Precision: 40, Scale: 38})
			b.AppendValues([]decimal256.Num{decimal256.FromBigInt(big38), decimal256.FromI64(-1)}, nil)
			return b.NewArray()
		},
		[]any{Decimal("-0.99999999999999999999999999999999999999"), Decimal("-0.00000000000000000000000000000000000001")},
	}}
	for _, c := range cases {
		a := c.arr(memory.DefaultAllocator)
		for i, w := range c.want {
			got, err := value(a, i)
			if err != nil || got != w {
				t.Errorf("%s[%d]: got %#v, %v; want %#v", a.DataType(), i, got, err, w)
			}
		}
		a.Release()
	}
	if any(Decimal("1.00")) == any("1.00") {
		t.Error("a Decimal equals a string")
	}
	if got := decimalText(big.NewInt(-12), -2); got != "-1200" {
		t.Errorf("negative scale: got %s", got)
	}
}
