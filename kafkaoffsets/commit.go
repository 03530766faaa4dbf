// Package kafkaoffsets is the Kafka side of the commit protocol: the generation-fenced offset
// commit a group member sends (GroupCommitter), reading committed offsets, and the operator's show
// and reset of a group. It is the one place outside consumer that talks to Kafka with sarama;
// offsets holds the client-free half (step types, metadata, publish and recovery on the filesystem).
package kafkaoffsets

import (
	"github.com/kafka2hdfs/kafka2hdfs/offsets"

	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// GroupCommitter sends generation-fenced OffsetCommit requests for one consumer-group session and
// reads every partition's error code, which sarama's own Commit does not let a caller do.
type GroupCommitter struct {
	Client     sarama.Client
	Config     *sarama.Config
	Group      string
	Generation int32
	Member     string
	// Retries of transient errors (coordinator moved or loading, network). Default: 5.
	Retries int
}

// Commit commits offset and metadata for tp. It returns offsets.ErrFenced or offsets.ErrRebalancing when the
// coordinator refused because of the group state, and an error naming the Kafka error otherwise.
func (g *GroupCommitter) Commit(ctx context.Context, tp offsets.TP, offset int64, metadata string) error {
	if g.Generation < 0 || g.Member == "" {
		// Kafka accepts unfenced commits (generation -1); the protocol never sends one.
		return fmt.Errorf("commit %s: no group generation; refusing an unfenced commit", tp)
	}
	return retry(ctx, g.retries(), func() (bool, error) {
		coord, err := g.Client.Coordinator(g.Group)
		if err != nil {
			return true, fmt.Errorf("find coordinator of group %s: %w", g.Group, err)
		}
		req := sarama.NewOffsetCommitRequest(g.Config, g.Group)
		req.ConsumerGroupGeneration = g.Generation
		req.ConsumerID = g.Member
		req.AddBlockWithLeaderEpoch(tp.Topic, tp.Partition, offset, -1, 0, metadata)
		resp, err := coord.CommitOffset(req)
		if err != nil {
			_ = g.Client.RefreshCoordinator(g.Group)
			return true, fmt.Errorf("commit %s: %w", tp, err)
		}
		kerr, ok := resp.Errors[tp.Topic][tp.Partition]
		if !ok {
			return false, fmt.Errorf("commit %s: no answer for the partition", tp)
		}
		switch kerr {
		case sarama.ErrNoError:
			return false, nil
		case sarama.ErrIllegalGeneration, sarama.ErrUnknownMemberId, sarama.ErrFencedInstancedId:
			return false, fmt.Errorf("commit %s at generation %d: %w (%v)", tp, g.Generation, offsets.ErrFenced, kerr)
		case sarama.ErrRebalanceInProgress:
			return false, fmt.Errorf("commit %s: %w", tp, offsets.ErrRebalancing)
		case sarama.ErrNotCoordinatorForConsumer, sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrOffsetsLoadInProgress, sarama.ErrRequestTimedOut:
			_ = g.Client.RefreshCoordinator(g.Group)
			return true, fmt.Errorf("commit %s: %w", tp, kerr)
		case sarama.ErrOffsetMetadataTooLarge:
			return false, fmt.Errorf("commit %s: metadata of %d bytes is over the broker's offset.metadata.max.bytes: %w", tp, len(metadata), kerr)
		}
		return false, fmt.Errorf("commit %s: %w", tp, kerr)
	})
}

func (g *GroupCommitter) retries() int {
	if g.Retries > 0 {
		return g.Retries
	}
	return 5
}

// FetchCommitted reads the committed offsets and metadata of tps.
func FetchCommitted(ctx context.Context, client sarama.Client, cfg *sarama.Config, group string, tps []offsets.TP) (map[offsets.TP]offsets.Committed, error) {
	parts := map[string][]int32{}
	for _, tp := range tps {
		parts[tp.Topic] = append(parts[tp.Topic], tp.Partition)
	}
	out := make(map[offsets.TP]offsets.Committed, len(tps))
	err := retry(ctx, 5, func() (bool, error) {
		coord, err := client.Coordinator(group)
		if err != nil {
			return true, fmt.Errorf("find coordinator of group %s: %w", group, err)
		}
		resp, err := coord.FetchOffset(sarama.NewOffsetFetchRequest(cfg.Version, group, parts))
		if err != nil {
			_ = client.RefreshCoordinator(group)
			return true, fmt.Errorf("fetch offsets of group %s: %w", group, err)
		}
		if resp.Err == sarama.ErrGroupIDNotFound {
			// A group that does not exist has committed nothing. Classic coordinators answer
			// -1 per partition; kfake (and KIP-848 coordinators) answer with this error.
			for _, tp := range tps {
				out[tp] = offsets.Committed{Offset: -1}
			}
			return false, nil
		}
		if resp.Err != sarama.ErrNoError {
			_ = client.RefreshCoordinator(group)
			return isRetriable(resp.Err), fmt.Errorf("fetch offsets of group %s: %w", group, resp.Err)
		}
		for _, tp := range tps {
			b := resp.GetBlock(tp.Topic, tp.Partition)
			if b == nil {
				return false, fmt.Errorf("fetch offset %s: no answer for the partition", tp)
			}
			if b.Err != sarama.ErrNoError {
				return isRetriable(b.Err), fmt.Errorf("fetch offset %s: %w", tp, b.Err)
			}
			out[tp] = offsets.Committed{Offset: b.Offset, Metadata: b.Metadata}
		}
		return false, nil
	})
	return out, err
}

func isRetriable(k sarama.KError) bool {
	switch k {
	case sarama.ErrNotCoordinatorForConsumer, sarama.ErrConsumerCoordinatorNotAvailable, sarama.ErrOffsetsLoadInProgress, sarama.ErrRequestTimedOut, sarama.ErrUnstableOffsetCommit:
		return true
	}
	return false
}

// retry runs f until it succeeds, says not to retry, or attempts run out, backing off between tries.
func retry(ctx context.Context, attempts int, f func() (again bool, err error)) error {
	backoff := 100 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		var again bool
		if again, err = f(); err == nil || !again {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	return err
}
