package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/hamba/avro/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/consumer"
	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/registry"
)

// Four versions of one subject: v2 adds an optional field, v3 widens qty int→long and adds a
// field with a default, v4 changes note from string to int (incompatible).
var orderVersions = []string{
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"},
	  {"name":"note","type":["null","string"],"default":null},
	  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"}]}}]}`,
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"},
	  {"name":"note","type":["null","string"],"default":null},
	  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"}]}},
	  {"name":"coupon","type":["null","string"],"default":null}]}`,
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"long"},
	  {"name":"note","type":["null","string"],"default":null},
	  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"}]}},
	  {"name":"coupon","type":["null","string"],"default":null},
	  {"name":"channel","type":"string","default":"web"}]}`,
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"long"},
	  {"name":"note","type":["null","int"],"default":null},
	  {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"}]}},
	  {"name":"coupon","type":["null","string"],"default":null},
	  {"name":"channel","type":"string","default":"web"}]}`,
}

// produceAvro writes n records of version v (0-based) of the order schema, registered under the
// topic's value subject, round-robin over the partitions, and counts them in h.produced.
func produceAvro(t *testing.T, h *harness, reg *fakeregistry.Registry, v, n int) {
	t.Helper()
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	h.sendAvro(t, reg, orderVersions[v], n, func(i int) any {
		rec := map[string]any{"id": int64(i), "qty": i % 7, "note": nil, "at": at.Add(time.Duration(i) * time.Second),
			"customer": map[string]any{"name": "c" + strconv.Itoa(i)}}
		if i%3 == 0 {
			rec["note"] = map[string]any{"string": "n" + strconv.Itoa(i)}
		}
		if v >= 1 {
			rec["coupon"] = nil
		}
		if v >= 2 {
			rec["qty"] = int64(i % 7)
			rec["channel"] = "app"
		}
		if v == 3 {
			rec["note"] = map[string]any{"int": i}
		}
		return rec
	})
}

// sendAvro registers schema under the topic's value subject and writes n records, record(i) in the
// Confluent wire format, round-robin over the partitions, counting them in h.produced.
func (h *harness) sendAvro(t *testing.T, reg *fakeregistry.Registry, schema string, n int, record func(i int) any) {
	t.Helper()
	id := reg.Register(h.topic+"-value", "", schema)
	s := avro.MustParse(schema)
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer(h.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close() }()
	var msgs []*sarama.ProducerMessage
	for i := range n {
		body, err := avro.Marshal(s, record(i))
		if err != nil {
			t.Fatal(err)
		}
		part := int32(i % h.parts)
		msgs = append(msgs, &sarama.ProducerMessage{Topic: h.topic, Partition: part,
			Value: sarama.ByteEncoder(append(codec.AppendHeader(nil, id), body...))})
		h.produced[verify.TP{Topic: h.topic, Partition: part}]++
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatal(err)
	}
}

func avroConfigEdit(reg *fakeregistry.Registry, policy string) func(string) string {
	return func(y string) string {
		i := strings.Index(y, "    interceptors:")
		y = y[:i] + "    format: avro\n    incompatible: " + policy + `
    interceptors:
      - {type: mask, field: customer.name, method: sha256}
