package storage

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Perms are the modes the loader creates files and directories with (output.permissions), on the
// local filesystem and on HDFS alike. The zero value means DefaultPerms. Existing directories keep
// their mode; on the local filesystem the process umask may clear more bits.
type Perms struct {
	// File is the mode of data, dead-letter and marker files. Default: 0640.
	File Mode `yaml:"file"`
	// Dir is the mode of the directories the loader creates. Default: 0750.
	Dir Mode `yaml:"dir"`
}

// DefaultPerms give the owner full access, the group read access, and others none: output can
// hold personal data, and dead letters hold whole records.
var DefaultPerms = Perms{File: 0o640, Dir: 0o750}

// WithDefaults fills unset modes.
func (p Perms) WithDefaults() Perms {
	if p.File == 0 {
		p.File = DefaultPerms.File
	}
	if p.Dir == 0 {
		p.Dir = DefaultPerms.Dir
	}
	return p
}

// Check reports modes the loader cannot work with, naming the key below output.permissions.
func (p Perms) Check() []error {
	var errs []error
	if p.File&^0o777 != 0 || p.File&0o600 != 0o600 {
		errs = append(errs, fmt.Errorf("file: %s must give the owner read and write (0600) and have no bits beyond 0777; the loader reads back what it writes (default 0640)", p.File))
	}
	if p.Dir&^0o777 != 0 || p.Dir&0o700 != 0o700 {
		errs = append(errs, fmt.Errorf("dir: %s must give the owner rwx (0700) and have no bits beyond 0777 (default 0750)", p.Dir))
	}
	return errs
}

// Mode is a permission mode written in octal in YAML: "0640", 640 or 0o640.
type Mode fs.FileMode

func (m Mode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// UnmarshalYAML implements yaml.Unmarshaler. The text is read as octal whatever YAML makes of
// it, so 640 and 0640 mean the same mode.
func (m *Mode) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimPrefix(strings.TrimPrefix(n.Value, "0o"), "0O")
	v, err := strconv.ParseUint(s, 8, 32)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: %q is not an octal mode; write it like \"0640\"", n.Line, n.Value)
	}
	*m = Mode(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (m Mode) MarshalYAML() (any, error) { return m.String(), nil }

// FileMode is m as an fs.FileMode.
func (m Mode) FileMode() fs.FileMode { return fs.FileMode(m) }
