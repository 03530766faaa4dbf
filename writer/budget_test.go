package writer_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// The budget counts what the writers really hold: after buffering rows in many small buckets and
// a few large ones (whose files are open), the heap has grown by about what the budget says, and
// staging gives it back. A budget that counts estimates instead of memory would let a process
// with many buckets grow far past it (it once reached 4 GB under a 256 MiB budget).
func TestBudgetCountsRealMemory(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rowGroup int64
		files    int64 // open when the rows are in
	}{
		// 200 buckets that stay in memory, and one per partition that gets a file.
		{"few files", 2 << 20, 4},
		// Every bucket past the size at which it gets a file: the open writers' cost dominates.
		{"many files", 256 << 10, 204},
	} {
		t.Run(tc.name, func(t *testing.T) { testBudgetCountsRealMemory(t, tc.rowGroup, tc.files) })
	}
}

func testBudgetCountsRealMemory(t *testing.T, rowGroup, wantFiles int64) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &writer.Budget{}
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: b, RowGroupBytes: rowGroup}
	// The rows are built outside the measured window, and their values are fresh copies, so the
	// heap growth is the writer's alone.
	value := make([]byte, 600)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	rec := &record.Record{Topic: "t", Value: value}
	before := heapInUse()
	parts := make([]*writer.Partition, 4)
	for i := range parts {
		parts[i] = writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: int32(i)})
	}
	for i := range 40_000 {
		p := parts[i%len(parts)]
		rec.Offset = int64(i)
		row, err := s.AppendRaw(rec, "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		dir := fmt.Sprintf("t/b=%d", i%200) // 200 small buckets
		if (i/len(parts))%4 == 0 {
			dir = "t/big" // and one per partition that fills row groups
		}
		if err := p.Write(ctx, dir, s, row); err != nil {
			t.Fatal(err)
		}
	}
	grown := heapInUse() - before
	held := b.Bytes()
	t.Logf("budget %d bytes, %d files; heap grew %d bytes (%.2f of the budget)", held, b.Files(), grown, float64(grown)/float64(held))
	if b.Files() != wantFiles {
		t.Errorf("%d files open, want %d", b.Files(), wantFiles)
	}
	// The budget may over-count a little (open writers are charged their worst case), never
	// under-count by much.
	if grown > held*5/4+1<<20 {
		t.Errorf("heap grew %d bytes, the budget says %d: memory the budget does not count", grown, held)
	}
	if grown < held/2 {
		t.Errorf("heap grew %d bytes, the budget says %d: the budget over-counts and would flush for nothing", grown, held)
	}
	for _, p := range parts {
		if _, err := p.Stage(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if b.Bytes() != 0 || b.Files() != 0 {
		t.Errorf("after staging: %d bytes, %d files on the budget", b.Bytes(), b.Files())
	}
	for _, p := range parts {
		p.Close()
	}
	if left := heapInUse() - before; left > 2<<20 {
		t.Errorf("after staging the heap still holds %d bytes more than before", left)
	}
}

// Over the budget, a partition that is not the one to flush waits, and wakes when another releases
// memory; the one Relieve picks is told so instead of waiting.
func TestBudgetWaitAndRelieve(t *testing.T) {
	s, err := schema.NewRaw(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b := &writer.Budget{MaxBytes: 64 << 10}
	cfg := &writer.Config{FS: storage.Local{}, Paths: offsets.Paths{Root: t.TempDir(), Group: "g"},
		Budget: b, RowGroupBytes: 1 << 20}
	big := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 0})
	small := writer.NewPartition(cfg, offsets.TP{Topic: "t", Partition: 1})
	defer big.Close()
	defer small.Close()
	rec := &record.Record{Topic: "t", Value: make([]byte, 200)}
	write := func(p *writer.Partition, n int) {
		for range n {
			row, err := s.AppendRaw(rec, "", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Write(ctx, "t/d", s, row); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(small, 10)
	for !b.Over() {
		write(big, 10)
	}
	if b.Relieve(small) {
		t.Fatal("Relieve picked the small partition")
	}
	if !b.Relieve(big) {
		t.Fatal("Relieve did not pick the partition holding the most")
	}
	// Relieve(small) signalled big; drain that so Wait below sees only what the test does.
	select {
	case <-big.FlushRequested():
	default:
		t.Fatal("big was not signalled")
	}
	woke := make(chan bool)
	go func() { woke <- b.Wait(small, nil) }()
	select {
	case <-woke:
		t.Fatal("Wait returned while still over the budget")
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := big.Stage(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case flush := <-woke:
		if flush {
			t.Error("Wait asked the small partition to flush")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after the big partition released its memory")
	}
	if b.Over() {
		t.Errorf("still over the budget: %d bytes", b.Bytes())
	}
	// A partition asked to flush while it waits is told so.
	for !b.Over() {
		write(big, 10)
	}
	go func() { woke <- b.Wait(small, nil) }()
	time.Sleep(10 * time.Millisecond)
	b.Relieve(nil) // picks big; make small the biggest instead
	<-big.FlushRequested()
	write(small, 400)
	b.Relieve(nil)
	select {
	case flush := <-woke:
		if !flush {
			t.Error("Wait returned without asking for the flush")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return on a flush request")
	}
	big.Abort(ctx)
	small.Abort(ctx)
}
