package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// Apache Spark as the second reference reader (after parquet-mr): it reads a topic's output the way
// a Spark or Hive user does, with Hive partition discovery, through its own bundled Hadoop client.
// scripts/spark-check.sh installs PySpark on first use (a few minutes) and prints one JSON object.

// sparkOn reports whether the Spark check runs: on the real tier unless K2H_SPARK=0.
func sparkOn() bool {
	v, err := strconv.ParseBool(os.Getenv("K2H_SPARK"))
	return err != nil || v
}

// sparkReport is scripts/spark-check.sh's output.
type sparkReport struct {
	SparkVersion     string                      `json:"spark_version"`
	Schema           map[string]sparkField       `json:"schema"`
	PartitionColumns []string                    `json:"partition_columns"`
	Rows             int64                       `json:"rows"`
	DistinctOffsets  int64                       `json:"distinct_offsets"`
	Partitions       map[string]sparkOffsetRange `json:"partitions"`
	// Pointers: the script reports null when it could not compute them (a column missing).
	PartitionMismatches *int64           `json:"partition_mismatches"`
	EventDateMismatches *int64           `json:"event_date_mismatches"`
	Samples             []map[string]any `json:"samples"`
	Seconds             float64          `json:"seconds"`
	// IDs: the `id` column's distinct count and range (the registry producers' sequence numbers).
	IDs *struct{ Distinct, Min, Max int64 } `json:"ids"`
	// MergeError: Spark's mergeSchema refused the files' schemas (SPARK_CHECK_MERGE_SCHEMA=1); the
	// table was then read with them merged and widened by the script.
	MergeError *string `json:"merge_error"`
}

type sparkField struct {
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
}

type sparkOffsetRange struct {
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
	Count int64 `json:"count"`
}

// sparkCheck runs scripts/spark-check.sh on root's topic. A failure to run Spark fails the test:
// K2H_SPARK=0 is the only way to leave it out.
// env adds variables for the script (SPARK_CHECK_MERGE_SCHEMA=1).
func sparkCheck(t *testing.T, root, topic string, env ...string) *sparkReport {
	t.Helper()
	// The first use installs PySpark (about 450 MB); on a busy 2-core machine a run takes minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join("..", "scripts", "spark-check.sh"), root, topic)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("Spark could not read %s/%s (K2H_SPARK=0 skips this check): %v\nstderr:\n%s\nstdout:\n%s",
			root, topic, err, tail(stderr.String(), 6000), tail(string(out), 2000))
	}
	var rep sparkReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &rep); err != nil {
		t.Fatalf("spark-check output is not one JSON object: %v\n%s", err, tail(string(out), 2000))
	}
	t.Logf("spark-check.sh took %s (Spark %s, %.1fs inside the session)", time.Since(began).Round(100*time.Millisecond),
		rep.SparkVersion, rep.Seconds)
	return &rep
}

var sparkAmount = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)

// Spark reads the loaded topic back with the same rows, offsets and partitions as our reader, the
// declared types as Spark types, and Hive partitions (dt=, hour=) that agree with every event time.
func TestRealSparkReadsOutput(t *testing.T) {
	theRealEnv(t)
	if !sparkOn() {
		t.Skip("K2H_SPARK=0: the Spark reference read is left out")
	}
	markStart(t)
	h := newRealHarness(t, "clicks", 3)
	h.more(4_000, 50)
	group := h.g("g-real-spark")
	m := h.start("batch", h.config(group), true)
	m.finish(t, 3*time.Minute)
	h.prove(t, group, "Spark reads the output (in-process batch member)", "none")

	// What our reader found in the topic's data files: Spark reads ROOT/TOPIC, so files elsewhere
	// (_errors, _late) are not its business.
	fsys, p := h.outputFS()
	rep, err := verify.OutputFS(context.Background(), fsys, p)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	want := map[string]sparkOffsetRange{}
	for _, f := range rep.Files {
		if !strings.HasPrefix(f.Path, h.topic+"/") {
			continue
		}
		rows += f.Rows
		k := strconv.Itoa(int(f.Partition))
		r, seen := want[k]
		for _, o := range f.Offsets {
			if !seen || o < r.Min {
				r.Min = o
			}
			if !seen || o > r.Max {
				r.Max = o
			}
			seen = true
		}
		r.Count += int64(len(f.Offsets))
		want[k] = r
	}
	if rows == 0 {
		t.Fatal("our reader found no rows in the topic's data files: nothing for Spark to check")
	}

	s := sparkCheck(t, h.root, h.topic)
	if s.Rows != rows {
		t.Errorf("Spark reads %d rows, our reader %d", s.Rows, rows)
	}
	if s.DistinctOffsets != s.Rows {
		t.Errorf("Spark reads %d rows but %d distinct (kafka_partition, kafka_offset): duplicates", s.Rows, s.DistinctOffsets)
	}
	if len(s.Partitions) != len(want) {
		t.Errorf("Spark reads Kafka partitions %v, our reader %v", s.Partitions, want)
	}
	for k, w := range want {
		if g := s.Partitions[k]; g != w {
			t.Errorf("Kafka partition %s: Spark reads offsets %+v, our reader %+v", k, g, w)
		}
	}
	for col, typ := range map[string]string{
		"event_time": "timestamp", "amount": "decimal(10,2)", "event_date": "date",
		"kafka_offset": "bigint", "kafka_partition": "int", "price": "double",
		// Discovered from the directory names; the script keeps them strings (no type inference).
		"dt": "string", "hour": "string",
	} {
		if g, ok := s.Schema[col]; !ok || g.Type != typ {
			t.Errorf("Spark reads column %s as %q (present: %t), want %s", col, g.Type, ok, typ)
		}
	}
	if strings.Join(s.PartitionColumns, ",") != "dt,hour" {
		t.Errorf("Spark discovered partition columns %v, want [dt hour]", s.PartitionColumns)
	}
	if s.PartitionMismatches == nil || *s.PartitionMismatches != 0 {
		t.Errorf("%s rows are in a dt=/hour= directory that disagrees with their event_time in UTC", fmtCount(s.PartitionMismatches))
	}
	if s.EventDateMismatches == nil || *s.EventDateMismatches != 0 {
		t.Errorf("%s rows have an event_date that is not the UTC date of their event_time", fmtCount(s.EventDateMismatches))
	}
	if len(s.Samples) == 0 {
		t.Errorf("Spark returned no sample rows")
	}
	for i, r := range s.Samples {
		et, _ := r["event_time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, et); err != nil {
			t.Errorf("sample %d: event_time %v is not an RFC 3339 time: %v", i, r["event_time"], err)
		}
		// The samples put rows with an amount first; the sample data has thousands of them.
		if a, _ := r["amount"].(string); !sparkAmount.MatchString(a) {
			t.Errorf("sample %d: amount %#v is not a decimal with two places", i, r["amount"])
		}
	}
	t.Logf("Spark %s agrees with our reader on %d rows of %d Kafka partitions; samples: %v", s.SparkVersion, rows, len(want), s.Samples)
}

func fmtCount(n *int64) string {
	if n == nil {
		return "an unknown number of (null)"
	}
	return strconv.FormatInt(*n, 10)
}
