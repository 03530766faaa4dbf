package consumer

import (
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/kafka2hdfs/kafka2hdfs/interceptor"
	"github.com/kafka2hdfs/kafka2hdfs/internal/errlist"
	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Formats of a topic's values.
const (
	FormatJSON = "json"
	FormatRaw  = "raw"
)

// TopicSpec is one entry of the config's `topics:` list: which topics it matches and how their
// records become rows.
type TopicSpec struct {
	// Name is one topic; Pattern a Go regexp matched against whole topic names. Exactly one is set.
	Name    string `yaml:"name,omitempty"`
	Pattern string `yaml:"pattern,omitempty"`
	// Format is json (parse the value, write the declared schema) or raw (write key, value and
	// headers untouched). Default: json.
	Format       string               `yaml:"format,omitempty"`
	Schema       []schema.Column      `yaml:"schema,omitempty"`
	Interceptors []interceptor.Config `yaml:"interceptors,omitempty"`
	Partitioner  partitioner.Config   `yaml:"partitioner,omitempty"`
	// KeyAsString stores kafka_key as a string column (records with a non-UTF-8 key become dead
	// letters) instead of bytes. Default: false.
	KeyAsString bool `yaml:"key_as_string,omitempty"`
	// DeadLetter says what dead letters keep of a record (consumer/deadletter.go).
	DeadLetter DeadLetterSpec `yaml:"dead_letter,omitempty"`
	// Nested and Incompatible apply to the schema registry formats (consumer/registrytopic.go).
	Nested       string `yaml:"nested,omitempty"`
	Incompatible string `yaml:"incompatible,omitempty"`
}

// Topic is a compiled TopicSpec: everything a partition pipeline needs, built once at start-up.
// It is shared by every partition of the topic and safe for concurrent use.
type Topic struct {
	spec   TopicSpec
	match  *regexp.Regexp
	filler *record.Filler
	chain  interceptor.Chain
	part   *partitioner.Partitioner
	schema *schema.Schema
	dead   deadLetters
	// reg is set for the schema registry formats: the columns, filler and schema then come per
	// writer schema id, from reg's plans; this Topic has no schema of its own.
	reg *registryTopic
}

// deadLetters is where a topic's bad records go: their schema and what they keep.
type deadLetters struct {
	*schema.Schema
	policy deadPolicy
}

// CompileOptions are the run-wide settings a topic compiles with.
type CompileOptions struct {
	Compression string
	Hostname    string
	// Registry fetches writer schemas for the registry formats; nil when only validating.
	Registry *registry.Client
}

// CompileTopic builds a topic plan. Errors name the key below the topic entry, e.g.
// "schema[1].type: ..." or "interceptors[0] (mask): method: ...".
func CompileTopic(spec TopicSpec, opts CompileOptions) (*Topic, error) {
	t := &Topic{spec: spec}
	var errs []error
	switch {
	case spec.Name != "" && spec.Pattern != "":
		errs = append(errs, errors.New("name and pattern: set one of them, not both"))
	case spec.Name == "" && spec.Pattern == "":
		errs = append(errs, errors.New("name: missing; set name (one topic) or pattern (a regexp of topic names)"))
	case spec.Pattern != "":
		re, err := regexp.Compile("^(?:" + spec.Pattern + ")$")
		if err != nil {
			errs = append(errs, fmt.Errorf("pattern: %q: %v: use Go RE2 syntax", spec.Pattern, err))
		}
		t.match = re
	}
	format := spec.Format
	if format == "" {
		format = FormatJSON
	}
	if isRegistryFormat(format) {
		return compileRegistryTopic(t, spec, format, opts, errs)
	}
	if format != FormatJSON && format != FormatRaw {
		return nil, errors.Join(append(errs, fmt.Errorf("format: %q is not json, raw, avro, protobuf or json_schema", spec.Format))...)
	}
	if format == FormatRaw && len(spec.Schema) > 0 {
		errs = append(errs, errors.New("schema: format raw writes key, value and headers as they are and takes no schema; use format json to declare columns"))
	}
	layout := record.NewLayout(format == FormatJSON)
	chain, err := interceptor.BuildChain(spec.Interceptors, interceptor.Env{Layout: layout, Hostname: hostname(opts.Hostname)})
	if err != nil {
		errs = append(errs, errlist.Flatten(err)...)
	}
	t.chain = chain
	part, err := partitioner.New(spec.Partitioner.WithDefaults(), layout)
	for _, e := range errlist.Flatten(err) {
		errs = append(errs, fmt.Errorf("partitioner.%w", e))
	}
	t.part = part
	sopts := schema.Options{Compression: opts.Compression, KeyAsString: spec.KeyAsString}
	if format == FormatJSON {
		s, err := schema.NewJSON(spec.Schema, layout, sopts)
		errs = append(errs, errlist.Flatten(err)...)
		t.schema = s
	} else {
		s, err := schema.NewRaw(sopts)
		if err != nil {
			errs = append(errs, err)
		}
		t.schema = s
	}
	if t.dead.Schema, err = schema.NewDeadLetter(sopts); err != nil {
		errs = append(errs, err)
	}
	if t.dead.policy, err = compileDeadLetter(spec); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The layout is complete only after every stage resolved its fields.
	if t.filler, err = layout.Filler(); err != nil {
		return nil, err
	}
	return t, nil
}

// Matches reports whether the spec selects topic.
func (t *Topic) Matches(topic string) bool {
	if t.match != nil {
		return t.match.MatchString(topic)
	}
	return t.spec.Name == topic
}

// Spec returns the spec the topic was compiled from.
func (t *Topic) Spec() TopicSpec { return t.spec }

func (t *Topic) raw() bool { return t.schema != nil && t.schema.Kind() == schema.Raw }

func hostname(h string) string {
	if h != "" {
		return h
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}
