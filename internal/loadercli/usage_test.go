package loadercli

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Command-line mistakes are exit 2 ("the configuration or command line is wrong; nothing was
// done"), as the README promises, never 1 or 3, and never silently ignored.
func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error
	}{
		{"unknown flag", []string{"batch", "--nope"}, nil, "nope"},
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"unknown subcommand", []string{"offsets", "frob"}, nil, `unknown command "frob"`},
		{"help for unknown command", []string{"help", "frob"}, nil, "frob"},
		{"bad integer flag", []string{"batch", "--max-records", "abc"}, nil, "max-records"},
		{"bad integer variable", []string{"batch"}, map[string]string{"KAFKA2HDFS_MAX_RECORDS": "abc"}, "KAFKA2HDFS_MAX_RECORDS"},
		{"bad duration variable", []string{"batch"}, map[string]string{"KAFKA2HDFS_MAX_DURATION": "soon"}, "KAFKA2HDFS_MAX_DURATION"},
		{"extra argument", []string{"validate", "extra.yaml"}, nil, `unexpected argument "extra.yaml"`},
		{"extra argument to a subcommand", []string{"offsets", "show", "x"}, nil, `unexpected argument "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			app := newApp(settings{})
			app.Writer, app.ErrWriter = io.Discard, io.Discard
			err := app.RunContext(t.Context(), append([]string{"kafka2hdfs"}, tc.args...))
			if got := exitCode(err); got != exitConfig {
				t.Errorf("%v: exit %d (%v), want %d", tc.args, got, err, exitConfig)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
			}
		})
	}
}

// Help is not a mistake: every way of asking for it exits 0.
func TestHelpExits0(t *testing.T) {
	for _, args := range [][]string{{}, {"--help"}, {"help"}, {"help", "batch"}, {"h", "offsets"}, {"batch", "--help"},
		{"offsets"}, {"offsets", "--help"}, {"offsets", "help"}, {"offsets", "help", "show"}, {"offsets", "show", "--help"}, {"--version"}} {
		app := newApp(settings{})
		var out strings.Builder
		app.Writer, app.ErrWriter = &out, io.Discard
		err := app.RunContext(t.Context(), append([]string{"kafka2hdfs"}, args...))
		if err != nil || out.Len() == 0 {
			t.Errorf("%v: %v, %d bytes of output; want help and no error", args, err, out.Len())
		}
	}
}

// The top-level help lists every exit code main can return.
func TestHelpListsExitCodes(t *testing.T) {
	desc := newApp(settings{}).Description
	for _, code := range []int{exitOK, exitFailed, exitConfig, exitProblems, exitPartial, exitSignals} {
		if !regexp.MustCompile(fmt.Sprintf(`\s%d\s`, code)).MatchString(desc) {
			t.Errorf("help does not list exit code %d:\n%s", code, desc)
		}
	}
}

// `kafka2hdfs version` and `--version` say which build this is: version, commit and Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		app := newApp(settings{})
		var out strings.Builder
		app.Writer = &out
		if err := app.RunContext(t.Context(), append([]string{"kafka2hdfs"}, args...)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"kafka2hdfs", "commit", runtime.Version()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", args, want, out.String())
			}
		}
	}
}

// --output takes hdfs:// roots; its help says so.
func TestOutputFlagHelpMentionsHDFS(t *testing.T) {
	for _, f := range commonFlags() {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "output" && !strings.Contains(sf.Usage, "hdfs://") {
			t.Errorf("--output help %q does not mention hdfs://", sf.Usage)
		}
	}
}
