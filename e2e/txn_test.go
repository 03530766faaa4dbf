package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// txnProduced is what produceTxn wrote: the offsets of committed records per partition (the only
// ones a read_committed consumer sees), and how many records were aborted.
type txnProduced struct {
	committed map[verify.TP]map[int64]bool
	aborted   int
}

// produceTxn writes rounds of transactions with a transactional producer, committing some and
// aborting others (every abortEvery-th), so the log holds committed records, aborted records and
// the commit/abort markers between them; the last transaction is committed, so each partition
// ends in a marker. It then reads the topic back with a read_committed consumer to learn which
// offsets hold committed data, and records the log ends in h.produced.
func (h *harness) produceTxn(t *testing.T, rounds, perTxn, abortEvery int) txnProduced {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.brokers...), kgo.DefaultProduceTopic(h.topic),
		kgo.TransactionalID(fmt.Sprintf("txn-%s-%d", h.topic, time.Now().UnixNano())),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.TransactionTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	r := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	aborted := 0
	// wantEnd is each partition's log end once every marker is written: its records plus one
	// marker per transaction that wrote to it.
	wantEnd := map[int32]int64{}
	for round := 0; round < rounds; round++ {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatalf("begin transaction %d: %v", round, err)
		}
		abort := abortEvery > 0 && round%abortEvery == abortEvery-1 && round != rounds-1
		touched := map[int32]bool{}
		for i := 0; i < perTxn; i++ {
			n := round*perTxn + i
			ts := start.Add(time.Duration(n) * 2 * time.Second)
			key, value := sample.Event(r, n, ts, 0)
			res := cl.ProduceSync(ctx, &kgo.Record{Key: key, Value: value, Timestamp: ts})
			rec, err := res.First()
			if err != nil {
				t.Fatalf("produce in transaction %d: %v", round, err)
			}
			wantEnd[rec.Partition]++
			touched[rec.Partition] = true
		}
		for p := range touched {
			wantEnd[p]++
		}
		if abort {
			aborted += perTxn
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(!abort)); err != nil {
			t.Fatalf("end transaction %d (commit %v): %v", round, !abort, err)
		}
	}

	// The log ends, and what a read_committed consumer sees below them.
	adm := newClient(t, h.brokers)
	out := txnProduced{committed: map[verify.TP]map[int64]bool{}, aborted: aborted}
	ends := map[int32]int64{}
	for p := int32(0); p < int32(h.parts); p++ {
		// EndTransaction returns once the coordinator decided; Kafka writes the markers to the
		// partitions after that (kfake before), so wait for them to be in the log.
		var end int64
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if end, err = adm.GetOffset(h.topic, p, -1); err != nil {
				t.Fatal(err)
			}
			if end == wantEnd[p] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("partition %d: log end %d, want %d (records and markers) after 30s", p, end, wantEnd[p])
			}
		}
		ends[p] = end
		h.produced[verify.TP{Topic: h.topic, Partition: p}] = end
		out.committed[verify.TP{Topic: h.topic, Partition: p}] = map[int64]bool{}
	}
	rc, err := kgo.NewClient(kgo.SeedBrokers(h.brokers...), kgo.ConsumeTopics(h.topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := rounds*perTxn - aborted
	seen := 0
	for seen < want {
		fs := rc.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read back %d of %d committed records: %v", seen, want, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("read back %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(rec *kgo.Record) {
			out.committed[verify.TP{Topic: rec.Topic, Partition: rec.Partition}][rec.Offset] = true
			seen++
		})
	}
	if seen != want {
		t.Fatalf("a read_committed consumer saw %d records, want %d", seen, want)
	}
	for p, end := range ends {
		if n := len(out.committed[verify.TP{Topic: h.topic, Partition: p}]); int64(n) >= end {
			t.Fatalf("partition %d: %d committed records below log end %d: no markers or aborted records to test with", p, n, end)
		}
	}
	h.excluded = func(tp verify.TP, o int64) bool { return !out.committed[tp][o] }
	return out
}

// A topic written by a transactional producer (committed and aborted transactions, each partition
// ending in a commit marker) is loaded in batch mode: the batch must finish — its target is the
// log end, which no record holds — and aborted records must not be loaded (read_committed).
func TestBatchTransactionalTopic(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "payments", 2)
	txnBatchScenario(t, h)
}

func txnBatchScenario(t *testing.T, h *harness) {
	txn := h.produceTxn(t, 12, 40, 3)
	group := h.g("g-txn")
	m := h.start("batch", h.config(group), true)
	m.finish(t, 90*time.Second, func() string { return fmt.Sprintf("committed %v, log ends %v", h.committed(group), h.produced) })
	h.prove(t, group, "Transactional topic in batch mode",
		fmt.Sprintf("%d aborted records and a commit or abort marker after each of 12 transactions; read_committed", txn.aborted))
}
