package e2e

import (
	"context"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// audit runs the offline audit (package audit) deep over the harness's local output root, comparing
// with the group's committed offsets and the log ends in Kafka, and fails the test with its table
// unless it is clean.
func (h *harness) audit(group string) {
	h.t.Helper()
	h.auditFS(group, storage.Local{}, h.root)
}

// auditFS is audit over any output filesystem (HDFS too).
func (h *harness) auditFS(group string, fsys storage.FS, root string) {
	h.t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Metadata.AllowAutoTopicCreation = false // the audit looks topics up by name
	cl, err := sarama.NewClient(h.brokers, cfg)
	if err != nil {
		h.t.Fatalf("audit: connect to kafka: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := audit.Run(ctx, audit.Options{FS: fsys, Root: root, Deep: true, Client: cl, Config: cfg,
		Group: group, Topics: []string{h.topic}})
	if err != nil {
		h.t.Fatalf("audit: %v", err)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		h.t.Fatalf("audit: write table: %v", err)
	}
	if !rep.Clean() {
		h.t.Fatalf("audit of %s (group %s) is not clean:\n%s", root, group, b.String())
	}
	h.t.Logf("audit of group %s: clean\n%s", group, b.String())
}
