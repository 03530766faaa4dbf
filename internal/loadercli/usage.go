package loadercli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Command-line mistakes must exit 2 like any other configuration mistake. urfave/cli reports them
// in three ways, none of which carries that code: a flag (or KAFKA2HDFS_* variable) that does not
// parse goes through OnUsageError, an unknown command falls through to its help action (which
// exits 3), and extra arguments reach the action unchecked. strictUsage closes all three.

// usageError is a configError for the command line; the hint says where to look.
func usageError(c *cli.Context, format string, args ...any) error {
	return configError{fmt.Errorf("%s (see '%s --help')", fmt.Sprintf(format, args...), helpName(c))}
}

func helpName(c *cli.Context) string {
	if c != nil && c.Command != nil && c.Command.HelpName != "" {
		return c.Command.HelpName
	}
	return "kafka2hdfs"
}

// strictUsage makes usage mistakes in app and every command under it configuration errors.
func strictUsage(app *cli.App) {
	app.OnUsageError = onUsageError
	app.Action = func(c *cli.Context) error {
		if name := c.Args().First(); name != "" {
			return usageError(c, "unknown command %q", name)
		}
		return cli.ShowAppHelp(c)
	}
	// urfave adds --help only along with its own help command.
	app.Commands = append(app.Commands, helpCommand())
	app.Flags = append(app.Flags, cli.HelpFlag)
	for _, c := range app.Commands {
		strictCommand(c)
	}
}

func strictCommand(c *cli.Command) {
	c.OnUsageError = onUsageError
	if len(c.Subcommands) > 0 {
		if c.Action == nil {
			c.Action = groupAction
		}
		c.Subcommands = append(c.Subcommands, helpCommand())
		for _, s := range c.Subcommands {
			strictCommand(s)
		}
		return
	}
	if c.Name == "help" || c.Action == nil {
		return
	}
	action := c.Action
	c.Action = func(ctx *cli.Context) error {
		if ctx.Args().Present() {
			return usageError(ctx, "unexpected argument %q", ctx.Args().First())
		}
		return action(ctx)
	}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError(c, "%v", err)
}

// groupAction runs for a command that only groups others: with no argument it shows the help,
// with one it names the command that does not exist.
func groupAction(c *cli.Context) error {
	if name := c.Args().First(); name != "" {
		return usageError(c, "unknown command %q", name)
	}
	return cli.ShowSubcommandHelp(c)
}

// helpCommand replaces urfave's, which exits 3 for an unknown topic. It serves the app and every
// command with subcommands.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show the commands, or one command's help",
		ArgsUsage: "[command]",
		Action: func(c *cli.Context) error {
			// The context of the command whose subcommands are meant (the app's at the top).
			parent := c.Lineage()[1]
			commands := c.App.Commands
			if parent.Command != nil && len(parent.Command.Subcommands) > 0 {
				commands = parent.Command.Subcommands
			}
			name := c.Args().First()
			switch {
			case name == "" && len(parent.Lineage()) <= 1:
				return cli.ShowAppHelp(parent)
			case name == "":
				return cli.ShowSubcommandHelp(parent)
			}
			var names []string
			for _, cmd := range commands {
				if cmd.HasName(name) {
					return cli.ShowCommandHelp(parent, name)
				}
				if !cmd.Hidden {
					names = append(names, cmd.Name)
				}
			}
			return usageError(c, "unknown command %q; the commands are: %s", name, strings.Join(names, ", "))
		},
	}
}
