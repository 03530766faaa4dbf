package interceptor

import (
	"fmt"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// drop_fields removes fields from the rest of the pipeline:
//
//	interceptors:
//	  - type: drop_fields
//	    fields: [user.password, "@header.auth"]
//
// A dropped field, and every path under it, reads as missing for every later interceptor, the
// partitioner and the schema; a schema column that still names it is null (or rejects the record if
// it is required). The drop is resolved entirely in the layout when the chain is built, so the
// per-record interceptor does nothing, and nothing downstream extracts the dropped JSON at all.
//
// Dropping user.password does not rewrite the object user: a column that reads user as a whole
// still sees the password inside it. Drop the parent, or do not store it raw.
func buildDropFields(c Config, env Env) (Interceptor, error) {
	if err := rejectUnused(&c, "drop_fields", "fields"); err != nil {
		return nil, err
	}
	if len(c.Fields) == 0 {
		return nil, fmt.Errorf("fields: drop_fields needs at least one field name; list them under fields")
	}
	for i, name := range c.Fields {
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("fields[%d]: %w", i, err)
		}
	}
	for _, name := range c.Fields {
		env.Layout.Drop(name)
	}
	return keepAll, nil
}

// checkName validates a name the way Layout.Read would, for the layout calls that do not: Drop
// takes any string, and a typo such as "user..email" would otherwise drop nothing, silently.
func checkName(name string) error {
	switch {
	case name == record.KeyName:
		return nil
	case strings.HasPrefix(name, record.HeaderPrefix):
		if name == record.HeaderPrefix {
			return fmt.Errorf("field %q: name the header, as in @header.trace_id", name)
		}
		return nil
	case strings.HasPrefix(name, "@"):
		return fmt.Errorf("field %q: the only special fields are %s and %sNAME", name, record.KeyName, record.HeaderPrefix)
	}
	_, err := field.ParsePath(name)
	return err
}
