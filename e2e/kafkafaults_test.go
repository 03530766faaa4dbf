package e2e

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// kafkaFaults answers chosen Kafka requests with errors, through kfake's control hooks: a fault is
// queued for a request key and answers the next matching request instead of the cluster.
type kafkaFaults struct {
	mu    sync.Mutex
	queue map[kmsg.Key][]kafkaFault
	hits  map[string]int // "Fetch NOT_LEADER_FOR_PARTITION" → requests answered with it
}

type kafkaFault struct {
	err *kerr.Error
	// partition limits an OffsetCommit fault to commits of this partition; -1: any.
	partition int32
}

func injectKafkaFaults(c *kfake.Cluster) *kafkaFaults {
	f := &kafkaFaults{queue: map[kmsg.Key][]kafkaFault{}, hits: map[string]int{}}
	for _, key := range []kmsg.Key{kmsg.Fetch, kmsg.OffsetCommit, kmsg.OffsetFetch, kmsg.Heartbeat, kmsg.JoinGroup, kmsg.SyncGroup} {
		c.ControlKey(int16(key), func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			e := f.take(key, req)
			if e == nil {
				return nil, nil, false // not faulted: the cluster answers
			}
			return errorResponse(req, e), nil, true
		})
	}
	return f
}

// arm queues n faults with err for requests of key (partition ≥ 0: OffsetCommits of it only).
func (f *kafkaFaults) arm(key kmsg.Key, err *kerr.Error, n int, partition int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queue[key] = append(f.queue[key], kafkaFault{err: err, partition: partition})
	}
}

func (f *kafkaFaults) take(key kmsg.Key, req kmsg.Request) *kerr.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.queue[key]
	for i, fl := range q {
		if fl.partition >= 0 {
			if oc, ok := req.(*kmsg.OffsetCommitRequest); !ok || !commitsPartition(oc, fl.partition) {
				continue
			}
		}
		f.queue[key] = slices.Delete(q, i, i+1)
		f.hits[key.Name()+" "+fl.err.Message]++
		return fl.err
	}
	return nil
}

func commitsPartition(req *kmsg.OffsetCommitRequest, p int32) bool {
	for _, t := range req.Topics {
		for _, tp := range t.Partitions {
			if tp.Partition == p {
				return true
			}
		}
	}
	return false
}

// pending is how many armed faults have not fired yet.
func (f *kafkaFaults) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, q := range f.queue {
		n += len(q)
	}
	return n
}

func (f *kafkaFaults) summary() (total int, desc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	for k, n := range f.hits {
		total += n
		parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
	}
	slices.Sort(parts)
	return total, strings.Join(parts, ", ")
}

