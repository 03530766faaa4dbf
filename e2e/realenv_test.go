package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/internal/bench"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// The real tier: the same scenarios against Apache Kafka (KRaft) and Apache HDFS (a MiniDFSCluster
// with three DataNodes), started outside the test by scripts/real-env.sh, and every output read
// back by parquet-mr as well as by our own reader. K2H_REAL=1 turns it on; without it these tests
// skip, saying why.

// realEnv is what `scripts/real-env.sh up` wrote to .real-env/env.
type realEnv struct {
	brokers      []string
	kafkaVersion string
	namenode     string // host:port of the NameNode's RPC
	control      string // host:port of the MiniHdfs control server
	dir          string // the state directory
}

var (
	realOnce sync.Once
	realE    *realEnv
	realErr  error
)

// realOn reports whether the real tier is asked for.
func realOn() bool { v, _ := strconv.ParseBool(os.Getenv("K2H_REAL")); return v }

// theRealEnv returns the running real environment, skipping the test when the real tier is off
// and failing it when the tier is on but no environment runs.
func theRealEnv(t *testing.T) *realEnv {
	t.Helper()
	if !realOn() {
		t.Skip("real tier off: K2H_REAL=1 runs it against scripts/real-env.sh's Apache Kafka and HDFS")
	}
	realOnce.Do(func() { realE, realErr = loadRealEnv() })
	if realErr != nil {
		t.Fatalf("K2H_REAL=1 but no real environment: %v (start one with scripts/real-env.sh up)", realErr)
	}
	return realE
}

func loadRealEnv() (*realEnv, error) {
	path := filepath.Join("..", ".real-env", "env")
	if d := os.Getenv("REAL_ENV_DIR"); d != "" {
		path = filepath.Join(d, "env")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			vals[k] = strings.Trim(v, `"'`)
		}
	}
	e := &realEnv{brokers: strings.Split(vals["KAFKA_BROKERS"], ","), kafkaVersion: vals["KAFKA_VERSION"],
		namenode: vals["HDFS_NAMENODE"], control: vals["HDFS_CONTROL"], dir: vals["REAL_ENV_DIR"]}
	if e.brokers[0] == "" || e.namenode == "" || e.control == "" {
		return nil, fmt.Errorf("%s lacks KAFKA_BROKERS, HDFS_NAMENODE or HDFS_CONTROL:\n%s", path, b)
	}
	return e, nil
}

// hdfsControl asks the MiniHdfs control server to do something (kill-datanode?n=1,
// restart-namenode, ...) and returns its answer.
func (e *realEnv) hdfsControl(t *testing.T, what string) string {
	t.Helper()
	cl := &http.Client{Timeout: 3 * time.Minute}
	method := http.MethodPost
	if what == "status" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, "http://"+e.control+"/"+what, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("hdfs control %s: %v", what, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("hdfs control %s: %s: %s", what, resp.Status, b)
	}
	return string(b)
}

// uniq is a short random suffix: the real servers outlive a test, so every test's topics, groups
// and output roots get names of their own.
func uniq() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// newRealHarness is newHarness on the real servers: a new topic of its own on the real broker,
// and an output root of its own on the real HDFS.
func newRealHarness(t *testing.T, topic string, partitions int) *harness {
	t.Helper()
	e := theRealEnv(t)
	topic = topic + "-" + uniq()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := bench.CreateTopic(ctx, e.brokers, topic, partitions); err != nil {
		t.Fatalf("real broker %v: %v", e.brokers, err)
	}
	id := uniq()
	root := "hdfs://" + e.namenode + "/k2h-e2e/" + unsafeName.ReplaceAllString(t.Name(), "_") + "-" + id
	return &harness{t: t, brokers: e.brokers, root: root, topic: topic, parts: partitions, real: e, id: id,
		produced: map[verify.TP]int64{}, bad: map[verify.TP]map[int64]bool{}}
}

