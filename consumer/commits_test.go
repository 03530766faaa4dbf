package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// A sarama Broker holds its lock for a whole request and response, and a fetch at the log end
// waits on the broker for up to MaxWaitTime. Step commits sent on the consuming client therefore
// queued behind held fetches, one fetch wait per commit: a partition whose every record closes a
// bucket (one step per record) committed a few records a second, which is how TestStartPositions
// once timed out under load ("a partition stopped committing for 60s+"). Commits go through a
// client of their own, so a held fetch does not delay them.
func TestCommitsDoNotQueueBehindHeldFetches(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "clicks"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := New(Options{Brokers: c.ListenAddrs(), Group: "g", FS: storage.Local{}, Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	// timeCommit holds a fetch at the log end on the consuming client's broker and times a commit
	// sent through client while the fetch waits.
	const hold = 2 * time.Second
	timeCommit := func(client sarama.Client) time.Duration {
		t.Helper()
		b, err := g.client.Leader("clicks", 0)
		if err != nil {
			t.Fatal(err)
		}
		req := &sarama.FetchRequest{Version: 4, MinBytes: 1, MaxWaitTime: int32(hold / time.Millisecond), MaxBytes: 1 << 20}
		req.AddBlock("clicks", 0, 0, 1<<20, -1)
		fetched := make(chan error, 1)
		go func() { _, err := b.Fetch(req); fetched <- err }()
		time.Sleep(200 * time.Millisecond) // the fetch is on the wire and held by the broker
		cm := &kafkaoffsets.GroupCommitter{Client: client, Config: g.opts.Sarama, Group: "g", Generation: 1, Member: "m"}
		start := time.Now()
		// Nobody is in the group: the coordinator refuses the commit, which is a whole round trip.
		_ = cm.Commit(context.Background(), offsets.TP{Topic: "clicks", Partition: 0}, 0, "")
		d := time.Since(start)
		if err := <-fetched; err != nil {
			t.Fatalf("held fetch: %v", err)
		}
		return d
	}
	if d := timeCommit(g.client); d < hold/2 {
		t.Fatalf("a commit on the consuming client took %s during a held fetch; the premise (it waits for the fetch) no longer holds", d)
	}
	// What the handler commits with: the commit client.
	h := &handler{g: g}
	if d := timeCommit(h.committer(fakeSession{context.Background()}).Client); d >= hold/2 {
		t.Fatalf("a step commit took %s during a held fetch of %s: it queued behind the consuming connection", d, hold)
	}
}
