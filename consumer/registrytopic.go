package consumer

import (
	"github.com/kafka2hdfs/kafka2hdfs/internal/errlist"

	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/interceptor"
	"github.com/kafka2hdfs/kafka2hdfs/partitioner"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// Schema registry formats: the value is in the Confluent wire format, its writer schema fetched
// from the registry by the id in the value (docs/schema-registry.md).
const (
	FormatAvro       = "avro"
	FormatProtobuf   = "protobuf"
	FormatJSONSchema = "json_schema"
)

// Values of a topic's incompatible key.
const (
	IncompatibleStop       = "stop"
	IncompatibleDeadLetter = "dead_letter"
)

// Footer keys of the files of a registry topic.
const (
	FooterSchemaID      = "kafka2hdfs.schema.registry.id"
	FooterSchemaSubject = "kafka2hdfs.schema.registry.subject"
	FooterSchemaVersion = "kafka2hdfs.schema.registry.version"
	FooterSchemaFormat  = "kafka2hdfs.schema.format"
)

// ErrIncompatibleSchema stops the run (exit 1) under incompatible: stop: a record's writer schema
// is incompatible with the topic's earlier ones, or unknown to the registry.
var ErrIncompatibleSchema = errors.New("incompatible writer schema")

func isRegistryFormat(f string) bool {
	return f == FormatAvro || f == FormatProtobuf || f == FormatJSONSchema
}

// isRegistryFatal reports whether err ends the run rather than the session: retrying a session
// cannot make an incompatible schema compatible, and a registry that failed its bounded retries
// is down for longer than a session retry is worth (docs/schema-registry.md).
func isRegistryFatal(err error) bool {
	return errors.Is(err, ErrIncompatibleSchema) || errors.Is(err, registry.ErrUnavailable)
}

// registryTopic is the per-topic state of a registry format: a plan per writer schema id, each a
// Topic of its own (filler, interceptors, partitioner and schema compiled against the columns of
// that writer schema), shared by every partition of the topic.
type registryTopic struct {
	spec   TopicSpec
	format string
	opts   CompileOptions
	stop   bool

	// mu is held while a new id is compiled (a registry round trip): the partitions that meet the
	// same new id wait for one answer, and accepted grows in one order.
	mu    sync.Mutex
	plans map[int]*Topic
	// bad caches the verdict on ids whose schema is unusable, so that a dead-lettering topic does
	// not ask the registry again for every record.
	bad map[int]error
	// accepted are the columns of the ids compiled so far, for the compatibility check when the
	// registry does not say which subject an id belongs to.
	accepted []derived
}

type derived struct {
	id   int
	cols []schema.Column
}

// schemaError is a writer schema the topic's incompatible policy applies to.
type schemaError struct{ err error }

func (e *schemaError) Error() string { return e.err.Error() }
func (e *schemaError) Unwrap() error { return e.err }

func compileRegistryTopic(t *Topic, spec TopicSpec, format string, opts CompileOptions, errs []error) (*Topic, error) {
	switch spec.Nested {
	case "", "flatten":
	case "group":
	default:
		errs = append(errs, fmt.Errorf("nested: %q is not flatten or group", spec.Nested))
	}
	rt := &registryTopic{spec: spec, format: format, opts: opts, stop: true, plans: map[int]*Topic{}, bad: map[int]error{}}
	switch spec.Incompatible {
	case "", IncompatibleStop:
	case IncompatibleDeadLetter:
		rt.stop = false
	default:
		errs = append(errs, fmt.Errorf("incompatible: %q is not stop or dead_letter", spec.Incompatible))
	}
	// The interceptors, partitioner and an explicit column list are checked now, against a layout
	// that reads any path: the columns of the writer schemas are known only at the first records.
	layout := record.NewLayout(true)
	if _, err := interceptor.BuildChain(spec.Interceptors, interceptor.Env{Layout: layout, Hostname: hostname(opts.Hostname)}); err != nil {
		errs = append(errs, errlist.Flatten(err)...)
	}
	_, err := partitioner.New(spec.Partitioner.WithDefaults(), layout)
	for _, e := range errlist.Flatten(err) {
		errs = append(errs, fmt.Errorf("partitioner.%w", e))
	}
	sopts := schema.Options{Compression: opts.Compression, KeyAsString: spec.KeyAsString}
	if len(spec.Schema) > 0 {
		_, err := schema.NewJSON(spec.Schema, layout, sopts)
		errs = append(errs, errlist.Flatten(err)...)
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
	t.reg = rt
	return t, nil
}

// plan returns the plan of value's writer schema. Errors: a *schemaError for the policy,
// registry.ErrUnavailable, or a parse error (the value is not in the wire format).
func (rt *registryTopic) plan(ctx context.Context, base *Topic, value []byte) (*Topic, error) {
	id, _, err := codec.Split(value)
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if p, ok := rt.plans[id]; ok {
		return p, nil
	}
	if err, ok := rt.bad[id]; ok {
		return nil, err
	}
	p, err := rt.compile(ctx, base, id)
	var se *schemaError
	switch {
	case errors.As(err, &se):
		rt.bad[id] = err
		return nil, err
	case err != nil:
		return nil, err
	}
	rt.plans[id] = p
	return p, nil
}

func (rt *registryTopic) compile(ctx context.Context, base *Topic, id int) (*Topic, error) {
	cl := rt.opts.Registry
	if cl == nil {
		return nil, errors.New("format " + rt.format + " needs schema_registry.url")
	}
	s, err := cl.Fetch(ctx, id)
	if errors.Is(err, registry.ErrUnknownID) {
		return nil, &schemaError{err}
	}
	if err != nil {
		return nil, err
	}
	if want := registryType[rt.format]; s.Type != want {
		return nil, &schemaError{fmt.Errorf("schema id %d is a %s schema; the topic's format %s needs %s", id, s.Type, rt.format, want)}
	}
	a, err := rt.parse(ctx, s)
	if err != nil {
		if errors.Is(err, registry.ErrUnavailable) {
			return nil, err
		}
		return nil, &schemaError{fmt.Errorf("schema id %d: %w", id, err)}
	}
	sv, err := rt.subjectOf(ctx, id)
	if err != nil {
		return nil, err
	}
	cols := a.Columns()
	if len(rt.spec.Schema) > 0 {
		// An explicit column list is the file schema whatever the writer schema: nothing to check.
		cols = rt.spec.Schema
	} else if err := rt.check(ctx, id, sv, a); err != nil {
		return nil, err
	}
	p, err := rt.build(base, a, cols)
	if err != nil {
		return nil, &schemaError{fmt.Errorf("schema id %d: %w", id, errors.Join(errlist.Flatten(err)...))}
	}
	p.schema = p.schema.WithFooter(
		[2]string{FooterSchemaID, strconv.Itoa(id)},
		[2]string{FooterSchemaSubject, sv.Subject},
		[2]string{FooterSchemaVersion, strconv.Itoa(sv.Version)},
		[2]string{FooterSchemaFormat, rt.format},
	)
	rt.accepted = append(rt.accepted, derived{id, a.Columns()})
	return p, nil
}

// writerSchema is a parsed writer schema of any registry format.
type writerSchema interface {
	Columns() []schema.Column
	HasDefault(column string) bool
	Extractor(paths []field.Path) (record.Extractor, error)
}

// registryType is the registry's schemaType of each format.
var registryType = map[string]string{FormatAvro: "AVRO", FormatJSONSchema: "JSON", FormatProtobuf: "PROTOBUF"}

func (rt *registryTopic) parse(ctx context.Context, s *registry.Schema) (writerSchema, error) {
	switch rt.format {
	case FormatJSONSchema:
		return codec.ParseJSONSchemaWith(s.Text, rt.codecOptions())
	case FormatProtobuf:
		imports := map[string]string{}
		if err := rt.imports(ctx, s.References, imports, 0); err != nil {
			return nil, err
		}
		return codec.ParseProtobufWith(s.Text, imports, rt.codecOptions())
	}
	return codec.ParseAvroWith(s.Text, rt.codecOptions())
}

func (rt *registryTopic) codecOptions() codec.Options {
	return codec.Options{Groups: rt.spec.Nested == "group"}
}

// imports fetches the schemas a protobuf schema references (its imports), and theirs, by subject
// and version, into srcs by import path.
func (rt *registryTopic) imports(ctx context.Context, refs []registry.Reference, srcs map[string]string, depth int) error {
	if depth > 16 {
		return errors.New("protobuf schema: references nest deeper than 16")
	}
	for _, r := range refs {
		if _, done := srcs[r.Name]; done {
			continue
		}
		s, err := rt.opts.Registry.SubjectVersion(ctx, registry.SubjectVersion{Subject: r.Subject, Version: r.Version})
		if err != nil {
			return fmt.Errorf("reference %s (%s version %d): %w", r.Name, r.Subject, r.Version, err)
		}
		srcs[r.Name] = s.Text
		if err := rt.imports(ctx, s.References, srcs, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// subjectOf picks the subject and version of id: the topic's value subject (TopicNameStrategy) if
// id is registered under it, else the first one the registry lists; zero if it lists none.
func (rt *registryTopic) subjectOf(ctx context.Context, id int) (registry.SubjectVersion, error) {
	vs, err := rt.opts.Registry.Versions(ctx, id)
	if err != nil || len(vs) == 0 {
		return registry.SubjectVersion{}, err
	}
	for _, v := range vs {
		if rt.spec.Name != "" && v.Subject == rt.spec.Name+"-value" {
			return v, nil
		}
	}
	return vs[0], nil
}

// check compares the writer schema with the subject's earlier versions, or, when the subject is
// unknown, with the ids accepted so far in this process.
func (rt *registryTopic) check(ctx context.Context, id int, sv registry.SubjectVersion, a writerSchema) error {
	if sv.Subject == "" {
		for _, d := range rt.accepted {
			if err := compatible(d.cols, a); err != nil {
				return &schemaError{fmt.Errorf("schema id %d is incompatible with schema id %d: %w", id, d.id, err)}
			}
		}
		return nil
	}
	for v := 1; v < sv.Version; v++ {
		old, err := rt.opts.Registry.SubjectVersion(ctx, registry.SubjectVersion{Subject: sv.Subject, Version: v})
		if errors.Is(err, registry.ErrNotFound) {
			continue // a deleted version
		}
		if err != nil {
			return err
		}
		oa, err := rt.parse(ctx, old)
		if errors.Is(err, registry.ErrUnavailable) {
			return err
		}
		if err != nil {
			continue // not a record schema the topic could have loaded
		}
		if err := compatible(oa.Columns(), a); err != nil {
			return &schemaError{fmt.Errorf("schema id %d (%s version %d) is incompatible with version %d: %w",
				id, sv.Subject, sv.Version, v, err)}
		}
	}
	return nil
}

// compatible says whether files of the new writer schema can sit beside files of the old one in a
// table whose readers merge the schemas: a shared column keeps its type or widens it, and a new
// column is optional or has a default (docs/schema-registry.md, Evolution).
func compatible(old []schema.Column, a writerSchema) error {
	was := make(map[string]schema.Column, len(old))
	for _, c := range old {
		was[c.Name] = c
	}
	var errs []error
	for _, c := range a.Columns() {
		o, ok := was[c.Name]
		switch {
		case !ok:
			if c.Required && !a.HasDefault(c.Name) {
				errs = append(errs, fmt.Errorf("new column %s is required and its field has no default", c.Name))
			}
		case schema.IsNested(o.Type) || schema.IsNested(c.Type):
			if err := schema.Evolves(o, c); err != nil {
				errs = append(errs, fmt.Errorf("column %s %w", c.Name, err))
			}
		case o.Type == c.Type:
		case o.Type == schema.TypeInt32 && c.Type == schema.TypeInt64,
			o.Type == schema.TypeFloat && c.Type == schema.TypeDouble:
		default:
			errs = append(errs, fmt.Errorf("column %s changes type from %s to %s", c.Name, o.Type, c.Type))
		}
	}
	return errors.Join(errs...)
}

// build compiles a plan for one writer schema: the topic's interceptors, partitioner and the
// columns against a layout whose values the Avro extractor fills.
func (rt *registryTopic) build(base *Topic, a writerSchema, cols []schema.Column) (*Topic, error) {
	spec, opts := rt.spec, rt.opts
	if err := checkNestedInterceptors(spec.Interceptors, cols); err != nil {
		return nil, err
	}
	layout := record.NewLayout(true)
	chain, err := interceptor.BuildChain(spec.Interceptors, interceptor.Env{Layout: layout, Hostname: hostname(opts.Hostname)})
	if err != nil {
		return nil, err
	}
	part, err := partitioner.New(spec.Partitioner.WithDefaults(), layout)
	if err != nil {
		return nil, err
	}
	s, err := schema.NewJSON(cols, layout, schema.Options{Compression: opts.Compression, KeyAsString: spec.KeyAsString})
	if err != nil {
		return nil, err
	}
	filler, err := layout.FillerWith(a.Extractor)
	if err != nil {
		return nil, err
	}
	return &Topic{spec: spec, match: base.match, filler: filler, chain: chain, part: part, schema: s, dead: base.dead}, nil
}

// regState is a partition pipeline's view of its topic's writer schemas.
type regState struct {
	// plan and err are the current record's plan or why it has none, found by registryCut.
	plan *Topic
	err  error
	// step is the plan of the records of the current step.
	step *Topic
}

// registryCut finds the plan of r's writer schema and, when it differs from the step's, flushes
// the step first: every file of a step is named by the step's offset range, so one bucket
// directory holds one file per step, and a file has one schema. A new writer schema therefore
// starts a new step, and its rows new files, at its first record (docs/schema-registry.md).
func (pl *pipeline) registryCut(ctx context.Context, r *record.Record) error {
	p, err := pl.topic.reg.plan(ctx, pl.topic, r.Value)
	pl.reg.plan, pl.reg.err = p, err
	if p == nil {
		return nil // handled by registryPlan, after the record is counted
	}
	if pl.reg.step != nil && p != pl.reg.step && pl.records > 0 {
		if err := pl.flushAsync(ctx, "schema"); err != nil {
			return err
		}
	}
	pl.reg.step = p
	return nil
}

// registryPlan returns the plan for r's writer schema, or nil when r was handled here (a dead
// letter, with err nil) or the partition must stop (err).
func (pl *pipeline) registryPlan(ctx context.Context, r *record.Record) (*Topic, error) {
	rt := pl.topic.reg
	p, err := pl.reg.plan, pl.reg.err
	pl.reg.plan, pl.reg.err = nil, nil
	if err == nil && p == nil {
		err = errors.New("internal: no writer schema plan for the record") // registryCut ran first
	}
	if err == nil {
		return p, nil
	}
	var se *schemaError
	switch {
	case errors.As(err, &se):
		pl.g.metrics.incompatible.WithLabelValues(pl.tp.Topic).Inc()
		if rt.stop {
			return nil, fmt.Errorf("%w: %s offset %d: %v (topic incompatible: stop; set incompatible: dead_letter to load past it)",
				ErrIncompatibleSchema, pl.tp, r.Offset, se.err)
		}
		return nil, pl.deadLetter(ctx, r, "schema", se.err)
	case errors.Is(err, registry.ErrUnavailable), ctx.Err() != nil:
		return nil, fmt.Errorf("%s offset %d: %w", pl.tp, r.Offset, err)
	}
	return nil, pl.deadLetter(ctx, r, "parse", err)
}
