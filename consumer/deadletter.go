package consumer

import (
	"fmt"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// What a dead letter keeps of the record's value (topics[].dead_letter.value).
const (
	// DeadOriginal keeps the Kafka value as it was consumed.
	DeadOriginal = "original"
	// DeadMasked keeps the record's fields as the interceptors left them (masked fields masked),
	// as a JSON object of the schema's columns; a record that failed before the interceptors
	// finished keeps no value.
	DeadMasked = "masked"
	// DeadDrop keeps no value: the dead letter says where the record is in Kafka and why it failed.
	DeadDrop = "drop"
)

// DeadLetterSpec is a topic's dead_letter block: what its dead letters (bad records, and late
// ones under completeness.late: dead_letter) keep of a record.
type DeadLetterSpec struct {
	// Value is original, masked or drop. Dead letters go to <root>/_errors, which anyone who may
	// read the output can read: a record whose fields a mask interceptor hides in the data
	// would be there in clear. Default: masked when the topic has a mask interceptor, else
	// original.
	Value string `yaml:"value,omitempty"`
}

// deadPolicy is a compiled DeadLetterSpec.
type deadPolicy struct {
	value string
	// hideKey and hideHeaders: a mask reads @key or a header, so the dead letter leaves out the
	// key or the headers (unless value is original).
	hideKey, hideHeaders bool
}

func compileDeadLetter(spec TopicSpec) (deadPolicy, error) {
	p := deadPolicy{value: spec.DeadLetter.Value}
	masks := false
	for _, ic := range spec.Interceptors {
		if ic.Type != "mask" {
			continue
		}
		masks = true
		switch f := strings.TrimSpace(ic.Field); {
		case f == record.KeyName:
			p.hideKey = true
		case strings.HasPrefix(f, record.HeaderPrefix):
			p.hideHeaders = true
		}
	}
	switch p.value {
	case "":
		p.value = DeadOriginal
		if masks {
			p.value = DeadMasked
		}
	case DeadOriginal, DeadMasked, DeadDrop:
	default:
		return p, fmt.Errorf("dead_letter.value: %q is not original, masked or drop", spec.DeadLetter.Value)
	}
	return p, nil
}

// deadRecord is what the dead letter of r stores under the topic's policy; stage is where r
// failed. For masked and drop it is a copy in *scratch (the value in *buf), so r is unchanged.
func (t *Topic) deadRecord(r *record.Record, stage string, scratch *record.Record, buf *[]byte) *record.Record {
	p := t.dead.policy
	if p.value == DeadOriginal {
		return r
	}
	*scratch = *r
	d := scratch
	d.Value = nil
	if p.hideKey {
		d.Key = nil
	}
	if p.hideHeaders {
		d.Headers = nil
	}
	if p.value == DeadMasked {
		switch {
		case t.raw():
			// The raw format writes the value as it came into the data files too; masks there
			// can only read the key and headers.
			d.Value = r.Value
		case stage != "parse" && stage != "interceptor" && t.schema != nil:
			// The interceptors ran to the end, so every mask has applied.
			v, err := t.schema.FieldsJSON(r, (*buf)[:0])
			if err == nil {
				*buf, d.Value = v, v
			}
		}
	}
	return d
}
