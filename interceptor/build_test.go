package interceptor

import (
	"slices"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

func TestKinds(t *testing.T) {
	want := []string{"add_field", "drop_fields", "extract", "filter", "mask", "rename_field", "timestamp"}
	if got := Kinds(); !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string // substring; the message must also start with an option's key
	}{
		{Config{Type: "filtr"}, `type: unknown interceptor "filtr"; use one of add_field, drop_fields, extract, filter, mask, rename_field, timestamp`},

		// filter
		{Config{Type: "filter", Field: "a", Values: []string{"x"}, Method: "sha256"}, "method: filter does not use option `method`; remove it"},
		{Config{Type: "filter", Field: "a", Values: []string{"x"}, Salt: "s", Key: "k"}, "salt, key: filter does not use options `salt`, `key`; remove them"},
		{Config{Type: "filter", Field: "a", Values: []string{"x"}, Fields: []string{}}, "fields: filter does not use option `fields`"},
		{Config{Type: "filter", Values: []string{"x"}}, "field: filter needs the name of the field it reads; set field"},
		{Config{Type: "filter", Field: "a"}, "values: filter needs values (exact matches) or regex; set one"},
		{Config{Type: "filter", Field: "a", Values: []string{}}, "values: the list is empty"},
		{Config{Type: "filter", Field: "a", Values: []string{"x"}, Regex: "x"}, "regex: filter takes values or regex, not both"},
		{Config{Type: "filter", Field: "a", Regex: "(["}, `regex: "([": error parsing regexp: missing closing ]: use Go RE2 syntax`},
		{Config{Type: "filter", Field: "a", Regex: "a(?=b)"}, `regex: "a(?=b)": error parsing regexp: invalid or unsupported Perl syntax: use Go RE2 syntax (at "(?=")`},
		{Config{Type: "filter", Field: "a", Values: []string{"x"}, Action: "delete"}, `action: "delete" is not keep or drop`},
		{Config{Type: "filter", Field: "a..b", Values: []string{"x"}}, `field: field path "a..b" has an empty segment`},
		{Config{Type: "filter", Field: "@value", Values: []string{"x"}}, `field: field "@value": the only special fields are @key and @header.NAME`},

		// drop_fields
		{Config{Type: "drop_fields"}, "fields: drop_fields needs at least one field name"},
		{Config{Type: "drop_fields", Fields: []string{}}, "fields: drop_fields needs at least one field name"},
		{Config{Type: "drop_fields", Field: "a"}, "field: drop_fields does not use option `field`; remove it"},
		{Config{Type: "drop_fields", Fields: []string{"a", ""}}, "fields[1]: empty field path"},
		{Config{Type: "drop_fields", Fields: []string{"user..email"}}, `fields[0]: field path "user..email" has an empty segment`},
		{Config{Type: "drop_fields", Fields: []string{"@header."}}, `fields[0]: field "@header.": name the header`},
		{Config{Type: "drop_fields", Fields: []string{"@value"}}, `fields[0]: field "@value": the only special fields`},

		// rename_field
		{Config{Type: "rename_field", To: "b"}, "from: rename_field needs the field to rename; set from"},
		{Config{Type: "rename_field", From: "a"}, "to: rename_field needs the new name; set to"},
		{Config{Type: "rename_field", From: "a", To: "b", Field: "a"}, "field: rename_field does not use option `field`"},
		{Config{Type: "rename_field", From: "a", To: "@key"}, `to: "@key": the new name must be a plain field name`},
		{Config{Type: "rename_field", From: "a", To: "a"}, `to: "a" is the same as from`},
		{Config{Type: "rename_field", From: "a", To: "a.b"}, `to: "a.b" is inside from "a"`},
		{Config{Type: "rename_field", From: "a", To: "b."}, `to: field path "b." has an empty segment`},
		{Config{Type: "rename_field", From: "@nope", To: "b"}, `from: field "@nope": the only special fields`},

		// mask
		{Config{Type: "mask", Method: "sha256"}, "field: mask needs the name of the field it reads; set field"},
		{Config{Type: "mask", Field: "a", Method: "md5"}, `method: "md5" is not sha256, hmac-sha256, redact or null`},
		{Config{Type: "mask", Field: "a", Method: "hmac-sha256"}, "key: mask method hmac-sha256 needs the secret key; set key"},
		{Config{Type: "mask", Field: "a", Method: "hmac-sha256", Salt: "s"}, "salt: mask method hmac-sha256 does not use option `salt`"},
		{Config{Type: "mask", Field: "a", Key: "k"}, "key: mask method sha256 does not use option `key`"},
		{Config{Type: "mask", Field: "a", Replacement: "x"}, "replacement: mask method sha256 does not use option `replacement`"},
		{Config{Type: "mask", Field: "a", Method: "null", Replacement: "x"}, "replacement: mask method null does not use option `replacement`"},
		{Config{Type: "mask", Field: "a", Method: "redact", Salt: "x"}, "salt: mask method redact does not use option `salt`"},
		{Config{Type: "mask", Field: "a", Values: []string{"x"}}, "values: mask method sha256 does not use option `values`"},

		// add_field
		{Config{Type: "add_field", Value: "x"}, "field: add_field needs the name of the field it writes; set field"},
		{Config{Type: "add_field", Field: "env"}, "value: add_field source static needs a value"},
		{Config{Type: "add_field", Field: "env", Value: map[string]any{"a": 1}}, "value: a map is not a scalar"},
		{Config{Type: "add_field", Field: "env", Value: []any{1}}, "value: a list is not a scalar"},
		{Config{Type: "add_field", Field: "env", Value: struct{}{}}, "value: struct {} {} is not a string, number or boolean"},
		{Config{Type: "add_field", Field: "x", Value: 1.0 / zero()}, "value: +Inf is not a finite number"},
		{Config{Type: "add_field", Field: "env", Value: "x", Format: "rfc3339"}, "format: add_field source static does not use option `format`"},
		{Config{Type: "add_field", Field: "host", Source: "hostname", Value: "x"}, "value: add_field source hostname does not use option `value`"},
		{Config{Type: "add_field", Field: "t", Source: "processing_time", Value: "x"}, "value: add_field source processing_time does not use option `value`"},
		{Config{Type: "add_field", Field: "t", Source: "clock"}, `source: "clock" is not static, hostname or processing_time`},
		{Config{Type: "add_field", Field: "t", Source: "processing_time", Format: "epoch"}, `format: unknown time format "epoch": use auto, rfc3339, epoch_seconds`},
		{Config{Type: "add_field", Field: "@header.x", Value: "x"}, `field: field "@header.x": a written field needs a plain name`},

		// timestamp
		{Config{Type: "timestamp"}, "field: timestamp needs the name of the field it reads; set field"},
		{Config{Type: "timestamp", Field: "ts", Format: "yyyy-MM-dd"}, `format: unknown time format "yyyy-MM-dd": use auto, rfc3339`},
		{Config{Type: "timestamp", Field: "ts", IfMissing: "skip"}, `if_missing: "skip" is not keep or error`},
		{Config{Type: "timestamp", Field: "ts", Value: 1}, "value: timestamp does not use option `value`"},
		{Config{Type: "timestamp", Field: "@header.", Format: "rfc3339"}, `field: field "@header.": name the header`},

		// extract
		{Config{Type: "extract", Field: "msg"}, "regex: extract needs a regex with named groups"},
		{Config{Type: "extract", Field: "msg", Regex: `(\d+)`}, `regex: "(\\d+)" has no named group`},
		{Config{Type: "extract", Field: "msg", Regex: `(?P<a.b>x)`}, `regex: "(?P<a.b>x)": error parsing regexp: invalid named capture: use Go RE2 syntax (at "(?P<a.b>")`},
		{Config{Type: "extract", Regex: `(?P<a>x)`}, "field: extract needs the name of the field it reads"},
		{Config{Type: "extract", Field: "msg", Regex: `(?P<a>x)`, Action: "keep"}, "action: extract does not use option `action`"},
	}
	for _, tt := range tests {
		_, err := Build(tt.cfg, Env{Layout: record.NewLayout(true)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%+v) = %v, want error containing %q", tt.cfg, err, tt.want)
			continue
		}
		if !startsWithKey(err.Error()) {
			t.Errorf("Build(%+v) = %q, want it to start with the option's key", tt.cfg, err)
		}
	}
}

