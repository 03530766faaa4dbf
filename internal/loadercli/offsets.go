package loadercli

import (
	"fmt"
	"io"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/IBM/sarama"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

func offsetsCommand() *cli.Command {
	topicFlag := &cli.StringSliceFlag{Name: "topic", Usage: "only this topic (repeatable); default: every topic the config selects"}
	return &cli.Command{
		Name:  "offsets",
		Usage: "show or reset the group's committed offsets",
		Subcommands: []*cli.Command{
			{
				Name:  "show",
				Usage: "per partition: committed offset, highest offset in files, log start/end, lag",
				Description: `Reads the group's committed offsets and commit metadata, the highest offset in final file names
(--no-files skips that scan), each partition's log start and end, and the lag: records from the
committed offset to the log end, and the age (now minus the timestamp) of the first record not yet
committed. Changes nothing.`,
				Flags: append(commonFlags(), topicFlag,
					&cli.BoolFlag{Name: "no-files", Usage: "skip scanning the output for the highest offset in files"}),
				Action: offsetsShow,
			},
			{
				Name:  "reset",
				Usage: "move the group's committed offsets (refused while the group has members)",
				Description: `Moves the committed offsets of the selected partitions to --to: earliest, latest, an RFC3339
time (the first offset at or after it) or an offset. Refused while any member is in the group:
stop every loader first. Also refused, unless --force, over a prepared step (run the loader once to
roll it forward) or below the highest offset already in files (those records would be written
again). Each reset is recorded in <root>/.kafka2hdfs/resets/<group>/<time>-<id>.json (who, when, from, to)
before it is committed, so an audit can explain the jump.`,
				Flags: append(commonFlags(), topicFlag,
					&cli.StringFlag{Name: "partitions", Usage: "only these partitions, e.g. 0,3-5"},
					&cli.StringFlag{Name: "to", Required: true, Usage: "earliest, latest, an RFC3339 time or an offset"},
					&cli.BoolFlag{Name: "force", Usage: "reset even below the offsets in files or over a prepared step"},
					&cli.BoolFlag{Name: "dry-run", Usage: "print the plan and change nothing"}),
				Action: offsetsReset,
			},
		},
	}
}

// adminEnv is what the offsets commands need: the group's protocol (for files), a Kafka client and
// the topics the config selects.
type adminEnv struct {
	proto  *offsets.Protocol
	client sarama.Client
	sc     *sarama.Config
	topics []string
	close  func()
}

func openAdmin(c *cli.Context) (*adminEnv, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, stderr)
	opts, err := cfg.GroupOptions(false, log, nil)
	if err != nil {
		return nil, configError{err}
	}
	client, err := kafkasec.NewClient(opts.Brokers, opts.Sarama)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka %v: %w", opts.Brokers, err)
	}
	env := &adminEnv{
		proto:  &offsets.Protocol{FS: opts.FS, Paths: offsets.Paths{Root: opts.Root, Group: opts.Group}, Log: log},
		client: client, sc: opts.Sarama,
		close: func() {
			_ = client.Close()
			if cl, ok := opts.FS.(io.Closer); ok {
				_ = cl.Close()
			}
		},
	}
	if env.topics, err = selectTopics(client, opts.Topics, c.StringSlice("topic")); err != nil {
		env.close()
		return nil, err
	}
	return env, nil
}

// selectTopics lists the cluster's topics the config selects, narrowed to only when given.
func selectTopics(client sarama.Client, specs []*consumer.Topic, only []string) ([]string, error) {
	all, err := client.Topics()
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	want := map[string]bool{}
	for _, t := range only {
		want[t] = true
	}
	var out []string
	for _, t := range all {
		if strings.HasPrefix(t, "_") || (len(only) > 0 && !want[t]) {
			continue
		}
		for _, s := range specs {
			if s.Matches(t) {
				out = append(out, t)
				delete(want, t)
				break
			}
		}
	}
	for t := range want {
		return nil, configError{fmt.Errorf("--topic %s: not in the cluster or not selected by the config's topics", t)}
	}
	if len(out) == 0 {
		return nil, configError{fmt.Errorf("no topic in the cluster matches the configured topics")}
	}
	sort.Strings(out)
	return out, nil
}

