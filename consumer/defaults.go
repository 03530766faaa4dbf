package consumer

import (
	"time"

	"github.com/IBM/sarama"
)

// Defaults of the group member's settings: the one definition each; config's WithDefaults fills
// unset keys from these, and New uses them when an option is zero.
const (
	DefaultMaxRecords      = 1_000_000        // rotation.max_records
	DefaultMaxBytes        = 256 << 20        // rotation.max_bytes
	DefaultMaxAge          = 10 * time.Minute // rotation.max_age
	DefaultMinFileBytes    = 1 << 20          // rotation.min_file_bytes
	DefaultAllowedLateness = 10 * time.Minute // rotation.allowed_lateness
)

// DefaultKafkaVersion is the protocol version the member speaks when none is configured
// (kafka.version): 2.8, the oldest the loader is tested against.
var DefaultKafkaVersion = sarama.V2_8_0_0