func zero() float64 { return 0 }

func startsWithKey(msg string) bool {
	keys := []string{"type"}
	for _, o := range options {
		keys = append(keys, o.key)
	}
	first, _, _ := strings.Cut(msg, ":")
	first, _, _ = strings.Cut(first, "[") // fields[1]
	first, _, _ = strings.Cut(first, ",") // salt, key
	return slices.Contains(keys, first)
}

func TestBuildChainErrors(t *testing.T) {
	_, err := BuildChain([]Config{
		{Type: "filter", Field: "a", Values: []string{"x"}},
		{Type: "mask", Field: "a", Method: "md5"},
		{Type: "timestamp"},
	}, Env{Layout: record.NewLayout(true)})
	if err == nil {
		t.Fatal("BuildChain = nil error, want two")
	}
	for _, want := range []string{`interceptors[1] (mask): method: "md5"`, `interceptors[2] (timestamp): field: timestamp needs`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("BuildChain error = %q, want it to contain %q", err, want)
		}
	}
}

func TestBuildRawFormat(t *testing.T) {
	env := Env{Layout: record.NewLayout(false)}
	if _, err := Build(Config{Type: "filter", Field: "@header.kind", Values: []string{"x"}}, env); err != nil {
		t.Errorf("Build(filter on a header, raw format) = %v, want nil", err)
	}
	_, err := Build(Config{Type: "filter", Field: "kind", Values: []string{"x"}}, env)
	if want := `field: field "kind": format raw does not parse the value`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Build(filter on a JSON field, raw format) = %v, want error containing %q", err, want)
	}
}
