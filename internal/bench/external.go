package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/colinmarc/hdfs/v2"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// topicReadyTimeout bounds the wait for a created topic's partitions to have leaders.
const topicReadyTimeout = 30 * time.Second

// newAdmin connects a ClusterAdmin to brokers with the loader's client settings.
func newAdmin(brokers []string) (sarama.ClusterAdmin, *sarama.Config, error) {
	sc, err := LoaderSarama()
	if err != nil {
		return nil, nil, err
	}
	admin, err := sarama.NewClusterAdmin(brokers, sc)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	return admin, sc, nil
}

// CreateTopic creates topic with partitions partitions and replication 1 through sarama's
// ClusterAdmin, then waits until the brokers' metadata lists every partition with a leader, so
// that producing does not race the controller. The bench and the real-tier tests use it.
func CreateTopic(ctx context.Context, brokers []string, topic string, partitions int) error {
	admin, sc, err := newAdmin(brokers)
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: int32(partitions), ReplicationFactor: 1}, false); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	client, err := sarama.NewClient(brokers, sc)
	if err != nil {
		return fmt.Errorf("connect to %v: %w", brokers, err)
	}
	defer client.Close()
	deadline := time.Now().Add(topicReadyTimeout)
	for {
		err := client.RefreshMetadata(topic)
		if err == nil {
			err = partitionsLed(client, topic, partitions)
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topic %s not ready after %s: %w", topic, topicReadyTimeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// warmCoordinator asks the brokers for a group coordinator until one answers, and returns how
// long that took. On a fresh Apache Kafka the first FindCoordinator creates __consumer_offsets
// (50 partitions), which took 3 s on loopback: without this, the first measured run (the
// ceiling's) would pay for it alone.
func warmCoordinator(ctx context.Context, brokers []string) (time.Duration, error) {
	sc, err := LoaderSarama()
	if err != nil {
		return 0, err
	}
	client, err := sarama.NewClient(brokers, sc)
	if err != nil {
		return 0, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	defer client.Close()
	start := time.Now()
	deadline := start.Add(time.Minute)
	for {
		_, err := client.Coordinator(fmt.Sprintf("kafka2hdfs-bench-warmup-%d", start.UnixNano()))
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no group coordinator after %s: %w", time.Minute, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func partitionsLed(client sarama.Client, topic string, want int) error {
	parts, err := client.Partitions(topic)
	if err != nil {
		return err
	}
	if len(parts) != want {
		return fmt.Errorf("%d of %d partitions in the metadata", len(parts), want)
	}
	for _, p := range parts {
		if _, err := client.Leader(topic, p); err != nil {
			return fmt.Errorf("partition %d: %w", p, err)
		}
	}
	return nil
}

// deleteTopic deletes a topic CreateTopic made. The consumer groups the runs used are left: they
// hold a few committed offsets and expire with offsets.retention.minutes.
func deleteTopic(brokers []string, topic string) error {
	admin, _, err := newAdmin(brokers)
	if err != nil {
		return err
	}
	defer admin.Close()
	return admin.DeleteTopic(topic)
}

// kafkaVersionGuess is franz-go's guess of the broker's release from the API versions it
// advertises ("v4.4", or a range), or why there is none. Kafka does not say its version on the
// wire; this is only a check on what the operator says it is.
func kafkaVersionGuess(ctx context.Context, brokers []string) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName, req.ClientSoftwareVersion = "kafka2hdfs-bench", "1"
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Sprintf("unknown (ApiVersions: %v)", err)
	}
	return kversion.FromApiVersionsResponse(resp).VersionGuess()
}

// removeHDFSAll removes dir and everything under it on the HDFS at namenode, as user.
func removeHDFSAll(namenode, user, dir string) error {
	if dir == "" || dir == "/" {
		return errors.New("remove: refusing to remove the HDFS root")
	}
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{namenode}, User: user})
	if err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	defer c.Close()
	if err := c.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
