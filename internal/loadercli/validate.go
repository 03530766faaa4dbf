package loadercli

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check a config and print the effective settings",
		Description: `Applies flags and KAFKA2HDFS_* variables over the file, fills defaults, checks every key
(compiling each topic's schema, interceptors and partitioner) and prints the result. Exit 2 if invalid.
Then it proves that the output root and its staging area take a file, as every start does (exit 1
naming the path and the OS error if not); --offline skips that, for checking a config away from
the cluster.`,
		Flags: append(commonFlags(),
			&cli.BoolFlag{Name: "offline", Usage: "check the config only; do not connect to the output to prove it writable"}),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			if !c.Bool("offline") {
				if err := checkOutput(c.Context, cfg); err != nil {
					return err
				}
			}
			out, err := cfg.YAML()
			if err != nil {
				return err
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintf(c.App.Writer, "# warning: %s\n", w)
			}
			fmt.Fprintln(c.App.Writer, "# configuration is valid; effective settings (secrets shown as ***):")
			fmt.Fprint(c.App.Writer, out)
			return nil
		},
	}
}

// checkOutput proves, as every start does, that the output root and the group's staging area
// take a file.
func checkOutput(ctx context.Context, cfg *config.Config) error {
	fsys, root, err := storage.Open(cfg.Output.Root, cfg.Output.HDFS)
	if err != nil {
		return err
	}
	if c, ok := fsys.(io.Closer); ok {
		defer c.Close()
	}
	for _, dir := range []string{root, path.Join(root, offsets.StagingDir, cfg.Kafka.Group)} {
		if err := storage.CheckWritable(ctx, fsys, dir); err != nil {
			return err
		}
	}
	return nil
}

func printSummary(w io.Writer, s consumer.Summary, took time.Duration) {
	secs := took.Seconds()
	fmt.Fprintf(w, "records consumed: %d (%.1f MB) in %.1fs: %.0f records/s, %.1f MB/s\n",
		s.Consumed, float64(s.Bytes)/1e6, secs, float64(s.Consumed)/secs, float64(s.Bytes)/1e6/secs)
	fmt.Fprintf(w, "rows published:   %d\n", s.Published)
	if n := s.Written - s.Published; n > 0 {
		// Converted but in no committed file: a failed step, or a stop that could not commit.
		// The next run reads these records again; a run that publishes nothing says so here.
		fmt.Fprintf(w, "not published:    %d rows (converted, but their step was not committed; the next run loads them again)\n", n)
	}
	fmt.Fprintf(w, "filtered:         %d\ndead letters:     %d\n", s.Filtered, s.Bad)
	for _, r := range s.BadReasons {
		fmt.Fprintf(w, "  %8d  %s\n", r.Count, r.Reason)
	}
	fmt.Fprintf(w, "files published:  %d\nbuckets:          %d\n", s.Files, s.Buckets)
	if s.Late > 0 {
		fmt.Fprintf(w, "late records:     %d (for buckets already marked complete; see completeness.late)\n", s.Late)
	}
	if len(s.Flushes) > 0 {
		fmt.Fprintf(w, "flushes:          %s\n", consumer.FormatCounts(s.Flushes))
	}
	if len(s.SmallFiles) > 0 {
		n := int64(0)
		for _, v := range s.SmallFiles {
			n += v
		}
		fmt.Fprintf(w, "small files:      %d under rotation.min_file_bytes, by cause (closed: their bucket had closed; else the cut that ended them): %s\n", n, consumer.FormatCounts(s.SmallFiles))
	}
	if s.Spills > 0 {
		fmt.Fprintf(w, "spilled:          %.1f MB in %d segments, at most %.1f MB at once (memory budget; no file cut)\n",
			float64(s.Spilled)/1e6, s.Spills, float64(s.PeakSpill)/1e6)
	}
}

// printLag prints, per partition, how far the group is from the batch's start-time snapshot.
func printLag(w io.Writer, lag []consumer.PartitionLag) {
	if len(lag) == 0 {
		return
	}
	left := int64(0)
	for _, l := range lag {
		left += l.Left()
	}
	fmt.Fprintf(w, "lag left:         %d records\n", left)
	for _, l := range lag {
		fmt.Fprintf(w, "  %-24s committed %d of %d, %d left\n", l.TP.String(), l.Committed, l.Target, l.Left())
	}
}
