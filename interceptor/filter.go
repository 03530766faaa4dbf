package interceptor

import (
	"fmt"
	"regexp"

	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// filter keeps or drops records by one field:
//
//	interceptors:
//	  - type: filter
//	    field: event.type
//	    values: [click, view]   # or regex: "^(click|view)$"
//	    action: keep            # keep (default) keeps matching records and drops the rest; drop drops them
//
// It compares the field's text (field.Value.Text): a string's unescaped contents, a number's literal
// exactly as written (so 4.50 does not match "4.5"), "true"/"false", or the raw JSON of an object or
// array. A missing or null field matches nothing, so with action keep it is dropped and with action
// drop it is kept: a filter never invents a match for data that is not there.
//
// values is an exact-match set. regex is Go RE2 syntax and matches anywhere in the text, like grep:
// anchor it with ^ and $ to match the whole value. Exactly one of values and regex is required, so a
// filter never silently matches everything or nothing.
type filter struct {
	slot record.Slot
	// set holds values; nil when re is used.
	set map[string]struct{}
	re  *regexp.Regexp
	// dropMatching is action drop.
	dropMatching bool
}

func buildFilter(c Config, env Env) (Interceptor, error) {
	if err := rejectUnused(&c, "filter", "field", "values", "regex", "action"); err != nil {
		return nil, err
	}
	f := &filter{}
	switch c.Action {
	case "", "keep":
	case "drop":
		f.dropMatching = true
	default:
		return nil, fmt.Errorf("action: %q is not keep or drop; keep keeps the matching records, drop drops them", c.Action)
	}
	switch {
	case c.Values != nil && c.Regex != "":
		return nil, fmt.Errorf("regex: filter takes values or regex, not both; remove one")
	case c.Regex != "":
		re, err := compileRegex(c.Regex)
		if err != nil {
			return nil, err
		}
		f.re = re
	case len(c.Values) > 0:
		f.set = make(map[string]struct{}, len(c.Values))
		for _, v := range c.Values {
			f.set[v] = struct{}{}
		}
	case c.Values != nil:
		return nil, fmt.Errorf("values: the list is empty, so nothing would match; list at least one value")
	default:
		return nil, fmt.Errorf("values: filter needs values (exact matches) or regex; set one")
	}
	var err error
	if f.slot, err = readField(env.Layout, "field", c.Field, "filter"); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *filter) Intercept(r *record.Record) (bool, error) {
	v := r.Fields[f.slot]
	matched := false
	if !v.IsAbsent() {
		if f.re != nil {
			matched = f.re.Match(v.Bytes)
		} else {
			_, matched = f.set[string(v.Bytes)]
		}
	}
	return matched != f.dropMatching, nil
}
