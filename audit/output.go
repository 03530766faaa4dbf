package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
)

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report for people: one line per partition (files, steps, covered range,
// rows, committed offset, log start and end, lag, pending step), then problems, warnings and
// staging leftovers, and a verdict.
func (r *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	mode := "names only"
	if r.Deep {
		mode = "deep: every file read back"
		if r.Reader != "" {
			mode += " with " + r.Reader
		}
	}
	kafka := "files only, no Kafka"
	if r.Kafka && r.Group != "" {
		kafka = "Kafka group " + r.Group
	} else if r.Kafka {
		kafka = "Kafka log offsets, no group"
	}
	fmt.Fprintf(ew, "audit of %s (%s; %s)\n\n", r.Root, mode, kafka)
	if len(r.Partitions) == 0 {
		fmt.Fprintln(ew, "no topic-partitions found")
	} else {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TOPIC\tPART\tFILES\tDL FILES\tSTEPS\tOFFSETS\tROWS\tDL ROWS\tCOMMITTED\tLOG START\tLOG END\tLAG\tPENDING")
		for _, p := range r.Partitions {
			covered := "-"
			if p.First >= 0 {
				covered = fmt.Sprintf("%d-%d", p.First, p.Last)
			}
			pending := "-"
			if p.Pending != "" {
				pending = p.Pending
			}
			committed := num(p.Committed)
			if p.Metadata != "" && p.Pending == "" {
				committed += " (" + p.Metadata + ")"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Topic, p.Partition, p.Files, p.DeadLetterFiles, p.Steps,
				covered, num(p.Rows), num(p.DeadLetterRows), committed, num(p.LogStart), num(p.LogEnd), num(p.LagRecords), pending)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(ew, "\nDL: dead letters (under %s/). %d partitions, %d data files, %d dead-letter files, %.1f MB", offsets.ErrorsDir, len(r.Partitions), r.Files, r.DeadLetterFiles, float64(r.Bytes)/1e6)
		if r.Deep {
			var rows, dead int64
			for _, p := range r.Partitions {
				rows += max(p.Rows, 0)
				dead += max(p.DeadLetterRows, 0)
			}
			fmt.Fprintf(ew, ", %d rows + %d dead letters read back", rows, dead)
		}
		fmt.Fprintln(ew)
	}
	writeProblems(ew, "problems", r.Problems)
	writeProblems(ew, "warnings", r.Warnings)
	if len(r.Staging) == 0 {
		fmt.Fprintln(ew, "\nstaging leftovers: none")
	} else {
		fmt.Fprintf(ew, "\nstaging leftovers (%d):\n", len(r.Staging))
		for i, s := range r.Staging {
			if i == maxListedStagingTable {
				fmt.Fprintf(ew, "  … %d more (--json lists all)\n", len(r.Staging)-i)
				break
			}
			fmt.Fprintf(ew, "  %s\n", s)
		}
	}
	if r.Clean() {
		fmt.Fprintf(ew, "\nCLEAN: no problems (%s)\n", plural(len(r.Warnings), "warning"))
	} else {
		fmt.Fprintf(ew, "\nNOT CLEAN: %s (%s)\n", plural(len(r.Problems), "problem"), plural(len(r.Warnings), "warning"))
	}
	return ew.err
}

func writeProblems(w io.Writer, title string, ps []Problem) {
	if len(ps) == 0 {
		fmt.Fprintf(w, "\n%s: none\n", title)
		return
	}
	fmt.Fprintf(w, "\n%s (%d):\n", title, len(ps))
	for _, p := range ps {
		where := p.Topic
		if p.Partition >= 0 {
			where += "/" + strconv.Itoa(int(p.Partition))
		}
		if where == "" {
			where = "-"
		}
		fmt.Fprintf(w, "  %-20s %-10s %s\n", p.Kind, where, p.Detail)
		if p.Path != "" {
			fmt.Fprintf(w, "  %-20s %-10s   %s\n", "", "", p.Path)
		}
	}
}

func num(n int64) string {
	if n < 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// errWriter keeps the first write error, so WriteTable can print freely and report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, nil
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