func offsetsShow(c *cli.Context) error {
	env, err := openAdmin(c)
	if err != nil {
		return err
	}
	defer env.close()
	states, err := kafkaoffsets.Show(c.Context, env.proto, env.client, env.sc, env.topics, kafkaoffsets.ShowOptions{SkipFiles: c.Bool("no-files")})
	if err != nil {
		return err
	}
	printStates(c.App.Writer, env.proto.Paths.Group, states)
	return nil
}

func printStates(w io.Writer, group string, states []kafkaoffsets.PartitionState) {
	fmt.Fprintf(w, "group %s\n", group)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TOPIC\tPART\tCOMMITTED\tMETADATA\tFILES END\tLOG START\tLOG END\tLAG\tLAG TIME\t")
	dash := func(n int64) string {
		if n < 0 {
			return "-"
		}
		return strconv.FormatInt(n, 10)
	}
	total := int64(0)
	for _, s := range states {
		lagTime := "-"
		if s.LagTime >= 0 {
			lagTime = s.LagTime.Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t\n", s.TP.Topic, s.TP.Partition, dash(s.Committed), s.Meta,
			dash(s.FilesEnd), s.LogStart, s.LogEnd, s.Lag, lagTime)
		total += s.Lag
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "total lag: %d records\n", total)
}

func offsetsReset(c *cli.Context) error {
	to := c.String("to")
	if err := checkResetTarget(to); err != nil {
		return configError{err}
	}
	keep, err := parsePartitions(c.String("partitions"))
	if err != nil {
		return configError{fmt.Errorf("--partitions: %w", err)}
	}
	env, err := openAdmin(c)
	if err != nil {
		return err
	}
	defer env.close()
	admin, err := sarama.NewClusterAdminFromClient(env.client)
	if err != nil {
		return fmt.Errorf("cluster admin: %w", err)
	}
	// Not closed: closing the admin would close the shared client, which env.close does.
	rec, err := kafkaoffsets.Reset(c.Context, env.proto, admin, env.client, env.sc, kafkaoffsets.ResetOptions{
		Topics: env.topics, Keep: keep, To: to, Force: c.Bool("force"), By: whoAmI(), DryRun: c.Bool("dry-run"),
	})
	if rec != nil {
		printReset(c.App.Writer, rec, c.Bool("dry-run") || err != nil)
	}
	return err
}

func printReset(w io.Writer, rec *offsets.ResetRecord, planOnly bool) {
	verb := "reset"
	if planOnly {
		verb = "plan (not applied)"
	}
	fmt.Fprintf(w, "%s: group %s to %s\n", verb, rec.Group, rec.To)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TOPIC\tPART\tFROM\tTO\tFILES END\tMOVE\t")
	for _, p := range rec.Partitions {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%+d\t\n", p.Topic, p.Partition, p.From, p.To, p.FilesEnd, p.To-max(p.From, 0))
	}
	_ = tw.Flush()
}

func checkResetTarget(to string) error {
	if to == "earliest" || to == "latest" {
		return nil
	}
	if n, err := strconv.ParseInt(to, 10, 64); err == nil {
		if n < 0 {
			return fmt.Errorf("--to %d: offsets are not negative", n)
		}
		return nil
	}
	if _, err := time.Parse(time.RFC3339, to); err != nil {
		return fmt.Errorf("--to %q: want earliest, latest, an offset or an RFC3339 time such as 2026-11-22T03:00:00Z", to)
	}
	return nil
}

// parsePartitions parses "0,3-5" into a selector; "" selects every partition.
func parsePartitions(s string) (func(offsets.TP) bool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	set := map[int32]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 32)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a partition number or range", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 32); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range low-high", part)
			}
		}
		if b-a > 1<<16 {
			return nil, fmt.Errorf("%q is too wide", part)
		}
		for p := a; p <= b; p++ {
			set[int32(p)] = true
		}
	}
	return func(tp offsets.TP) bool { return set[tp.Partition] }, nil
}

// whoAmI is user@host for the reset record.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}