// waitFired waits until every armed fault has fired.
func (f *kafkaFaults) waitFired(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for f.pending() > 0 {
		if time.Now().After(deadline) {
			f.mu.Lock()
			q := fmt.Sprint(f.queue)
			f.mu.Unlock()
			t.Fatalf("armed Kafka faults did not fire within %s: %s", timeout, q)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// errorResponse answers req with e where its response has room for an error.
func errorResponse(req kmsg.Request, e *kerr.Error) kmsg.Response {
	switch r := req.(type) {
	case *kmsg.FetchRequest:
		resp := r.ResponseKind().(*kmsg.FetchResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, e.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	case *kmsg.OffsetCommitRequest:
		resp := r.ResponseKind().(*kmsg.OffsetCommitResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewOffsetCommitResponseTopic()
			rt.Topic, rt.TopicID = t.Topic, t.TopicID
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetCommitResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, e.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	case *kmsg.OffsetFetchRequest:
		resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
		resp.ErrorCode = e.Code
		for _, g := range r.Groups {
			rg := kmsg.NewOffsetFetchResponseGroup()
			rg.Group, rg.ErrorCode = g.Group, e.Code
			resp.Groups = append(resp.Groups, rg)
		}
		return resp
	case *kmsg.HeartbeatRequest:
		resp := r.ResponseKind().(*kmsg.HeartbeatResponse)
		resp.ErrorCode = e.Code
		return resp
	case *kmsg.JoinGroupRequest:
		resp := r.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.ErrorCode, resp.Generation, resp.MemberID = e.Code, -1, r.MemberID
		return resp
	case *kmsg.SyncGroupRequest:
		resp := r.ResponseKind().(*kmsg.SyncGroupResponse)
		resp.ErrorCode = e.Code
		return resp
	}
	panic(fmt.Sprintf("no error response for %T", req))
}

// Two members load while the Kafka side fails in the ways real clusters do: fetches answered with
// NOT_LEADER or a server error, commits refused (rebalance in progress, coordinator moved or
// loading, more often in a row than the committer retries, or applied but reported timed out),
// offset fetches refused, heartbeats, joins and syncs failing.
func TestFaultKafkaErrors(t *testing.T) {
	t.Parallel()
	markStart(t)
	h := newHarness(t, "clicks", 4)
	const group = "g-kafka-faults"
	f := injectKafkaFaults(h.cluster)
	h.more(2_000, 100)
	a := h.startLogged("a", withSession(t, h.config(group), 2*time.Second), false)
	b := h.startLogged("b", withSession(t, h.config(group), 2*time.Second), false)
	h.waitCommitted(group, 0.5, 90*time.Second)

	rounds := []struct {
		name string
		arm  func()
	}{
		{"fetch not leader, commit refused", func() {
			f.arm(kmsg.Fetch, kerr.NotLeaderForPartition, 3, -1)
			f.arm(kmsg.OffsetCommit, kerr.RebalanceInProgress, 1, -1)
			f.arm(kmsg.OffsetCommit, kerr.NotCoordinator, 2, -1)
		}},
		{"fetch server error, coordinator loading", func() {
			f.arm(kmsg.Fetch, kerr.UnknownServerError, 3, -1)
			f.arm(kmsg.OffsetCommit, kerr.CoordinatorLoadInProgress, 2, -1)
		}},
		{"heartbeat, join, sync and offset fetch errors", func() {
			// The heartbeat error makes a member rejoin; its recovery fetches the committed
			// offsets (OffsetFetch) again.
			f.arm(kmsg.OffsetFetch, kerr.CoordinatorLoadInProgress, 2, -1)
			f.arm(kmsg.Heartbeat, kerr.RebalanceInProgress, 1, -1)
			f.arm(kmsg.JoinGroup, kerr.CoordinatorLoadInProgress, 1, -1)
			f.arm(kmsg.SyncGroup, kerr.RebalanceInProgress, 1, -1)
		}},
		{"a partition's commits refused more often than retried", func() {
			// The committer tries 5 times: one step of partition 0 fails, and the partition is
			// recovered from what was committed.
			f.arm(kmsg.OffsetCommit, kerr.NotCoordinator, 5, 0)
		}},
		{"member forgotten, join fails hard", func() {
			f.arm(kmsg.Heartbeat, kerr.UnknownMemberID, 1, -1)
			f.arm(kmsg.JoinGroup, kerr.UnknownServerError, 1, -1)
			f.arm(kmsg.SyncGroup, kerr.UnknownServerError, 1, -1)
		}},
	}
	timedOut := 0
	for r := 0; r < pick(1, 4); r++ {
		for _, rd := range rounds {
			rd.arm()
			if err := h.produceNext(1_000, 100); err != nil {
				t.Fatal(err)
			}
			f.waitFired(t, 90*time.Second)
			t.Logf("%s: round %q: all faults fired", time.Since(testStart(t)).Round(100*time.Millisecond), rd.name)
		}
		// Commits of partition 1 applied by the coordinator but answered REQUEST_TIMED_OUT, five
		// times in a row: the committer gives up on a commit that did happen. (kfake's Fault API,
		// since a control hook cannot apply a request and still fail it.)
		fh := h.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: group, Topic: h.topic,
			Partitions: []int32{1}, Err: kerr.RequestTimedOut, Count: 5})
		h.more(1_000, 100)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		if err := fh.Wait(ctx, 5); err != nil {
			cancel()
			t.Fatalf("the applied-but-timed-out commit faults did not fire: %v (%d hits)", err, fh.Hits())
		}
		cancel()
		timedOut += fh.Hits()
		fh.Remove()
		t.Logf("%s: applied-but-timed-out commits fired", time.Since(testStart(t)).Round(100*time.Millisecond))
	}
	h.waitCommitted(group, 1, 2*time.Minute)
	t.Logf("%s: everything committed", time.Since(testStart(t)).Round(100*time.Millisecond))
	a.stop(t)
	b.stop(t)
	failedSteps := a.count("partition stopped") + b.count("partition stopped")
	abandoned := a.count("step abandoned") + b.count("step abandoned")
	if failedSteps == 0 {
		t.Errorf("no step failed: the commit faults did not exhaust the committer's retries")
	}
	n, desc := f.summary()
	n += timedOut
	desc += fmt.Sprintf(", OffsetCommit REQUEST_TIMED_OUT after applying ×%d", timedOut)
	t.Logf("%d faults: %s; %d failed and %d abandoned steps", n, desc, failedSteps, abandoned)
	h.prove(t, group, "Kafka errors (kfake control hooks)",
		fmt.Sprintf("%d requests answered with errors (%s); %d steps failed and %d were abandoned, all recovered", n, desc, failedSteps, abandoned))
}

// newRestartableHarness is newHarness on a kfake cluster that keeps its state in a data directory
// and listens on a fixed port, so it can be closed and started again under running members.
// restart(down) closes it (kfake saves its state, live group members included), waits down, and
// starts it again on the same port and directory.
func newRestartableHarness(t *testing.T, topic string, partitions int) (h *harness, restart func(down time.Duration)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	opts := []kfake.Opt{kfake.Ports(port), kfake.SeedTopics(int32(partitions), topic),
		kfake.GroupMinSessionTimeout(time.Second), kfake.DataDir(t.TempDir())}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	teachKfake(c)
	h = &harness{t: t, cluster: c, brokers: c.ListenAddrs(), root: t.TempDir(), topic: topic, parts: partitions,
		produced: map[verify.TP]int64{}, bad: map[verify.TP]map[int64]bool{}}
	t.Cleanup(func() { h.cluster.Close() })
	restart = func(down time.Duration) {
		t.Helper()
		h.cluster.Close()
		<-time.After(down) // the outage itself
		deadline := time.Now().Add(15 * time.Second)
		for {
			c, err := kfake.NewCluster(opts...)
			if err == nil {
				teachKfake(c)
				h.cluster = c
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("restart kfake on port %d: %v", port, err)
			}
			time.Sleep(50 * time.Millisecond) // the port is being released
		}
		if got := h.cluster.ListenAddrs(); !slices.Equal(got, h.brokers) {
			t.Fatalf("restarted kfake listens on %v, want %v", got, h.brokers)
		}
	}
	return h, restart
}

// The broker (kfake with a data directory) is closed and started again on the same port and data
// while two members load: records, committed offsets (with their metadata: prepared steps) and the
// group survive. A quick restart keeps the members (kfake restores live sessions, as a Kafka
// coordinator reloads its groups); an outage longer than the session timeout expires them, so they
// rejoin and whatever they were committing under the old generation is fenced.
func TestFaultBrokerRestart(t *testing.T) {
	t.Parallel()
	markStart(t)
	h, restart := newRestartableHarness(t, "clicks", 4)
	const group = "g-restart"
	h.more(2_000, 100)
	a := h.startLogged("a", withSession(t, h.config(group), 2*time.Second), false)
	b := h.startLogged("b", withSession(t, h.config(group), 2*time.Second), false)
	h.waitCommitted(group, 1, 90*time.Second)
	restarts := pick(2, 20)
	quick, long := 0, 0
	for i := 0; i < restarts; i++ {
		down := time.Duration(0)
		if i%2 == 1 {
			down = 3 * time.Second // longer than the 2s sessions
		}
		h.more(3_000, 100) // the members are loading these when the broker goes
		before := h.committed(group)
		joined := a.count("msg=assigned") + b.count("msg=assigned")
		restart(down)
		if got := h.committed(group); !atLeast(got, before) {
			t.Fatalf("committed offsets went back over the restart: %v, before %v", got, before)
		}
		if down > 0 {
			long++
			waitUntil(t, time.Minute, "the members to rejoin after a long outage", func() bool {
				return a.count("msg=assigned")+b.count("msg=assigned") > joined
			})
		} else {
			quick++
		}
		h.waitCommitted(group, 1, 2*time.Minute)
	}
	a.stop(t)
	b.stop(t)
	fenced := a.count("fenced") + b.count("fenced")
	failed := a.count("partition stopped") + b.count("partition stopped")
	h.prove(t, group, "Broker restart (kfake data dir, same port)",
		fmt.Sprintf("%d restarts under 2 loading members: %d quick (sessions kept), %d after a 3s outage (sessions expired, members rejoined); %d fenced commits, %d failed steps, all recovered",
			restarts, quick, long, fenced, failed))
}
func atLeast(got, want map[verify.TP]int64) bool {
	for tp, w := range want {
		if got[tp] < w {
			return false
		}
	}
	return true
}
