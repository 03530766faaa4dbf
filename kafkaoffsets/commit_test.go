package kafkaoffsets

import (
	"github.com/kafka2hdfs/kafka2hdfs/offsets"

	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

// groupSession is what a member's Setup saw.
type groupSession struct {
	member     string
	generation int32
}

// testMember is a sarama consumer-group member that reports each session and consumes nothing.
type testMember struct {
	sessions chan groupSession
}

func (m *testMember) Setup(s sarama.ConsumerGroupSession) error {
	m.sessions <- groupSession{member: s.MemberID(), generation: s.GenerationID()}
	return nil
}

func (m *testMember) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (m *testMember) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case <-s.Context().Done():
			return nil
		case _, ok := <-c.Messages():
			if !ok {
				return nil
			}
		}
	}
}

// next waits for the member's next session.
func (m *testMember) next(t *testing.T, who string) groupSession {
	t.Helper()
	select {
	case s := <-m.sessions:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no group session within 10s", who)
		return groupSession{}
	}
}

func testSaramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.ClientID = "offsets-test"
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.Group.Rebalance.Retry.Backoff = 50 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 50 * time.Millisecond
	return cfg
}

// joinGroup starts a member that consumes topic in group until the test ends.
func joinGroup(t *testing.T, addrs []string, group, topic string) *testMember {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, group, testSaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	m := &testMember{sessions: make(chan groupSession, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, m); err != nil {
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = cg.Close()
	})
	return m
}

func TestGroupCommitterFencing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka")
	}
	const group, topic = "offsets-test", "events"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topic), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close) // runs last: members leave first
	addrs := cluster.ListenAddrs()
	cfg := testSaramaConfig()
	client, err := sarama.NewClient(addrs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tp0, tp1 := offsets.TP{Topic: topic, Partition: 0}, offsets.TP{Topic: topic, Partition: 1}
	fetch := func(want map[offsets.TP]offsets.Committed) {
		t.Helper()
		got, err := FetchCommitted(ctx, client, cfg, group, []offsets.TP{tp0, tp1})
		if err != nil {
			t.Fatalf("FetchCommitted: %v", err)
		}
		for tp, w := range want {
			if got[tp] != w {
				t.Errorf("committed %s = %+v, want %+v", tp, got[tp], w)
			}
		}
	}
	committer := func(s groupSession) *GroupCommitter {
		return &GroupCommitter{Client: client, Config: cfg, Group: group, Generation: s.generation, Member: s.member}
	}

	// Before anyone joined: nothing committed.
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: -1}, tp1: {Offset: -1}})

	a := joinGroup(t, addrs, group, topic)
	s1 := a.next(t, "member a")
	if s1.generation < 0 || s1.member == "" {
		t.Fatalf("session %+v", s1)
	}
	gen1 := committer(s1)

	// The current generation commits, metadata included.
	if err := gen1.Commit(ctx, tp0, 5, "k2h1 r=3"); err != nil {
		t.Fatalf("commit at the current generation: %v", err)
	}
	if err := gen1.Commit(ctx, tp1, 0, ""); err != nil {
		t.Fatalf("commit at the current generation: %v", err)
	}
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: 5, Metadata: "k2h1 r=3"}, tp1: {Offset: 0, Metadata: ""}})

	// An older generation and an unknown member are fenced.
	stale := committer(groupSession{member: s1.member, generation: s1.generation - 1})
	if err := stale.Commit(ctx, tp0, 6, "k2h1 p={}"); !errors.Is(err, offsets.ErrFenced) {
		t.Errorf("commit at generation %d (current %d): %v, want offsets.ErrFenced", s1.generation-1, s1.generation, err)
	}
	stranger := committer(groupSession{member: "someone-else", generation: s1.generation})
	if err := stranger.Commit(ctx, tp0, 6, ""); !errors.Is(err, offsets.ErrFenced) {
		t.Errorf("commit by an unknown member: %v, want offsets.ErrFenced", err)
	}

	// Unfenced commits never leave the process: Kafka would take them.
	for _, s := range []groupSession{{member: s1.member, generation: -1}, {member: "", generation: s1.generation}} {
		err := committer(s).Commit(ctx, tp0, 7, "")
		if err == nil || errors.Is(err, offsets.ErrFenced) || !strings.Contains(err.Error(), "unfenced") {
			t.Errorf("commit without a generation (%+v): %v, want a local refusal", s, err)
		}
	}
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: 5, Metadata: "k2h1 r=3"}})

	// A second member joins: the generation moves, and the first session is fenced.
	b := joinGroup(t, addrs, group, topic)
	var latest groupSession
	for latest.generation <= s1.generation {
		latest = a.next(t, "member a after member b joined")
	}
	if latest.member != s1.member {
		t.Logf("member a rejoined as %s (was %s)", latest.member, s1.member)
	}
	if err := gen1.Commit(ctx, tp0, 8, "k2h1 p={}"); !errors.Is(err, offsets.ErrFenced) {
		t.Errorf("commit at generation %d after a rebalance to %d: %v, want offsets.ErrFenced", s1.generation, latest.generation, err)
	}
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: 5, Metadata: "k2h1 r=3"}})

	// The new generation commits. Should the group move on again meanwhile, follow it.
	for {
		err := committer(latest).Commit(ctx, tp0, 9, "")
		if err == nil {
			break
		}
		if !errors.Is(err, offsets.ErrFenced) && !errors.Is(err, offsets.ErrRebalancing) {
			t.Fatalf("commit at the new generation %d: %v", latest.generation, err)
		}
		latest = a.next(t, "member a")
	}
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: 9, Metadata: ""}})
	// The new member, too, is fenced at the old generation.
	sb := b.next(t, "member b")
	if err := committer(groupSession{member: sb.member, generation: s1.generation}).Commit(ctx, tp1, 1, ""); !errors.Is(err, offsets.ErrFenced) {
		t.Errorf("commit by member b at stale generation %d: %v, want offsets.ErrFenced", s1.generation, err)
	}
	fetch(map[offsets.TP]offsets.Committed{tp0: {Offset: 9, Metadata: ""}, tp1: {Offset: 0, Metadata: ""}})
}
