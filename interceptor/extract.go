package interceptor

import (
	"fmt"
	"regexp"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// extract splits fields out of a text field with a regular expression, like Flume's
// regex_extractor:
//
//	interceptors:
//	  - type: extract
//	    field: message
//	    regex: '^(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})'
//
// Each named group defines a field of that name for the rest of the pipeline, holding the group's
// text as a string; unnamed groups only group. The regex is Go RE2 syntax and, like filter's,
// matches anywhere in the text unless anchored with ^ and $; the leftmost match wins.
//
// When the regex does not match, or the field is missing or null, the named fields are missing:
// that is not an error, because free-text fields rarely all follow one pattern, and a schema column
// that must have the value can say required. A group that did not take part in the match (an
// optional group, or the other side of an alternation) is missing too; one that matched nothing is
// an empty string. Several groups may share a name across alternatives, as in
// `id=(?P<id>\d+)|id:(?P<id>\w+)`: the field takes the first of them that took part.
//
// Extracted values are strings. Integer and floating-point columns accept a string that holds
// exactly one number ("200", not "200 OK"), so a status code can feed an int32 column; anything else
// is a dead letter, never a guess.
type extract struct {
	src record.Slot
	re  *regexp.Regexp
	out []extractOut
}

// extractOut is one defined field and the groups (by submatch index) that may fill it.
type extractOut struct {
	slot   record.Slot
	groups []int
}

func buildExtract(c Config, env Env) (Interceptor, error) {
	if err := rejectUnused(&c, "extract", "field", "regex"); err != nil {
		return nil, err
	}
	if c.Regex == "" {
		return nil, fmt.Errorf("regex: extract needs a regex with named groups, as in (?P<status>\\d{3}); set regex")
	}
	re, err := compileRegex(c.Regex)
	if err != nil {
		return nil, err
	}
	var names []string
	groups := map[string][]int{}
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if _, seen := groups[name]; !seen {
			names = append(names, name)
		}
		groups[name] = append(groups[name], i)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("regex: %q has no named group, so it would extract nothing; name the groups to keep, as in (?P<status>\\d{3})", c.Regex)
	}
	e := &extract{re: re}
	// The source is resolved before the groups are defined: a group may reuse its name.
	if e.src, err = readField(env.Layout, "field", c.Field, "extract"); err != nil {
		return nil, err
	}
	for _, name := range names {
		slot, err := env.Layout.Define(name)
		if err != nil {
			return nil, fmt.Errorf("regex: group %q: %w", name, err)
		}
		e.out = append(e.out, extractOut{slot: slot, groups: groups[name]})
	}
	return e, nil
}

func (e *extract) Intercept(r *record.Record) (bool, error) {
	v := r.Fields[e.src]
	var m []int
	if !v.IsAbsent() {
		m = e.re.FindSubmatchIndex(v.Bytes)
	}
	for _, o := range e.out {
		// The slots are cleared for each record already; writing Missing anyway keeps a value
		// from a previous record out, whoever fills the record.
		out := field.Value{}
		for _, g := range o.groups {
			if m != nil && m[2*g] >= 0 {
				// Aliasing the source is safe: it lives exactly as long as this record's values.
				out = field.Value{Kind: field.String, Bytes: v.Bytes[m[2*g]:m[2*g+1]:m[2*g+1]]}
				break
			}
		}
		r.Fields[o.slot] = out
	}
	return true, nil
}
