package writer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// A large value must not be copied whole into the file's statistics: a 2 MB string used to make a
// page header of over 4 MiB (min and max, each twice), which Arrow readers refuse, taking the
// file's other rows with them. Every file here is read back whole by arrow-go, and its page headers
// and footer stay small whatever the values.
func TestLargeValuesKeepStatisticsSmall(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, mb := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("%d MB", mb), func(t *testing.T) {
			p := newPartition(t, &writer.Budget{})
			big := bytes.Repeat([]byte{'x'}, mb<<20)
			for i := range 20 {
				v := []byte(`{"small":1}`)
				if i == 7 {
					v = big
				}
				r := &record.Record{Topic: "t", Offset: int64(i), Value: v}
				row, err := s.AppendRaw(r, "", "", nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := p.Write(ctx, "t/d", s, row); err != nil {
					t.Fatal(err)
				}
			}
			files, err := p.Stage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			path := p.StagingPath(files[0])
			tbl, err := verify.ReadPath(path)
			if err != nil {
				t.Fatalf("arrow-go cannot read the file back: %v", err)
			}
			if len(tbl.Rows) != 20 {
				t.Fatalf("read %d rows, want 20", len(tbl.Rows))
			}
			if got := tbl.Rows[7][tbl.Col("value")].([]byte); !bytes.Equal(got, big) {
				t.Errorf("the large value read back has %d bytes, want %d", len(got), len(big))
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			pf, err := parquet.OpenFile(f, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			meta := pf.Metadata()
			for _, rg := range meta.RowGroups {
				for _, cc := range rg.Columns {
					stats := cc.MetaData.Statistics
					for name, b := range map[string][]byte{"min": stats.MinValue, "max": stats.MaxValue, "deprecated min": stats.Min, "deprecated max": stats.Max} {
						if len(b) > writer.MaxStatisticsBytes {
							t.Errorf("column %v: %s statistic of %d bytes, want at most %d", cc.MetaData.PathInSchema, name, len(b), writer.MaxStatisticsBytes)
						}
					}
				}
			}
			if size := st.Size(); size > int64(mb<<20)+1<<20 {
				t.Errorf("file of %d bytes for one %d MB value: statistics copied whole?", size, mb)
			}
		})
	}
}
