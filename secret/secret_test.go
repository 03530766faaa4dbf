package secret

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpandString(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("K2H_TEST_SECRET", "s3cr3t-env")
	for _, tc := range []struct {
		in, want string
		err      string // a substring of the error, "" for none
	}{
		{in: "plain", want: "plain"},
		{in: "${env:K2H_TEST_SECRET}", want: "s3cr3t-env"},
		{in: "Bearer ${env:K2H_TEST_SECRET}!", want: "Bearer s3cr3t-env!"},
		{in: "${file:" + pw + "}", want: "from-a-file"},
		{in: "$${env:X}", want: "${env:X}"},
		{in: "${env:K2H_TEST_UNSET}", err: "K2H_TEST_UNSET is not set"},
		{in: "${file:" + dir + "/nope}", err: "no such file"},
		{in: "${secret}", err: "write ${env:NAME} or ${file:/path}"},
		{in: "${vault:x}", err: "not a reference"},
	} {
		var s Set
		got, err := s.ExpandString("a.b", tc.in)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("ExpandString(%q): %v", tc.in, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "a.b: ")):
			t.Errorf("ExpandString(%q) error = %v, want a.b: ...%s...", tc.in, err, tc.err)
		case tc.err == "" && got != tc.want:
			t.Errorf("ExpandString(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.err == "" && tc.in != tc.want && strings.Contains(tc.in, "${") && !strings.HasPrefix(tc.in, "$$") && !s.FromRef("a.b") {
			t.Errorf("ExpandString(%q): key not recorded as from a reference", tc.in)
		}
	}
}

func TestFileModeWarning(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o400, false}, {0o640, true}, {0o644, true}} {
		p := filepath.Join(dir, "s")
		_ = os.Remove(p)
		if err := os.WriteFile(p, []byte("x"), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil { // the umask may have cleared bits
			t.Fatal(err)
		}
		var s Set
		if _, err := s.ExpandString("k", "${file:"+p+"}"); err != nil {
			t.Fatal(err)
		}
		if got := len(s.Warnings) > 0; got != tc.warn || (got && !strings.Contains(s.Warnings[0], p)) {
			t.Errorf("mode %04o: warnings %q, want warning=%v naming the path", tc.mode, s.Warnings, tc.warn)
		}
	}
}

func TestExpandStruct(t *testing.T) {
	t.Setenv("K2H_PW", "hunter22")
	type inner struct {
		Password string `yaml:"password"`
		Skip     string `yaml:"-"`
	}
	type cfg struct {
		A      inner          `yaml:"a"`
		List   []inner        `yaml:"list"`
		Ptr    *inner         `yaml:"ptr"`
		Any    any            `yaml:"any"`
		Map    map[string]any `yaml:"map"`
		hidden string
	}
	c := &cfg{
		A:    inner{Password: "${env:K2H_PW}", Skip: "${env:K2H_PW}"},
		List: []inner{{}, {Password: "x${env:K2H_PW}"}},
		Ptr:  &inner{Password: "${env:K2H_PW}"},
		Any:  "${env:K2H_PW}",
		Map:  map[string]any{"k": "${env:K2H_PW}", "n": 3},
	}
	c.hidden = "${env:K2H_PW}"
	var s Set
	if err := s.Expand(c); err != nil {
		t.Fatal(err)
	}
	if c.A.Password != "hunter22" || c.List[1].Password != "xhunter22" || c.Ptr.Password != "hunter22" || c.Any != "hunter22" || c.Map["k"] != "hunter22" {
		t.Errorf("not expanded: %+v %+v %+v", c, c.Ptr, c.Map)
	}
	if c.A.Skip != "${env:K2H_PW}" || c.hidden != "${env:K2H_PW}" {
		t.Errorf("expanded a field without a yaml key: %+v", c)
	}
	for _, k := range []string{"a.password", "list[1].password", "ptr.password", "any", "map.k"} {
		if !s.FromRef(k) {
			t.Errorf("FromRef(%q) = false", k)
		}
	}
	err := (&Set{}).Expand(&cfg{A: inner{Password: "${env:K2H_NOPE}"}, List: []inner{{Password: "${file:/nonexistent/x}"}}})
	if err == nil || !strings.Contains(err.Error(), "a.password: ${env:K2H_NOPE}") || !strings.Contains(err.Error(), "list[0].password: ${file:/nonexistent/x}") {
		t.Errorf("errors = %v, want both keys named", err)
	}
}

func TestRedact(t *testing.T) {
	var s Set
	s.Add("k", "hunter22")
	s.Add("k2", "hunter22-long") // contains the other: replaced whole
	s.Add("k3", "ab")            // too short to redact
	if got, want := s.Redact("pw=hunter22-long and hunter22, ab"), "pw=*** and ***, ab"; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	w := s.Writer(&buf)
	if n, err := w.Write([]byte("level=INFO msg=hunter22\n")); err != nil || n != 24 {
		t.Errorf("Write = %d, %v", n, err)
	}
	if buf.String() != "level=INFO msg=***\n" {
		t.Errorf("written %q", buf.String())
	}
	var q Set
	q.Add("k", `pa"ss\word`)
	for _, line := range []string{`msg="pa\"ss\\word"`, `{"msg":"pa\"ss\\word"}`, `pa"ss\word`} {
		if got := q.Redact(line); strings.Contains(got, "ss") {
			t.Errorf("Redact(%s) = %s: an escaped form is left", line, got)
		}
	}
	base := errors.New("base")
	err := s.Err(fmt.Errorf("login with hunter22: %w", base))
	if err.Error() != "login with ***: base" || !errors.Is(err, base) {
		t.Errorf("Err = %v (Is base: %v)", err, errors.Is(err, base))
	}
	if s.Err(nil) != nil || s.Err(base) != base {
		t.Error("Err changed nil or a clean error")
	}
	var nilSet *Set
	if nilSet.Redact("x") != "x" || nilSet.Contains("x") || nilSet.Writer(&buf) != &buf {
		t.Error("nil Set is not a no-op")
	}
}