`
		return y + "schema_registry: {url: " + reg.URL() + ", retries: 2}\n"
	}
}

type fileSchema struct {
	id      string
	version string
	columns map[string]string // name → logical type
}

func readFooters(t *testing.T, root, topic string) []fileSchema {
	t.Helper()
	var out []fileSchema
	err := filepath.Walk(filepath.Join(root, topic), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		pf, err := parquet.OpenFile(f, fi.Size())
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fs := fileSchema{columns: map[string]string{}}
		fs.id, _ = pf.Lookup(consumer.FooterSchemaID)
		fs.version, _ = pf.Lookup(consumer.FooterSchemaVersion)
		for _, c := range pf.Schema().Columns() {
			leaf, _ := pf.Schema().Lookup(c...)
			fs.columns[strings.Join(c, ".")] = leaf.Node.Type().String()
		}
		out = append(out, fs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Three compatible versions mid-topic: every record lands once, each file has one writer schema
// (named in its footer) and that schema's columns, and none is a dead letter.
func TestAvroEvolution(t *testing.T) {
	h := newHarness(t, "orders", 2)
	reg := fakeregistry.Start()
	defer reg.Close()
	for v := range 3 {
		produceAvro(t, h, reg, v, 200)
	}
	cfg := h.configEdited("g-avro", avroConfigEdit(reg, "stop"))
	h.start("m1", cfg, true).finish(t, 60*time.Second)
	rep := h.check()
	if n := deadRows(rep); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
	files := readFooters(t, h.root, h.topic)
	seen := map[string]bool{}
	for _, f := range files {
		seen[f.version] = true
		_, coupon := f.columns["coupon"]
		_, channel := f.columns["channel"]
		switch f.version {
		case "1":
			if coupon || channel || f.columns["qty"] != "INT(32,true)" {
				t.Errorf("a version 1 file has columns %v", f.columns)
			}
		case "2":
			if !coupon || channel || f.columns["qty"] != "INT(32,true)" {
				t.Errorf("a version 2 file has columns %v", f.columns)
			}
		case "3":
			if !coupon || !channel || f.columns["qty"] != "INT(64,true)" {
				t.Errorf("a version 3 file has columns %v", f.columns)
			}
		default:
			t.Errorf("a file with schema version %q (id %q)", f.version, f.id)
		}
		if f.columns["customer_name"] != "STRING" {
			t.Errorf("customer_name is %q", f.columns["customer_name"])
		}
	}
	if len(seen) != 3 {
		t.Errorf("files of versions %v, want 1, 2 and 3", seen)
	}
}

// An incompatible version stops the run with the typed error, commits nothing past the last
// compatible record, and, under dead_letter, goes to the dead letters instead.
func TestAvroIncompatible(t *testing.T) {
	h := newHarness(t, "orders", 1)
	reg := fakeregistry.Start()
	defer reg.Close()
	produceAvro(t, h, reg, 0, 100)
	produceAvro(t, h, reg, 3, 50)
	cfg := h.configEdited("g-stop", avroConfigEdit(reg, "stop"))
	err := h.start("m1", cfg, true).wait(t, 60*time.Second)
	if !errors.Is(err, consumer.ErrIncompatibleSchema) {
		t.Fatalf("run ended with %v, want ErrIncompatibleSchema", err)
	}
	if got := h.committed("g-stop")[verify.TP{Topic: h.topic, Partition: 0}]; got > 100 {
		t.Errorf("committed %d, past the first incompatible record at offset 100", got)
	}

	h2 := newHarness(t, "orders", 1)
	h2.root = t.TempDir()
	produceAvro(t, h2, reg, 0, 100)
	produceAvro(t, h2, reg, 3, 50)
	cfg = h2.configEdited("g-dl", avroConfigEdit(reg, "dead_letter"))
	h2.bad[verify.TP{Topic: h2.topic, Partition: 0}] = map[int64]bool{}
	for o := int64(100); o < 150; o++ {
		h2.bad[verify.TP{Topic: h2.topic, Partition: 0}][o] = true
	}
	h2.start("m1", cfg, true).finish(t, 60*time.Second)
	if n := deadRows(h2.check()); n != 50 {
		t.Errorf("%d dead letters, want the 50 records of the incompatible version", n)
	}
}

func deadRows(rep *verify.Report) int64 {
	var n int64
	for _, f := range rep.DeadLetters {
		n += f.Rows
	}
	return n
}

// A registry that stays down fails the run after its bounded retries, with nothing committed; once
// it is back, a new run loads everything exactly once.
func TestAvroRegistryDown(t *testing.T) {
	h := newHarness(t, "orders", 1)
	reg := fakeregistry.Start()
	defer reg.Close()
	produceAvro(t, h, reg, 0, 100)
	reg.SetDown(true)
	cfg := h.configEdited("g-down", avroConfigEdit(reg, "stop"))
	err := h.start("m1", cfg, true).wait(t, 60*time.Second)
	if !errors.Is(err, registry.ErrUnavailable) {
		t.Fatalf("run ended with %v, want ErrUnavailable", err)
	}
	if got := h.committed("g-down")[verify.TP{Topic: h.topic, Partition: 0}]; got > 0 {
		t.Errorf("committed %d with the registry down", got)
	}
	reg.SetDown(false)
	h.start("m2", cfg, true).finish(t, 60*time.Second)
	h.check()
}

// JSON Schema: the value after the header is JSON; the columns come from the schema's properties.
func TestJSONSchemaTopic(t *testing.T) {
	h := newHarness(t, "orders", 1)
	reg := fakeregistry.Start()
	defer reg.Close()
	id := reg.Register(h.topic+"-value", "JSON", `{"type":"object","required":["id"],"properties":{
	  "id":{"type":"integer"},"customer":{"type":"object","properties":{"name":{"type":"string"}}}}}`)
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	p, err := sarama.NewSyncProducer(h.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		v := append(codec.AppendHeader(nil, id), fmt.Sprintf(`{"id":%d,"customer":{"name":"c%d"}}`, i, i)...)
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: h.topic, Value: sarama.ByteEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.Close()
	h.produced[verify.TP{Topic: h.topic, Partition: 0}] = 50
	conf := h.configEdited("g-js", func(y string) string {
		return strings.Replace(avroConfigEdit(reg, "stop")(y), "format: avro", "format: json_schema", 1)
	})
	h.start("m1", conf, true).finish(t, 60*time.Second)
	rep := h.check()
	if n := deadRows(rep); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	for _, f := range readFooters(t, h.root, h.topic) {
		if f.columns["id"] != "INT(64,true)" || f.columns["customer_name"] != "STRING" {
			t.Errorf("columns %v", f.columns)
		}
	}
}

// Protobuf: the .proto is compiled from the registry's text; values carry message indexes.
func TestProtobufTopic(t *testing.T) {
	h := newHarness(t, "orders", 1)
	reg := fakeregistry.Start()
	defer reg.Close()
	const proto3 = `syntax = "proto3";
