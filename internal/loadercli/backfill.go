package loadercli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/IBM/sarama"
	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/kafkaoffsets"
	"github.com/kafka2hdfs/kafka2hdfs/kafkasec"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

func backfillCommand() *cli.Command {
	return &cli.Command{
		Name:      "backfill",
		Usage:     "load an explicit offset or time range, apart from the live group",
		ArgsUsage: " ",
		Description: `Loads --topic's partitions (--partitions 0,3-5, default all) from --from-offset or --from-time up
to --to-offset or --to-time (exclusive; default: the high watermark at start), with the topic's
configured interceptors, partitioner and schema.

A backfill never touches the live group's offsets. It runs as its own consumer group,
<kafka.group>.backfill.<id>, whose committed offsets are the backfill's progress record: the id is
derived from the range (or --id), so re-running the same command resumes where the last run stopped
and never loads a record twice, through the same commit protocol as batch. Its files go to their
own root, <output.root>.backfill/<id> (or --backfill-root, outside the live root), so readers and
audits of the live root never see them; move or register them once checked.

--dry-run prints the plan (per partition: from, to, records, already done) and exits.
Exit codes as for batch: 0 done, 4 stopped early by a time box, 1 failed, 2 bad usage.`,
		Flags: append(append(commonFlags(),
			&cli.StringFlag{Name: "topic", Required: true, Usage: "the topic to backfill"},
			&cli.StringFlag{Name: "partitions", Usage: "only these partitions, e.g. 0,3-5 (default: all)"},
			&cli.Int64Flag{Name: "from-offset", Value: -1, Usage: "first offset to load (each partition)"},
			&cli.StringFlag{Name: "from-time", Usage: "load from the first record at or after this RFC3339 time"},
			&cli.Int64Flag{Name: "to-offset", Value: -1, Usage: "stop before this offset (each partition)"},
			&cli.StringFlag{Name: "to-time", Usage: "stop before the first record at or after this RFC3339 time"},
			&cli.StringFlag{Name: "id", Usage: "backfill id (default: derived from the topic, partitions and range)"},
			&cli.StringFlag{Name: "backfill-root", Usage: "output root for the backfill, outside the live root (default <output.root>.backfill/<id>)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the per-partition plan and exit"},
		), timeBoxFlagList()...),
		Action: backfillAction,
	}
}

// backfillSpec is the range as given on the command line.
type backfillSpec struct {
	topic, partitions, fromTime, toTime string
	fromOffset, toOffset                int64
}

func (s backfillSpec) validate() error {
	switch {
	case (s.fromOffset >= 0) == (s.fromTime != ""):
		return errors.New("give exactly one of --from-offset and --from-time")
	case s.toOffset >= 0 && s.toTime != "":
		return errors.New("give at most one of --to-offset and --to-time")
	case s.fromOffset >= 0 && s.toOffset >= 0 && s.toOffset <= s.fromOffset:
		return fmt.Errorf("--to-offset %d is not after --from-offset %d", s.toOffset, s.fromOffset)
	}
	for _, t := range []string{s.fromTime, s.toTime} {
		if t == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, t); err != nil {
			return fmt.Errorf("%q is not an RFC3339 time such as 2026-11-22T03:00:00Z", t)
		}
	}
	return nil
}

// id names the backfill after its range, so the same command resumes the same backfill.
func (s backfillSpec) id() string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|%s|%d|%s", s.topic, s.partitions, s.fromOffset, s.fromTime, s.toOffset, s.toTime)))
	return "bf-" + hex.EncodeToString(h[:6])
}

var backfillID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// planRow is one partition of the plan.
type planRow struct {
	tp        offsets.TP
	r         consumer.Range
	committed int64 // the backfill group's committed offset, -1 none
	note      string
}

