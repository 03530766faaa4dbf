// Package interceptor is the per-topic chain of record transformations that runs after a record's
// fields are read and before it is bucketed: filter, drop_fields, rename_field, mask, add_field,
// extract and timestamp. Flume users know them as interceptors; Kafka Connect users as SMTs.
//
// An interceptor is built once per topic against the topic's record.Layout, where it resolves the
// field names it reads and writes to slots; per record it only indexes record.Fields. Adding a kind
// means writing a builder and adding it to the builders map.
package interceptor

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// An Interceptor inspects or rewrites one record. It is called from the record's partition pipeline,
// never concurrently for one pipeline, but one Interceptor serves every partition of its topic, so
// any state it keeps must be safe for concurrent use.
//
// keep=false drops the record: its offset is still committed, and no file holds it. A non-nil error
// means the record is bad (the error says why); the loader sends it to the dead-letter place with
// its topic, partition and offset, and goes on.
type Interceptor interface {
	Intercept(r *record.Record) (keep bool, err error)
}

// Func adapts a function to an Interceptor.
type Func func(r *record.Record) (bool, error)

// Intercept calls f(r).
func (f Func) Intercept(r *record.Record) (bool, error) { return f(r) }

// Config is one entry of a topic's `interceptors:` list. One struct carries the options of every
// kind so that YAML typos are caught by strict decoding; each kind rejects the options it does not
// use, naming them.
type Config struct {
	Type string `yaml:"type"`

	// Field is the field read (filter, mask, timestamp, extract) or written (add_field).
	Field string `yaml:"field,omitempty"`
	// Fields lists the fields drop_fields removes.
	Fields []string `yaml:"fields,omitempty"`
	// From and To name the fields of rename_field.
	From string `yaml:"from,omitempty"`
	To   string `yaml:"to,omitempty"`

	// Values (exact matches) or Regex select the records a filter acts on.
	Values []string `yaml:"values,omitempty"`
	Regex  string   `yaml:"regex,omitempty"`
	// Action is what a filter does with matching records: keep (drop the rest) or drop.
	// Default: keep.
	Action string `yaml:"action,omitempty"`

	// Method is how mask hides a value: sha256 (hex of salt+value), hmac-sha256 (hex, keyed by
	// Key), redact (replaced by Replacement) or null. Default: sha256.
	Method      string `yaml:"method,omitempty"`
	Salt        string `yaml:"salt,omitempty"`
	Key         string `yaml:"key,omitempty"`
	Replacement string `yaml:"replacement,omitempty"`

	// Value is add_field's static value; a YAML number or boolean stays a number or boolean.
	Value any `yaml:"value,omitempty"`
	// Source is where add_field takes its value from instead: static (Value), hostname, or
	// processing_time (formatted by Format). Default: static.
	Source string `yaml:"source,omitempty"`

	// Format is a time format (see field.ParseTimeFormat) for timestamp and for add_field's
	// processing_time. Default: auto for timestamp (an RFC3339 string or epoch milliseconds),
	// rfc3339 for add_field.
	Format string `yaml:"format,omitempty"`
	// IfMissing is what timestamp does when the field is missing or null: keep the current event
	// time (the Kafka timestamp unless changed) or error (dead-letter the record). Default: keep.
	IfMissing string `yaml:"if_missing,omitempty"`
}

// WithDefaults fills the options of c's kind that have defaults, so that printing the effective
// configuration shows them. Options the kind does not use stay empty (building rejects them).
func (c Config) WithDefaults() Config {
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	switch c.Type {
	case "timestamp":
		set(&c.Format, DefaultTimestampFormat)
		set(&c.IfMissing, "keep")
	case "filter":
		set(&c.Action, "keep")
	case "mask":
		set(&c.Method, "sha256")
	case "add_field":
		set(&c.Source, "static")
		if c.Source == "processing_time" {
			set(&c.Format, "rfc3339")
		}
	}
	return c
}

// Env is what building an interceptor may need from outside: the topic's layout and the host name.
// Time layouts without a zone are read and written in UTC.
type Env struct {
	Layout *record.Layout
	// Hostname is used by add_field source: hostname; set by the caller so tests are repeatable.
	Hostname string
}

type builder func(c Config, env Env) (Interceptor, error)

// builders holds every interceptor kind by its config name.
var builders = map[string]builder{
	"filter":       buildFilter,
	"drop_fields":  buildDropFields,
	"rename_field": buildRenameField,
	"mask":         buildMask,
	"add_field":    buildAddField,
	"timestamp":    buildTimestamp,
	"extract":      buildExtract,
}

// Kinds lists the interceptor types, sorted.
func Kinds() []string {
	ks := make([]string, 0, len(builders))
	for k := range builders {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Build builds one interceptor. Errors name the offending option and say how to fix it; the caller
// prefixes the config location (e.g. "topics[0].interceptors[2]").
func Build(c Config, env Env) (Interceptor, error) {
	b, ok := builders[c.Type]
	if !ok {
		return nil, fmt.Errorf("type: unknown interceptor %q; use one of %s", c.Type, strings.Join(Kinds(), ", "))
	}
	return b(c, env)
}

// Chain runs interceptors in order; the first that drops the record or fails stops it.
type Chain []Interceptor

// Intercept runs the chain.
func (c Chain) Intercept(r *record.Record) (bool, error) {
	for _, ic := range c {
		keep, err := ic.Intercept(r)
		if err != nil || !keep {
			return keep, err
		}
	}
	return true, nil
}

// BuildChain builds a topic's chain in order; error messages carry the index as interceptors[i].
func BuildChain(cs []Config, env Env) (Chain, error) {
	chain := make(Chain, 0, len(cs))
	var errs []error
	for i, c := range cs {
		ic, err := Build(c, env)
		if err != nil {
			// Each problem gets the prefix, not only the first line of a joined error.
			leaves := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				leaves = j.Unwrap()
			}
			for _, e := range leaves {
				errs = append(errs, fmt.Errorf("interceptors[%d] (%s): %w", i, c.Type, e))
			}
			continue
		}
		chain = append(chain, ic)
	}
	return chain, errors.Join(errs...)
}
