package config

import (
	"fmt"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
)

// usesRegistry reports whether a topic reads a schema registry format.
func (c *Config) usesRegistry() bool {
	for _, t := range c.Topics {
		switch t.Format {
		case consumer.FormatAvro, consumer.FormatProtobuf, consumer.FormatJSONSchema:
			return true
		}
	}
	return false
}

func (c *Config) registryErrors() []error {
	switch {
	case c.SchemaRegistry.Set():
		return c.SchemaRegistry.Check()
	case c.usesRegistry():
		return []error{fmt.Errorf("schema_registry.url: missing; topics in the avro, protobuf and json_schema formats need the schema registry's URL")}
	}
	return nil
}

// registryClient is the schema registry client of a validated config, nil when no topic needs one.
func (c *Config) registryClient() (*registry.Client, error) {
	if !c.SchemaRegistry.Set() {
		return nil, nil
	}
	cl, err := registry.New(c.SchemaRegistry)
	if err != nil {
		return nil, fmt.Errorf("schema_registry: %w", err)
	}
	return cl, nil
}
