package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

// A configured topic name that is not in the cluster is a configuration mistake, even when another
// configured topic exists: `topics: [orders, ordres]` must not load orders and exit 0.
func TestMisspelledTopicFails(t *testing.T) {
	h := newHarness(t, "orders", 1)
	h.produce(100, 0)
	cfg := h.config("g-typo")
	typo := cfg.Topics[0]
	typo.Name = "ordres"
	cfg.Topics = append(cfg.Topics, typo)
	m := h.startBatch("typo", cfg, nil)
	err := m.wait(t, 30*time.Second)
	if !errors.Is(err, consumer.ErrUnknownTopic) || !strings.Contains(err.Error(), `"ordres"`) {
		t.Fatalf("Run = %v, want ErrUnknownTopic naming ordres", err)
	}
	if n := sumOffsets(h.committed("g-typo")); n > 0 {
		t.Errorf("committed %d records, want none: the run must stop before loading", n)
	}
}
