package loadercli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// buildInfo is what the binary knows about its build: the module version (or -X .../internal/loadercli.version),
// the commit and whether the tree was modified (from the VCS stamp Go embeds unless
// -buildvcs=false), and the Go version.
type buildInfo struct {
	Version, Commit, Go string
	Modified            bool
}

// commit is set at build time with -ldflags "-X .../internal/loadercli.commit=..." where Go's VCS stamp is not
// available (a build outside the repository, or with -buildvcs=false).
var commit = ""

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: "unknown", Go: runtime.Version()}
	if commit != "" {
		b.Commit = commit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if commit == "" {
				b.Commit = s.Value
			}
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one line --version prints after the name.
func (b buildInfo) String() string {
	commit := b.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if b.Modified {
		commit += "+modified"
	}
	return fmt.Sprintf("%s (commit %s, %s)", b.Version, commit, b.Go)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, commit and Go version of this binary",
		Action: func(c *cli.Context) error {
			b := readBuildInfo()
			fmt.Fprintf(c.App.Writer, "kafka2hdfs %s\ncommit:     %s\nmodified:   %v\ngo:         %s\n", b.Version, b.Commit, b.Modified, b.Go)
			return nil
		},
	}
}
