package consumer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kafka2hdfs/kafka2hdfs/interceptor"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

// checkNestedInterceptors refuses interceptors that would change a value inside a list, map or
// group column: interceptors act on top-level fields (slots), and a nested column reads its whole
// value from the record, so a mask on customer.email under nested: group would leave the group's
// member unmasked without a word. Reading inside one (filter, timestamp, partitioner) is fine.
func checkNestedInterceptors(ics []interceptor.Config, cols []schema.Column) error {
	var errs []error
	for _, c := range cols {
		if !schema.IsNested(c.Type) {
			continue
		}
		src := c.Field
		if src == "" {
			src = c.Name
		}
		for i, ic := range ics {
			var written []string
			switch ic.Type {
			case "mask", "add_field":
				written = []string{ic.Field}
			case "drop_fields":
				written = ic.Fields
			case "rename_field":
				written = []string{ic.From, ic.To}
			}
			if (ic.Type == "mask" || ic.Type == "add_field") && ic.Field == src {
				errs = append(errs, fmt.Errorf("interceptors[%d] (%s) would replace the %s column %s with a scalar: it holds a %s; drop it, or use nested: flatten",
					i, ic.Type, c.Type, c.Name, schema.Shape(c)))
			}
			for _, w := range written {
				if strings.HasPrefix(w, src+".") {
					errs = append(errs, fmt.Errorf("interceptors[%d] (%s) changes %s, inside the %s column %s, which holds the field's whole value: interceptors change top-level fields only; use nested: flatten (a column per leaf) to %s it",
						i, ic.Type, w, c.Type, c.Name, ic.Type))
				}
			}
		}
	}
	return errors.Join(errs...)
}
