package schema

// WithFooter returns a copy of s whose files carry the key/value pairs in their footer, such as the
// schema registry id a topic's columns were derived from. The copy is a different schema for the
// writer: files are opened per schema, so rows of another writer schema go to another file.
func (s *Schema) WithFooter(kv ...[2]string) *Schema {
	c := *s
	c.footer = append(append([][2]string{}, s.footer...), kv...)
	return &c
}

// Footer is the extra footer metadata of the schema's files.
func (s *Schema) Footer() [][2]string { return s.footer }