// g names a consumer group for the harness: the name itself on the fast tier, where every
// harness has a broker of its own, and the name with the harness's id on the real broker, which
// tests share (parallel subtests, -count=3).
func (h *harness) g(name string) string {
	if h.real == nil {
		return name
	}
	return name + "-" + h.id
}

// outputFS opens the harness's output root through the storage package (the HDFS client for the
// real tier) and returns it with the root's path.
func (h *harness) outputFS() (storage.FS, string) {
	h.t.Helper()
	opts := storage.HDFSOptions{}
	if h.hdfsOpts != nil {
		opts = *h.hdfsOpts
	}
	fsys, p, err := storage.Open(h.root, opts)
	if err != nil {
		h.t.Fatalf("open %s: %v", h.root, err)
	}
	if c, ok := fsys.(io.Closer); ok {
		h.t.Cleanup(func() { _ = c.Close() })
	}
	return fsys, p
}

// proveReal ends a real-tier scenario: the exactly-once proof through the HDFS client (as prove),
// the dead letters checked, and then parquet-mr's read of every data file compared with ours.
func (h *harness) proveReal(t *testing.T, group, scenario, faults string) {
	t.Helper()
	fsys, p := h.outputFS()
	rep := h.proveFS(t, group, scenario+" [real Kafka "+h.real.kafkaVersion+", real HDFS]", faults, fsys, p)
	h.checkDeadLetters(rep)
	h.crossCheck(t, fsys, p, rep)
}

// javaFile is one line of ParquetCheck's output: a data file as parquet-mr reads it.
type javaFile struct {
	Path       string            `json:"path"`
	Error      string            `json:"error"`
	Partitions map[string]string `json:"partitions"`
	Rows       int64             `json:"rows"`
	Schema     []javaColumn      `json:"schema"`
	Offsets    [][2]int64        `json:"offsets"`
	Values     []map[string]any  `json:"rows_values"`
	KV         map[string]string `json:"kv"` // the footer's key/value metadata
	Files      *int              `json:"files"`
}

type javaColumn struct {
	Path       string `json:"path"`
	Type       string `json:"type"`
	Logical    string `json:"logical"`
	Repetition string `json:"repetition"`
}

