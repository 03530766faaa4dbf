package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/IBM/sarama"
)

// Case is one shape of the main scenario: Records messages of Size bytes over Partitions
// partitions.
type Case struct {
	Records, Size, Partitions int
}

func (c Case) String() string { return fmt.Sprintf("%dx%dx%d", c.Records, c.Size, c.Partitions) }

// Title names the case in the report.
func (c Case) Title() string {
	return fmt.Sprintf("%d × %d B, %d partitions", c.Records, c.Size, c.Partitions)
}

// DefaultCases are the small-message and many-partition cases, beside the main 1 KB × 8.
func DefaultCases() []Case {
	return []Case{{Records: 3_000_000, Size: 200, Partitions: 8}, {Records: 1_000_000, Size: 1024, Partitions: 64}}
}

// ParseCases reads "RECORDSxSIZExPARTITIONS[,...]" ("" or "none": no cases).
func ParseCases(s string) ([]Case, error) {
	if s = strings.TrimSpace(s); s == "" || s == "none" {
		return nil, nil
	}
	var cs []Case
	for _, part := range strings.Split(s, ",") {
		f := strings.Split(strings.TrimSpace(part), "x")
		if len(f) != 3 {
			return nil, fmt.Errorf("case %q: want RECORDSxSIZExPARTITIONS, e.g. 3000000x200x8", part)
		}
		var n [3]int
		for i, v := range f {
			x, err := strconv.Atoi(v)
			if err != nil || x < 0 || (i != 1 && x < 1) {
				return nil, fmt.Errorf("case %q: %q is not a positive number", part, v)
			}
			n[i] = x
		}
		cs = append(cs, Case{Records: n[0], Size: n[1], Partitions: n[2]})
	}
	return cs, nil
}

// CaseReport is one further case's result.
type CaseReport struct {
	Case    Case
	Seed    SeedReport
	Parties []Party
}

// Ratio is the party's median records/s over the case's ceiling's (see Report.Ratio).
func (c *CaseReport) Ratio(p *Party) (stat, bool) { return ratioIn(c.Parties, p) }

func (b *bench) extraCase(ctx context.Context, sc *sarama.Config, c Case) error {
	b.logf("case %s", c.Title())
	b.caseTag = fmt.Sprintf("%dB-%dp-", c.Size, c.Partitions)
	defer func() { b.caseTag = "" }()
	seed, _, ps, err := b.runCase(ctx, sc, c, []string{PartyCeiling, PartyLocal}, uint64(3+len(b.rep.Cases)))
	if err != nil {
		return fmt.Errorf("case %s: %w", c.Title(), err)
	}
	b.rep.Cases = append(b.rep.Cases, CaseReport{Case: c, Seed: seed, Parties: ps})
	return nil
}

// ParsePorts reads "LO-HI" ("" or "0": none).
func ParsePorts(s string) (lo, hi int, err error) {
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	a, z, ok := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(z)
	if !ok || err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("ports %q: want LO-HI, e.g. 41000-41099", s)
	}
	return lo, hi, nil
}

// portPick hands out the ports of Options.Ports in turn, each one free when handed out.
type portPick struct {
	mu   sync.Mutex
	next int
}

// listenAddr is the address the next server of the bench listens on: a free port of
// Options.Ports, or port 0 (the kernel picks) without a range.
func (b *bench) listenAddr() (string, error) {
	lo, hi, err := ParsePorts(b.opts.Ports)
	if err != nil || lo == 0 {
		return "127.0.0.1:0", err
	}
	b.ports.mu.Lock()
	defer b.ports.mu.Unlock()
	for range hi - lo + 1 {
		port := lo + b.ports.next%(hi-lo+1)
		b.ports.next++
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		// Free now: the server binds it a moment later. Ports are handed out round robin, so a
		// server's port is not handed out again while it runs unless the range is exhausted.
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr, nil
		}
	}
	return "", fmt.Errorf("no free port in %s", b.opts.Ports)
}

// fileStats are the data files of a verified output: how many per partition and bucket, and
// their sizes.
type fileStats struct {
	// PartitionBuckets is the number of distinct (partition, bucket directory) pairs with a file.
	PartitionBuckets int
	// Sizes are the data files' sizes in bytes, ascending.
	Sizes []int64 `json:",omitempty"`
}

// note adds the data file name (root-relative) of size bytes.
func (f *fileStats) note(pairs map[string]bool, rel string, size int64) {
	dir, base := path.Split(rel)
	// <topic>+<partition>+<start>+<end>.parquet
	part := base
	if f := strings.Split(base, "+"); len(f) == 4 {
		part = f[1]
	}
	pairs[dir+"|"+part] = true
	f.Sizes = append(f.Sizes, size)
}

