package e2e

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// What kfake does differently from Apache Kafka, taught here so the fast tier stays faithful (the
// real tier found these; docs/stand-ins.md lists them all).

// maxCommitMetadata is Kafka's offset.metadata.max.bytes default. kfake stores commit metadata of
// any size; Kafka refuses a partition's commit over the limit with OFFSET_METADATA_TOO_LARGE.
const maxCommitMetadata = 4096

// teachKfake makes c behave like Kafka where the loader depends on it.
func teachKfake(c *kfake.Cluster) {
	c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		for _, t := range req.(*kmsg.OffsetCommitRequest).Topics {
			for _, p := range t.Partitions {
				if p.Metadata != nil && len(*p.Metadata) > maxCommitMetadata {
					// Kafka refuses only the partitions over the limit; the loader commits one
					// partition per request, so refusing the request whole is the same to it.
					return errorResponse(req, kerr.OffsetMetadataTooLarge), nil, true
				}
			}
		}
		return nil, nil, false
	})
}

// The commit metadata limit, on the fast tier: 4096 bytes pass, 4097 are refused, as the real
// broker does (TestRealCommitMetadataLimit).
func TestKfakeCommitMetadataLimit(t *testing.T) {
	h := newHarness(t, "wide", 1)
	cl := newClient(t, h.brokers)
	for _, tc := range []struct {
		size int
		ok   bool
	}{{4000, true}, {4096, true}, {4097, false}} {
		err := commitWithMetadata(t, cl, "g-limit", h.topic, string(make([]byte, tc.size)))
		if (err == nil) != tc.ok {
			t.Errorf("a commit with %d bytes of metadata: %v", tc.size, err)
		}
	}
}
