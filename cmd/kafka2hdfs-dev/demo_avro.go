package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/internal/sample"
)

// demoProduceAvro starts an embedded schema registry and produces the demo's events as Avro in
// its wire format, two schema versions mid-stream; the registry stops with stop.
func demoProduceAvro(ctx context.Context, brokers []string, o sample.Options) (sample.Produced, string, func(), error) {
	reg := fakeregistry.Start()
	p, err := sample.ProduceAvro(ctx, brokers, o, reg)
	if err != nil {
		reg.Close()
		return p, "", nil, err
	}
	return p, reg.URL(), reg.Close, nil
}

// DemoAvroConfig is the demo's configuration for --format avro: columns derived from the writer
// schemas served by the embedded registry at regURL.
func DemoAvroConfig(brokers []string, out, logLevel, regURL string) string {
	return fmt.Sprintf(`kafka:
  brokers: [%s]
  group: kafka2hdfs-demo
  session_timeout: 10s
output:
  root: %s
  compression: snappy
rotation:
  max_records: 100000
  allowed_lateness: 5m
log:
  level: %s
schema_registry:
  url: %s
topics:
  - name: clicks
    format: avro
    incompatible: stop
    interceptors:
      - {type: filter, field: type, values: [search], action: drop}
      - {type: mask, field: user.email, method: sha256, salt: demo-salt}
    partitioner:
      granularity: hour
      path: dt=2006-01-02/hour=15
`, strings.Join(brokers, ", "), out, logLevel, regURL)
}