// parquetMR reads root with parquet-mr (scripts/real-env.sh parquet-check) and returns its files
// by root-relative path.
func parquetMR(t *testing.T, root string) map[string]*javaFile {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "scripts", "real-env.sh"), "parquet-check", root, "--values")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("parquet-mr read of %s: %v\nstderr:\n%s\nstdout (tail):\n%s", root, err, stderr.String(), tail(string(out), 4000))
	}
	files := map[string]*javaFile{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	sawTotal := false
	for sc.Scan() {
		var f javaFile
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("parquet-mr output line %q: %v", tail(sc.Text(), 300), err)
		}
		switch {
		case f.Files != nil:
			sawTotal = true
		case f.Error != "":
			t.Errorf("parquet-mr cannot read %s: %s", f.Path, f.Error)
		default:
			files[f.Path] = &f
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !sawTotal {
		t.Fatalf("parquet-mr output has no closing totals line; stderr:\n%s", stderr.String())
	}
	return files
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// wantTypes is how the sample schema's columns must be declared, as parquet-mr prints them: the
// physical type, the logical type, and whether the column is required.
var wantTypes = map[string]javaColumn{
	"event_id":        {Type: "BINARY", Logical: "STRING", Repetition: "REQUIRED"},
	"event_time":      {Type: "INT64", Logical: "TIMESTAMP(MILLIS,true)", Repetition: "REQUIRED"},
	"user_id":         {Type: "INT64", Logical: "INTEGER(64,true)", Repetition: "REQUIRED"},
	"email_hash":      {Type: "BINARY", Logical: "STRING", Repetition: "OPTIONAL"},
	"price":           {Type: "DOUBLE", Logical: "", Repetition: "OPTIONAL"},
	"quantity":        {Type: "INT32", Logical: "INTEGER(32,true)", Repetition: "OPTIONAL"},
	"is_mobile":       {Type: "BOOLEAN", Logical: "", Repetition: "OPTIONAL"},
	"event_date":      {Type: "INT32", Logical: "DATE", Repetition: "OPTIONAL"},
	"kafka_offset":    {Type: "INT64", Logical: "INTEGER(64,true)", Repetition: "REQUIRED"},
	"kafka_partition": {Type: "INT32", Logical: "INTEGER(32,true)", Repetition: "REQUIRED"},
	// realExtraColumns
	"amount": {Type: "INT64", Logical: "DECIMAL(10,2)", Repetition: "OPTIONAL"},
}

// realExtraColumns are added to the sample schema on the real tier: types the reference readers
// must read back exactly.
const realExtraColumns = `
      - {name: amount, type: "decimal(10,2)", field: cart.price}`

// crossCheck compares parquet-mr's reading of every data file with ours: the same files, the same
// rows in the same order with the same offsets and values, the declared types, and Hive
// partitions (dt=, hour=) that agree with each row's event time.
func (h *harness) crossCheck(t *testing.T, fsys storage.FS, root string, rep *verify.Report) {
	t.Helper()
	java := parquetMR(t, h.root)
	ours := map[string]verify.FileRows{}
	for _, f := range rep.Files {
		if strings.HasPrefix(f.Path, "_") {
			continue // _late: read by both, but parquet-mr's walk skips _ directories like Hive
		}
		ours[f.Path] = f
	}
	if len(java) != len(ours) {
		t.Errorf("parquet-mr found %d data files, our reader %d", len(java), len(ours))
	}
	rows, typed := int64(0), 0
	for path, f := range ours {
		j := java[path]
		if j == nil {
			t.Errorf("%s: our reader found it, parquet-mr did not", path)
			continue
		}
		if j.Rows != f.Rows || len(j.Offsets) != len(f.Offsets) {
			t.Errorf("%s: parquet-mr reads %d rows (%d offsets), ours %d (%d)", path, j.Rows, len(j.Offsets), f.Rows, len(f.Offsets))
			continue
		}
		for i, o := range f.Offsets {
			if j.Offsets[i][0] != int64(f.Partition) || j.Offsets[i][1] != o {
				t.Errorf("%s row %d: parquet-mr reads partition/offset %v, ours %d/%d", path, i, j.Offsets[i], f.Partition, o)
				break
			}
		}
		rows += j.Rows
		typed += checkDeclared(t, path, j.Schema)
		h.compareValues(t, fsys, root, path, j)
	}
	if typed == 0 {
		t.Errorf("no column of the sample schema was found in any file: the type check checked nothing")
	}
	t.Logf("parquet-mr agrees with our reader on %d data files, %d rows, every value and the declared types", len(ours), rows)
}

// checkDeclared compares the declared types of the sample schema's columns; it returns how many
// it checked.
func checkDeclared(t *testing.T, path string, schema []javaColumn) int {
	n := 0
	for _, c := range schema {
		want, ok := wantTypes[c.Path]
		if !ok {
			continue
		}
		n++
		if c.Type != want.Type || c.Logical != want.Logical || c.Repetition != want.Repetition {
			t.Errorf("%s: column %s is declared %s %s %s, want %s %s %s", path, c.Path, c.Repetition, c.Type, c.Logical,
				want.Repetition, want.Type, want.Logical)
		}
	}
	return n
}

// compareValues reads the file with arrow-go and compares every value of every row with
// parquet-mr's, and the file's Hive partition values with each row's event time.
func (h *harness) compareValues(t *testing.T, fsys storage.FS, root, rel string, j *javaFile) {
	t.Helper()
	f, err := fsys.Open(context.Background(), root+"/"+rel)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := verify.ReadFile(f, f.Size())
	_ = f.Close()
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if len(j.Values) != len(tab.Rows) {
		t.Errorf("%s: parquet-mr gave %d rows of values, arrow-go %d", rel, len(j.Values), len(tab.Rows))
		return
	}
	bad := 0
	for i, row := range tab.Rows {
		for c, col := range tab.Columns {
			jv, ok := j.Values[i][col.Name]
			if !ok {
				t.Errorf("%s: parquet-mr has no column %s", rel, col.Name)
				return
			}
			if msg := sameValue(row[c], jv); msg != "" && bad < 5 {
				bad++
				t.Errorf("%s row %d column %s: %s", rel, i, col.Name, msg)
			}
		}
		// The event time parsed from the JSON (ts) and the Kafka record's timestamp, which the
		// sample producer sets to the same instant, read back equal: timestamps are the right
		// instant, not shifted by a zone or a unit.
		if et, kt := j.Values[i]["event_time"], j.Values[i]["kafka_timestamp"]; et != nil && kt != nil && bad < 5 {
			a, err1 := time.Parse(time.RFC3339Nano, fmt.Sprint(et))
			b, err2 := time.Parse(time.RFC3339Nano, fmt.Sprint(kt))
			if err1 != nil || err2 != nil || !a.Equal(b) {
				bad++
				t.Errorf("%s row %d: event_time %v and kafka_timestamp %v differ", rel, i, et, kt)
			}
		}
		if ts, ok := j.Values[i]["event_time"].(string); ok {
			at, err := time.Parse(time.RFC3339Nano, ts)
			if err == nil && (j.Partitions["dt"] != at.UTC().Format(time.DateOnly) || j.Partitions["hour"] != at.UTC().Format("15")) {
				if bad < 5 {
					bad++
					t.Errorf("%s row %d: event time %s is not in the file's partition dt=%s/hour=%s", rel, i, ts, j.Partitions["dt"], j.Partitions["hour"])
				}
			}
		}
	}
}

// sameValue compares arrow-go's value (verify.Table's types) with parquet-mr's canonical JSON
// value; "" if they agree.
func sameValue(ours any, java any) string {
	differ := func() string { return fmt.Sprintf("arrow-go reads %#v, parquet-mr %#v", ours, java) }
	switch v := ours.(type) {
	case nil:
		if java != nil {
			return differ()
		}
	case string:
		if s, ok := java.(string); !ok || s != v {
			return differ()
		}
	case []byte:
		if s, ok := java.(string); !ok || s != base64Std(v) {
			return differ()
		}
	case int32:
		if n, ok := java.(float64); !ok || int64(n) != int64(v) {
			return differ()
		}
	case int64:
		// JSON numbers decode to float64: exact below 2^53, which covers offsets and ids here.
		if n, ok := java.(float64); !ok || int64(n) != v {
			return differ()
		}
	case float32:
		if n, ok := java.(float64); !ok || float32(n) != v {
			return differ()
		}
	case float64:
		if n, ok := java.(float64); !ok || n != v {
			return differ()
		}
	case bool:
		if b, ok := java.(bool); !ok || b != v {
			return differ()
		}
	case verify.Timestamp:
		s, ok := java.(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil || !at.Equal(v.Time) {
			return differ()
		}
	case verify.Decimal:
		if s, ok := java.(string); !ok || s != string(v) {
			return differ()
		}
	case time.Time: // DATE
		if s, ok := java.(string); !ok || s != v.Format(time.DateOnly) {
			return differ()
		}
	default:
		// Lists and groups (headers): compare their JSON shapes loosely, by rendering.
		a, _ := json.Marshal(normalize(ours))
		b, _ := json.Marshal(java)
		if !bytes.Equal(a, b) {
			return fmt.Sprintf("arrow-go reads %s, parquet-mr %s", a, b)
		}
	}
	return ""
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// normalize renders verify.Table's headers the way parquet-mr's JSON shows a list of
// {key, value} groups.
func normalize(v any) any {
	switch x := v.(type) {
	case []verify.Header:
		out := make([]any, len(x))
		for i, h := range x {
			var val any
			if h.Value != nil {
				val = base64Std(h.Value)
			}
			out[i] = map[string]any{"key": h.Key, "value": val}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []verify.MapEntry: // a MAP: parquet-mr's JSON is an object keyed by the key's text
		out := map[string]any{}
		for _, e := range x {
			out[fmt.Sprint(e.Key)] = normalize(e.Value)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
