package main

import (
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/consumer"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:        "validate",
		Usage:       "check a config and print the effective settings",
		Description: "Applies flags and KAFKA2HDFS_* variables over the file, fills defaults, checks every key\n(compiling each topic's schema, interceptors and partitioner) and prints the result. Exit 2 if invalid.",
		Flags:       commonFlags(),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
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

func printSummary(w io.Writer, s consumer.Summary, took time.Duration) {
	secs := took.Seconds()
	fmt.Fprintf(w, "records consumed: %d (%.1f MB) in %.1fs: %.0f records/s, %.1f MB/s\n",
		s.Consumed, float64(s.Bytes)/1e6, secs, float64(s.Consumed)/secs, float64(s.Bytes)/1e6/secs)
	fmt.Fprintf(w, "rows written:     %d\nfiltered:         %d\ndead letters:     %d\nfiles published:  %d\nbuckets:          %d\n",
		s.Written, s.Filtered, s.Bad, s.Files, s.Buckets)
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
