package loadercli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/audit"
	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// errAuditProblems is returned when the audit found problems; main maps it to exit code 3. The
// report itself has been printed by then.
var errAuditProblems = errors.New("the audit found problems in the output")

func auditCommand(reader audit.FileReader) *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "check an output root: step ranges tile every partition's offsets, files are whole, commits agree",
		ArgsUsage: " ",
		Description: `Lists every file under the output root and checks, per topic-partition, that the distinct step
ranges in the file names are contiguous and do not overlap, that every file is where it belongs, and
lists staging leftovers. --deep reads every file back (row counts; kafka_offset within the name's
range; kafka_topic and kafka_partition as named). With brokers (--brokers or the config file's
kafka.brokers) it compares the files with the group's committed offsets and metadata and with each
partition's log start and end. It only reads; it changes nothing. See docs/audit.md.

Exit codes: 0 clean (warnings allowed), 3 problems found, 2 bad usage or configuration, 1 the
audit itself failed (filesystem or Kafka unreachable).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, EnvVars: []string{"KAFKA2HDFS_CONFIG"}, Usage: "the loader's YAML config: output root, HDFS options, brokers and group come from it"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, EnvVars: []string{"KAFKA2HDFS_OUTPUT"}, Usage: "output root to audit: a path, file:///path or hdfs://... (output.root)"},
			&cli.StringFlag{Name: "brokers", EnvVars: []string{"KAFKA2HDFS_BROKERS"}, Usage: "comma-separated Kafka brokers, host:port, to compare with (kafka.brokers); without brokers only files are checked"},
			&cli.StringFlag{Name: "group", EnvVars: []string{"KAFKA2HDFS_GROUP"}, Usage: "the loader's consumer group (kafka.group; default kafka2hdfs, as for the loader)"},
			&cli.StringFlag{Name: "hdfs-user", EnvVars: []string{"KAFKA2HDFS_HDFS_USER"}, Usage: "HDFS user for hdfs:// roots (output.hdfs.user)"},
			&cli.StringSliceFlag{Name: "topic", Usage: "audit only this topic (repeatable); default: every topic directory under the root"},
			&cli.BoolFlag{Name: "deep", Usage: "read every file back: every page decoded, row counts, offsets and partitions checked"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON instead of a table"},
		},
		Action: func(c *cli.Context) error {
			clean, err := auditAction(c, reader)
			if err != nil {
				return err
			}
			if !clean {
				return errAuditProblems
			}
			return nil
		},
	}
}

// auditAction runs the audit and prints the report; clean is false when it found problems.
func auditAction(c *cli.Context, reader audit.FileReader) (clean bool, err error) {
	if c.Args().Len() > 0 {
		return false, configError{fmt.Errorf("audit takes no arguments, got %q; use --output ROOT", c.Args().Slice())}
	}
	cfg, err := config.Load(c.String("config"))
	if err != nil {
		return false, configError{err}
	}
	if v := c.String("brokers"); v != "" {
		cfg.Kafka.Brokers = nil
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				cfg.Kafka.Brokers = append(cfg.Kafka.Brokers, b)
			}
		}
	}
	for _, f := range []struct {
		dst  *string
		name string
	}{{&cfg.Kafka.Group, "group"}, {&cfg.Output.Root, "output"}, {&cfg.Output.HDFS.User, "hdfs-user"}} {
		if v := c.String(f.name); v != "" {
			*f.dst = v
		}
	}
	if cfg.Output.Root == "" {
		return false, configError{errors.New("no output root: give --output ROOT, or --config with output.root")}
	}
	withKafka := len(cfg.Kafka.Brokers) > 0
	if !withKafka && cfg.Kafka.Group != "" {
		return false, configError{fmt.Errorf("group %q given without brokers: add --brokers host:port to compare with the group's commits", cfg.Kafka.Group)}
	}
	cfg = cfg.WithDefaults()
	if err := storage.CheckRoot(cfg.Output.Root, cfg.Output.HDFS); err != nil {
		return false, configError{err}
	}
	for _, b := range cfg.Kafka.Brokers {
		host, port, err := net.SplitHostPort(b)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return false, configError{fmt.Errorf("broker %q is not host:port", b)}
		}
	}

	fsys, root, err := storage.Open(cfg.Output.Root, cfg.Output.HDFS)
	if err != nil {
		return false, err
	}
	if cl, ok := fsys.(io.Closer); ok {
		defer cl.Close()
	}
	if st, err := fsys.Stat(c.Context, root); errors.Is(err, fs.ErrNotExist) {
		return false, configError{fmt.Errorf("output root %s does not exist", cfg.Output.Root)}
	} else if err != nil {
		return false, fmt.Errorf("output root %s: %w", cfg.Output.Root, err)
	} else if !st.IsDir() {
		return false, configError{fmt.Errorf("output root %s is not a directory", cfg.Output.Root)}
	}
	opts := audit.Options{FS: fsys, Root: root, Deep: c.Bool("deep"), Reader: reader, Topics: c.StringSlice("topic")}
	if withKafka {
		sc, err := cfg.Sarama()
		if err != nil {
			return false, configError{err}
		}
		// Asking for a topic that is gone must not create it again.
		sc.Metadata.AllowAutoTopicCreation = false
		client, err := kafkasec.NewClient(cfg.Kafka.Brokers, sc)
		if err != nil {
			return false, fmt.Errorf("connect to Kafka %s: %w", strings.Join(cfg.Kafka.Brokers, ","), err)
		}
		defer client.Close()
		opts.Client, opts.Config, opts.Group = client, sc, cfg.Kafka.Group
	}
	rep, err := audit.Run(c.Context, opts)
	if err != nil {
		return false, err
	}
	rep.Root = cfg.Output.Root
	if c.Bool("json") {
		err = rep.WriteJSON(c.App.Writer)
	} else {
		err = rep.WriteTable(c.App.Writer)
	}
	if err != nil {
		return false, err
	}
	if !rep.Clean() {
		fmt.Fprintf(c.App.ErrWriter, "kafka2hdfs: audit found problems in %s: %d (exit %d)\n", cfg.Output.Root, len(rep.Problems), exitProblems)
	}
	return rep.Clean(), nil
}
