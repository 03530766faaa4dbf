package consumer

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// A batch ends when its last partition commits up to the target, not up to a tick later: the
// commit wakes watchBatch. With a tick of an hour, only the wake-up can end this one.
func TestWatchBatchWakesWhenATargetIsCommitted(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "clicks"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	client, err := sarama.NewClient(c.ListenAddrs(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tp := offsets.TP{Topic: "clicks", Partition: 0}
	g := &Group{
		opts: Options{Group: "g", Sarama: cfg}, log: slog.New(slog.DiscardHandler), commits: client,
		targets: map[offsets.TP]int64{tp: 3}, reached: make(chan struct{}, 1), batchTick: time.Hour,
	}
	commit := func(offset int64) {
		t.Helper()
		coord, err := client.Coordinator("g")
		if err != nil {
			t.Fatal(err)
		}
		req := sarama.NewOffsetCommitRequest(cfg, "g")
		req.ConsumerGroupGeneration = -1 // nobody is in the group: an unfenced commit is accepted
		req.AddBlock(tp.Topic, tp.Partition, offset, -1, "")
		resp, err := coord.CommitOffset(req)
		if err != nil {
			t.Fatal(err)
		}
		if kerr := resp.Errors[tp.Topic][tp.Partition]; kerr != sarama.ErrNoError {
			t.Fatal(kerr)
		}
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		g.watchBatch(ctx, cancel)
	}()

	commit(2)
	g.targetCommitted() // a check that finds the target not reached yet
	time.Sleep(300 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatalf("batch ended at offset 2 of 3: %v", context.Cause(ctx))
	}
	commit(3)
	g.targetCommitted()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("batch still running 10s after its last target was committed")
	}
	if cause := context.Cause(ctx); !errors.Is(cause, errBatchDone) {
		t.Fatalf("batch ended with %v, want errBatchDone", cause)
	}
}