func (f *fileStats) done(pairs map[string]bool) {
	f.PartitionBuckets = len(pairs)
	slices.Sort(f.Sizes)
}

// PerPartitionHour is files per (partition, hourly bucket) pair that has data: 1.00 is one file
// each, the fewest possible.
func (o Output) PerPartitionHour() float64 {
	if o.PartitionBuckets == 0 {
		return 0
	}
	return float64(o.Files) / float64(o.PartitionBuckets)
}

// SizeDist is the file size distribution in KB: min, p10, median, p90, max, and how many are
// under minBytes.
func (o Output) SizeDist(minBytes int64) string {
	s := o.Sizes
	if len(s) == 0 {
		return "—"
	}
	q := func(f float64) float64 { return float64(s[int(f*float64(len(s)-1))]) / 1e3 }
	under := 0
	for _, v := range s {
		if v < minBytes {
			under++
		}
	}
	return fmt.Sprintf("min %.0f, p10 %.0f, median %.0f, p90 %.0f, max %.0f KB; %d of %d under %d KiB", q(0), q(0.1), q(0.5), q(0.9), q(1), under, len(s), minBytes>>10)
}

// minFileBytes is rotation.min_file_bytes in the bench's loader config (the default).
const minFileBytes = 1 << 20

// caseTable writes one case's table: per party records/s, share of the ceiling, CPU µs per record,
// peak RSS, and for loader parties files per partition-hour and the file size distribution (of
// the first run; every run of a case writes the same files unless a limit of time cut them).
func caseTable(p func(string, ...any), parties []Party) {
	p("| party | records/s | of ceiling | CPU µs per record | vs ceiling's CPU | peak RSS (MiB) | files per partition-hour | file sizes |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	var ceilCPU float64
	for i := range parties {
		if parties[i].Name == PartyCeiling {
			ceilCPU = statOf(parties[i].Runs, cpuM).med
		}
	}
	for i := range parties {
		pt := &parties[i]
		ratio, cpuRatio, fph, sizes := "—", "—", "—", "—"
		if s, ok := ratioIn(parties, pt); ok && pt.Name != PartyCeiling {
			ratio = s.percent()
			if ceilCPU > 0 {
				cpuRatio = fmt.Sprintf("%.2f×", statOf(pt.Runs, cpuM).med/ceilCPU)
			}
		}
		if len(pt.Runs) > 0 && pt.Runs[0].Output != nil {
			out := pt.Runs[0].Output
			fph = fmt.Sprintf("%.2f (%d files, %d pairs)", out.PerPartitionHour(), out.Files, out.PartitionBuckets)
			sizes = out.SizeDist(minFileBytes)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", pt.Name, statOf(pt.Runs, rate).format("%.0f"), ratio,
			statOf(pt.Runs, cpuM).format("%.2f"), cpuRatio, statOf(pt.Runs, rssMB).format("%.0f"), fph, sizes)
	}
}

// casesMarkdown writes the per-case tables: the main case and Options.Cases.
func (rep *Report) casesMarkdown(p func(string, ...any)) {
	p("## Cases\n\n")
	p("One table per shape of the data (%s of event times, hourly buckets, in order with a minute of jitter),\n", rep.Options.Span)
	p("medians of %d interleaved repeat(s) with (min–max). CPU µs per record is the process's user+system CPU\n", rep.Options.Repeats)
	p("over the records; \"vs ceiling's CPU\" divides it by the ceiling's in the same case. Files per\n")
	p("partition-hour counts data files per (partition, hourly bucket) pair that has data: 1.00 is one file\n")
	p("each. File sizes: min, 10th percentile, median, 90th percentile, max, and how many are under\n")
	p("`rotation.min_file_bytes`.\n\n")
	main := Case{Records: int(rep.Seed.Records), Size: rep.Options.Size, Partitions: rep.Seed.Partitions}
	p("### %s (%.0f bytes per record on average)\n\n", main.Title(), float64(rep.Seed.Bytes)/float64(max(rep.Seed.Records, 1)))
	caseTable(p, rep.Parties)
	for _, c := range rep.Cases {
		p("\n### %s (%.0f bytes per record on average)\n\n", c.Case.Title(), float64(c.Seed.Bytes)/float64(max(c.Seed.Records, 1)))
		caseTable(p, c.Parties)
	}
	p("\n")
}

// Load reads a report written with --json, so that its Markdown can be written again (with an
// Appendix) without measuring again.
func Load(path string) (*Report, error) {
	js, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(js, &rep); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &rep, nil
}
