package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// partitions adds every partition the cluster has for topics.
func (a *auditor) partitions(topics []string) error {
	for _, topic := range topics {
		parts, err := a.o.Client.Partitions(topic)
		if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
			a.warn(offsets.TP{Topic: topic, Partition: -1}, KindNotInKafka, "", "the cluster has no topic %s; its files cannot be compared with Kafka", topic)
			continue
		}
		if err != nil {
			return fmt.Errorf("audit: partitions of %s: %w", topic, err)
		}
		for _, p := range parts {
			a.tp(offsets.TP{Topic: topic, Partition: p}).inKafka = true
		}
	}
	return nil
}

// kafkaTPs are the partitions the cluster has, sorted.
func (a *auditor) kafkaTPs() []offsets.TP {
	var out []offsets.TP
	for _, tp := range a.sortedTPs() {
		if a.tps[tp].inKafka {
			out = append(out, tp)
		}
	}
	return out
}

// fetchCommitted reads the group's commits of every partition the cluster has (nil without a group).
func (a *auditor) fetchCommitted(ctx context.Context) (map[offsets.TP]offsets.Committed, error) {
	tps := a.kafkaTPs()
	if a.o.Group == "" || len(tps) == 0 {
		return nil, nil
	}
	c, err := kafkaoffsets.FetchCommitted(ctx, a.o.Client, a.o.Config, a.o.Group, tps)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return c, nil
}

// kafka reads the log offsets and, again, the commits, after the walk.
func (a *auditor) kafka(ctx context.Context, before map[offsets.TP]offsets.Committed) error {
	for _, tp := range a.sortedTPs() {
		st := a.tps[tp]
		if !st.inKafka {
			if len(st.files) > 0 {
				a.seenTopicInKafka(st)
			}
			continue
		}
		var err error
		if st.logStart, err = a.o.Client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest); err != nil {
			return fmt.Errorf("audit: log start of %s: %w", tp, err)
		}
		if st.logEnd, err = a.o.Client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest); err != nil {
			return fmt.Errorf("audit: log end of %s: %w", tp, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	after, err := a.fetchCommitted(ctx)
	if err != nil {
		return err
	}
	for tp, c := range after {
		st := a.tps[tp]
		st.after = &c
		if b, ok := before[tp]; ok {
			st.before = &b
		} else {
			st.before = &c
		}
	}
	return nil
}

// seenTopicInKafka warns about files of a partition the cluster does not have, unless the whole
// topic is missing (warned about once already).
func (a *auditor) seenTopicInKafka(st *tpState) {
	for tp, o := range a.tps {
		if tp.Topic == st.tp.Topic && o.inKafka {
			a.warn(st.tp, KindNotInKafka, "", "the cluster's topic %s has no partition %d; its files cannot be compared with Kafka", st.tp.Topic, st.tp.Partition)
			return
		}
	}
}
