package interceptor

import (
	"fmt"
	"strings"
)

// rename_field gives a field a new name for the rest of the pipeline:
//
//	interceptors:
//	  - type: rename_field
//	    from: usr
//	    to: user
//
// From here on `to` reads what `from` held, paths under it included ("user.id" reads usr.id), and
// `from` reads as missing. Like drop_fields it is resolved in the layout when the chain is built,
// so the per-record interceptor does nothing. Renaming onto an existing name replaces that field.
//
// from may be @key or @header.NAME, which turns the key or a header into an ordinary field; to must
// be a plain name, because @-names are where the loader reads Kafka metadata, not fields it writes.
func buildRenameField(c Config, env Env) (Interceptor, error) {
	if err := rejectUnused(&c, "rename_field", "from", "to"); err != nil {
		return nil, err
	}
	if c.From == "" {
		return nil, fmt.Errorf("from: rename_field needs the field to rename; set from")
	}
	if c.To == "" {
		return nil, fmt.Errorf("to: rename_field needs the new name; set to")
	}
	if strings.HasPrefix(c.To, "@") {
		return nil, fmt.Errorf("to: %q: the new name must be a plain field name, not starting with @", c.To)
	}
	if err := checkName(c.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	switch {
	case c.To == c.From:
		return nil, fmt.Errorf("to: %q is the same as from; there is nothing to rename", c.To)
	case strings.HasPrefix(c.To, c.From+"."):
		// The layout would bind to, then forget it along with the rest of from's children.
		return nil, fmt.Errorf("to: %q is inside from %q; a field cannot be moved under itself", c.To, c.From)
	}
	if err := env.Layout.Rename(c.From, c.To); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	return keepAll, nil
}