func backfillAction(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	box, err := timeBoxFlags(c)
	if err != nil {
		return err
	}
	spec := backfillSpec{topic: c.String("topic"), partitions: c.String("partitions"), fromTime: c.String("from-time"),
		toTime: c.String("to-time"), fromOffset: c.Int64("from-offset"), toOffset: c.Int64("to-offset")}
	if err := spec.validate(); err != nil {
		return configError{err}
	}
	keep, err := parsePartitions(spec.partitions)
	if err != nil {
		return configError{fmt.Errorf("--partitions: %w", err)}
	}
	id := c.String("id")
	if id == "" {
		id = spec.id()
	} else if !backfillID.MatchString(id) {
		return configError{fmt.Errorf("--id %q: use letters, digits, '.', '_' and '-', at most 64", id)}
	}
	group := cfg.Kafka.Group + ".backfill." + id
	liveRoot := strings.TrimRight(cfg.Output.Root, "/")
	root := c.String("backfill-root")
	if root == "" {
		// Beside the live root, not inside it: readers and the audit of the live root must not
		// see the backfill's files, whose ranges overlap the live ones.
		root = liveRoot + ".backfill/" + id
	}
	if r := strings.TrimRight(root, "/"); r == liveRoot || strings.HasPrefix(r, liveRoot+"/") {
		// Inside the live root the files would show up as misplaced or duplicate ranges; at the
		// root itself, the first run would also resume after the live group's files.
		return configError{fmt.Errorf("--backfill-root %s is in the live output root; give the backfill a root of its own", root)}
	}
	cfg.Output.Root = root
	log := newLogger(cfg, stderr) // before any Kafka client: it sets sarama's global logger
	plan, err := planBackfill(c.Context, cfg, spec, keep, group)
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "backfill %s of %s (group %s)\noutput root: %s\n", id, spec.topic, group, root)
	printPlan(w, plan)
	if c.Bool("dry-run") {
		return nil
	}
	ranges := map[offsets.TP]consumer.Range{}
	for _, p := range plan {
		if p.r.To > p.r.From {
			ranges[p.tp] = p.r
		}
	}
	if len(ranges) == 0 {
		fmt.Fprintln(w, "nothing to load")
		return nil
	}
	log = log.With("backfill", id)
	start := time.Now()
	res, err := loadBox(c.Context, cfg, true, box, log, func(o *consumer.Options) {
		o.Group = group
		o.Ranges = ranges
	})
	err = interrupted(c.Context, res, err)
	if err != nil && !errors.Is(err, consumer.ErrStoppedEarly) {
		return err
	}
	printSummary(w, res.Summary, time.Since(start))
	printLag(w, res.Lag)
	return err
}

// planBackfill resolves the range of every selected partition, and reads how far an earlier run of
// the same backfill got.
func planBackfill(ctx context.Context, cfg *config.Config, spec backfillSpec, keep func(offsets.TP) bool, group string) ([]planRow, error) {
	sc, err := cfg.Sarama()
	if err != nil {
		return nil, configError{err}
	}
	client, err := kafkasec.NewClient(cfg.Kafka.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to kafka %v: %w", cfg.Kafka.Brokers, err)
	}
	defer client.Close()
	parts, err := client.Partitions(spec.topic)
	if err != nil {
		return nil, configError{fmt.Errorf("--topic %s: %w", spec.topic, err)}
	}
	var tps []offsets.TP
	for _, p := range parts {
		tp := offsets.TP{Topic: spec.topic, Partition: p}
		if keep == nil || keep(tp) {
			tps = append(tps, tp)
		}
	}
	if len(tps) == 0 {
		return nil, configError{fmt.Errorf("--partitions %s: %s has no such partition (it has %d)", spec.partitions, spec.topic, len(parts))}
	}
	sort.Slice(tps, func(i, j int) bool { return tps[i].Partition < tps[j].Partition })
	committed, err := kafkaoffsets.FetchCommitted(ctx, client, sc, group, tps)
	if err != nil {
		return nil, err
	}
	at := func(tp offsets.TP, t string, newest int64) (int64, error) {
		ts, _ := time.Parse(time.RFC3339, t)
		off, err := client.GetOffset(tp.Topic, tp.Partition, ts.UnixMilli())
		if err != nil {
			return 0, fmt.Errorf("offset of %s at %s: %w", tp, t, err)
		}
		if off < 0 { // nothing at or after t
			return newest, nil
		}
		return off, nil
	}
	var plan []planRow
	for _, tp := range tps {
		oldest, err := client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetOldest)
		if err != nil {
			return nil, fmt.Errorf("log start of %s: %w", tp, err)
		}
		newest, err := client.GetOffset(tp.Topic, tp.Partition, sarama.OffsetNewest)
		if err != nil {
			return nil, fmt.Errorf("log end of %s: %w", tp, err)
		}
		row := planRow{tp: tp, committed: committed[tp].Offset}
		row.r.From = spec.fromOffset
		if spec.fromTime != "" {
			if row.r.From, err = at(tp, spec.fromTime, newest); err != nil {
				return nil, err
			}
		}
		row.r.To = newest
		switch {
		case spec.toOffset >= 0:
			row.r.To = min(spec.toOffset, newest)
			if spec.toOffset > newest {
				row.note = fmt.Sprintf("to clamped to the log end %d", newest)
			}
		case spec.toTime != "":
			if row.r.To, err = at(tp, spec.toTime, newest); err != nil {
				return nil, err
			}
		}
		if row.r.From < oldest {
			row.note = fmt.Sprintf("offsets %d-%d were deleted by retention", row.r.From, oldest-1)
			row.r.From = oldest
		}
		if row.r.To < row.r.From {
			row.r.To = row.r.From
		}
		plan = append(plan, row)
	}
	return plan, nil
}

func printPlan(w io.Writer, plan []planRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PART\tFROM\tTO\tRECORDS\tDONE\tNOTE\t")
	total, done := int64(0), int64(0)
	for _, p := range plan {
		n := p.r.To - p.r.From
		d := int64(0)
		if p.committed > p.r.From {
			d = min(p.committed, p.r.To) - p.r.From
		}
		total += n
		done += d
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%s\t\n", p.tp.Partition, p.r.From, p.r.To, n, d, strings.TrimSpace(p.note))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "records: %d (an estimate: compaction and transaction markers leave offsets without records), %d done by earlier runs\n", total, done)
}
