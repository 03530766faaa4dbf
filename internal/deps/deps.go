// Package deps pins modules that the project uses in packages still being written, so that
// go mod tidy keeps them. It is removed once every module is imported for real.
package deps

import (
	_ "github.com/IBM/sarama"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/colinmarc/hdfs/v2"
	_ "github.com/google/uuid"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/urfave/cli/v2"
	_ "golang.org/x/sync/errgroup"
	_ "google.golang.org/protobuf/encoding/protowire"
	_ "gopkg.in/yaml.v3"
)
