// Package secret expands secret references in configuration values and keeps the expanded values
// so that nothing the loader prints (validate's output, logs, errors) shows them.
//
// A string value anywhere in the configuration may be, or contain, ${env:NAME} (the environment
// variable NAME, which must be set) or ${file:/path} (the file's content, one trailing newline
// trimmed). $${ writes a literal ${. References are expanded once, when the configuration is
// loaded, before it is validated: a missing variable or unreadable file is a configuration error
// naming the key.
package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Mask is what a secret is replaced with wherever it would be shown.
const Mask = "***"

// minRedact is the shortest value Redact replaces: replacing every "a" or "10" in every log line
// would make logs unreadable, and values that short are not secrets worth the name.
const minRedact = 4

// Set is the secrets a configuration was expanded with. The zero value and nil hold none.
type Set struct {
	values []string // longest first, so that a secret containing another is replaced whole
	keys   map[string]bool
	// Warnings are problems that do not stop the loader, such as a secret file others can read;
	// the caller logs them once a logger exists.
	Warnings []string
}

// Add records v as a secret that came from key (a config path such as kafka.sasl.password).
func (s *Set) Add(key, v string) {
	if s.keys == nil {
		s.keys = map[string]bool{}
	}
	if key != "" {
		s.keys[key] = true
	}
	if v == "" {
		return
	}
	// A log handler escapes what it quotes: the JSON handler as JSON, the text handler as Go
	// strings. A secret with a quote or backslash in it appears in that form.
	j, _ := json.Marshal(v)
	q := strconv.Quote(v)
	for _, form := range []string{v, string(j[1 : len(j)-1]), q[1 : len(q)-1]} {
		if !slices.Contains(s.values, form) {
			s.values = append(s.values, form)
		}
	}
	sort.SliceStable(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
}

// Values returns the secret values, and their escaped forms, longest first.
func (s *Set) Values() []string {
	if s == nil {
		return nil
	}
	return slices.Clone(s.values)
}

// FromRef reports whether key's value came from a ${...} reference.
func (s *Set) FromRef(key string) bool { return s != nil && s.keys[key] }

// Redact replaces every secret value in str with Mask.
func (s *Set) Redact(str string) string {
	if s == nil {
		return str
	}
	for _, v := range s.values {
		if len(v) >= minRedact {
			str = strings.ReplaceAll(str, v, Mask)
		}
	}
	return str
}

// Contains reports whether str contains a secret value.
func (s *Set) Contains(str string) bool {
	if s == nil {
		return false
	}
	for _, v := range s.values {
		if len(v) >= minRedact && strings.Contains(str, v) {
			return true
		}
	}
	return false
}

// Writer returns w with every secret redacted from each Write. slog handlers write one whole
// record per call, so a secret is never split between two writes there.
func (s *Set) Writer(w io.Writer) io.Writer {
	if s == nil || len(s.values) == 0 {
		return w
	}
	return redactWriter{w: w, s: s}
}

type redactWriter struct {
	w io.Writer
	s *Set
}

func (r redactWriter) Write(p []byte) (int, error) {
	if !r.s.Contains(string(p)) {
		return r.w.Write(p)
	}
	if _, err := io.WriteString(r.w, r.s.Redact(string(p))); err != nil {
		return 0, err
	}
	// The caller wrote len(p) bytes as far as it can tell; it must not retry the rest.
	return len(p), nil
}

// Err returns err with every secret in its message redacted; errors.Is and errors.As still see
// the original chain.
func (s *Set) Err(err error) error {
	if err == nil || !s.Contains(err.Error()) {
		return err
	}
	return &redactedError{err: err, msg: s.Redact(err.Error())}
}

type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

var refRE = regexp.MustCompile(`\$\$\{|\$\{([^}]*)\}`)

// ExpandString expands the references in v, recording what came from them under key.
func (s *Set) ExpandString(key, v string) (string, error) {
	if !strings.Contains(v, "${") {
		return v, nil
	}
	var errs []error
	expanded := false
	out := refRE.ReplaceAllStringFunc(v, func(m string) string {
		if m == "$${" {
			return "${"
		}
		ref := m[2 : len(m)-1]
		val, err := s.resolve(ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			return m
		}
		s.Add(key, val)
		expanded = true
		return val
	})
	if err := errors.Join(errs...); err != nil {
		return v, err
	}
	if expanded {
		// A value made of a secret and literal text ("Bearer ${env:T}") is secret as a whole.
		s.Add(key, out)
	}
	return out, nil
}

func (s *Set) resolve(ref string) (string, error) {
	kind, arg, _ := strings.Cut(ref, ":")
	switch kind {
	case "env":
		v, ok := os.LookupEnv(arg)
		if arg == "" || !ok {
			return "", fmt.Errorf("${env:%s}: environment variable %[1]s is not set; export it, or write the value itself", arg)
		}
		return v, nil
	case "file":
		if arg == "" {
			return "", errors.New("${file:}: name a file, as in ${file:/etc/kafka2hdfs/password}")
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return "", fmt.Errorf("${file:%s}: %w; the loader reads the file at start", arg, unwrapPath(err))
		}
		if fi, err := os.Stat(arg); err == nil && fi.Mode().Perm()&0o077 != 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("secret file %s is readable by group or others (mode %04o); chmod 600 it", arg, fi.Mode().Perm()))
		}
		v := strings.TrimSuffix(string(b), "\n")
		return strings.TrimSuffix(v, "\r"), nil
	}
	return "", fmt.Errorf("${%s}: not a reference the loader knows; write ${env:NAME} or ${file:/path} ($${ for a literal ${)", ref)
}

// unwrapPath drops the *PathError's own path, which the message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Expand replaces references in every string reachable from v (a pointer to a struct), naming
// keys by their yaml tags. It returns every problem, joined.
func (s *Set) Expand(v any) error {
	var errs []error
	s.walk(reflect.ValueOf(v), "", &errs)
	return errors.Join(errs...)
}

func (s *Set) walk(v reflect.Value, path string, errs *[]error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Interface {
			// The dynamic value of an interface cannot be set in place: expand a copy.
			e := v.Elem()
			if e.Kind() == reflect.String && v.CanSet() {
				out, err := s.ExpandString(path, e.String())
				if err != nil {
					*errs = append(*errs, err)
				}
				v.Set(reflect.ValueOf(out))
				return
			}
			if e.Kind() == reflect.Map || e.Kind() == reflect.Slice {
				s.walk(e, path, errs)
			}
			return
		}
		s.walk(v.Elem(), path, errs)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			s.walk(v.Field(i), join(path, name), errs)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			s.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			key := join(path, fmt.Sprint(k.Interface()))
			if e.Kind() == reflect.Interface && !e.IsNil() {
				e = e.Elem()
			}
			if e.Kind() == reflect.String {
				out, err := s.ExpandString(key, e.String())
				if err != nil {
					*errs = append(*errs, err)
				}
				v.SetMapIndex(k, reflect.ValueOf(out).Convert(v.Type().Elem()))
				continue
			}
			s.walk(e, key, errs)
		}
	case reflect.String:
		if !v.CanSet() {
			return
		}
		out, err := s.ExpandString(path, v.String())
		if err != nil {
			*errs = append(*errs, err)
		}
		v.SetString(out)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