message Order { int64 id = 1; optional string note = 2; Customer customer = 3; message Customer { string name = 1; } }`
	id := reg.Register(h.topic+"-value", "PROTOBUF", proto3)
	pb, err := codec.ParseProtobuf(proto3, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	p, err := sarama.NewSyncProducer(h.brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		body := protoOrder(t, pb, int64(i), fmt.Sprintf("c%d", i))
		v := append(append(codec.AppendHeader(nil, id), 0), body...) // indexes [0]: the first message
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: h.topic, Value: sarama.ByteEncoder(v)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.Close()
	h.produced[verify.TP{Topic: h.topic, Partition: 0}] = 40
	conf := h.configEdited("g-pb", func(y string) string {
		return strings.Replace(avroConfigEdit(reg, "stop")(y), "format: avro", "format: protobuf", 1)
	})
	h.start("m1", conf, true).finish(t, 60*time.Second)
	if n := deadRows(h.check()); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	for _, f := range readFooters(t, h.root, h.topic) {
		if f.columns["id"] != "INT(64,true)" || f.columns["customer_name"] != "STRING" || f.columns["note"] != "STRING" {
			t.Errorf("columns %v", f.columns)
		}
	}
}

func protoOrder(t *testing.T, pb *codec.Protobuf, id int64, name string) []byte {
	t.Helper()
	b, err := pb.Marshal(map[string]any{"id": id, "customer": map[string]any{"name": name}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
