package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/kafka2hdfs/kafka2hdfs/codec"
	"github.com/kafka2hdfs/kafka2hdfs/internal/fakeregistry"
	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
)

// Two versions of a subject with arrays, maps, records and a union: v2 adds an optional field to
// the record inside the array (a compatible change inside a LIST).
var nestedVersions = []string{
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},
	  {"name":"email","type":"string"},
	  {"name":"tags","type":{"type":"array","items":"string"}},
	  {"name":"attrs","type":{"type":"map","values":"long"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"},
	    {"name":"phones","type":{"type":"array","items":"string"}}]}},
	  {"name":"lines","type":{"type":"array","items":{"type":"record","name":"L","fields":[
	    {"name":"sku","type":"string"},{"name":"qty","type":["null","int"],"default":null}]}}},
	  {"name":"either","type":["null","string","long"],"default":null},
	  {"name":"maybe","type":["null",{"type":"array","items":"int"}],"default":null}]}`,
	`{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},
	  {"name":"email","type":"string"},
	  {"name":"tags","type":{"type":"array","items":"string"}},
	  {"name":"attrs","type":{"type":"map","values":"long"}},
	  {"name":"customer","type":{"type":"record","name":"C","fields":[{"name":"name","type":"string"},
	    {"name":"phones","type":{"type":"array","items":"string"}}]}},
	  {"name":"lines","type":{"type":"array","items":{"type":"record","name":"L","fields":[
	    {"name":"sku","type":"string"},{"name":"qty","type":["null","int"],"default":null},
	    {"name":"note","type":["null","string"],"default":null}]}}},
	  {"name":"either","type":["null","string","long"],"default":null},
	  {"name":"maybe","type":["null",{"type":"array","items":"int"}],"default":null}]}`,
}

// nestedOrder is record i of version v: ids are v*1000+i, and every shape is sometimes empty or null.
func nestedOrder(v, i int) map[string]any {
	id := v*1000 + i
	rec := map[string]any{"id": int64(id), "email": "u" + strconv.Itoa(id) + "@x",
		"tags": []any{}, "attrs": map[string]any{}, "either": nil, "maybe": nil,
		"customer": map[string]any{"name": "c" + strconv.Itoa(id), "phones": []any{}}}
	if i%3 != 0 {
		rec["tags"] = []any{"t" + strconv.Itoa(id), "u"}
	}
	if i%4 != 0 {
		rec["attrs"] = map[string]any{"k": int64(id), "j": int64(-1)}
	}
	if i%2 == 1 {
		rec["customer"].(map[string]any)["phones"] = []any{"p" + strconv.Itoa(id)}
		rec["maybe"] = map[string]any{"array": []any{id, id + 1}}
	}
	line := map[string]any{"sku": "s" + strconv.Itoa(id), "qty": nil}
	if i%5 != 0 {
		line["qty"] = map[string]any{"int": i}
	}
	if v == 1 {
		line["note"] = nil
		if i%2 == 0 {
			line["note"] = map[string]any{"string": "n"}
		}
	}
	rec["lines"] = []any{line}
	switch i % 3 {
	case 1:
		rec["either"] = map[string]any{"string": "e" + strconv.Itoa(id)}
	case 2:
		rec["either"] = map[string]any{"long": int64(id)}
	}
	return rec
}

// nestedWant is what the independent reader must see for record i of version v.
func nestedWant(v, i int) map[string]any {
	id := v*1000 + i
	w := map[string]any{"id": int64(id), "tags": []any{}, "attrs": []verify.MapEntry{}, "either": nil, "maybe": nil}
	if i%3 != 0 {
		w["tags"] = []any{"t" + strconv.Itoa(id), "u"}
	}
	if i%4 != 0 {
		w["attrs"] = []verify.MapEntry{{Key: "j", Value: int64(-1)}, {Key: "k", Value: int64(id)}}
	}
	phones := []any{}
	if i%2 == 1 {
		phones = []any{"p" + strconv.Itoa(id)}
		w["maybe"] = []any{int32(id), int32(id + 1)}
	}
	w["customer"] = map[string]any{"name": "c" + strconv.Itoa(id), "phones": phones}
	line := map[string]any{"sku": "s" + strconv.Itoa(id), "qty": nil}
	if i%5 != 0 {
		line["qty"] = int32(i)
	}
	if v == 1 {
		line["note"] = nil
		if i%2 == 0 {
			line["note"] = "n"
		}
	}
	w["lines"] = []any{line}
	switch i % 3 {
	case 1:
		w["either"] = map[string]any{"member0": "e" + strconv.Itoa(id), "member1": nil}
	case 2:
		w["either"] = map[string]any{"member0": nil, "member1": int64(id)}
	}
	return w
}

func produceNested(t *testing.T, h *harness, reg *fakeregistry.Registry, v, n int) {
	t.Helper()
	h.sendAvro(t, reg, nestedVersions[v], n, func(i int) any { return nestedOrder(v, i) })
}

// Arrays, maps, records (nested: group) and a union land as LIST, MAP and groups, exactly once,
// across a compatible change inside the array's records (a new file per writer schema), with a
// mask on a top-level field still applied.
func TestAvroNestedColumns(t *testing.T) {
	h := newHarness(t, "orders", 2)
	reg := fakeregistry.Start()
	defer reg.Close()
	const n = 300
	produceNested(t, h, reg, 0, n)
	produceNested(t, h, reg, 1, n)
	cfg := h.configEdited("g-nested", func(y string) string {
		i := strings.Index(y, "    interceptors:")
		y = y[:i] + `    format: avro
    nested: group
    interceptors:
      - {type: mask, field: email, method: sha256}
`
		return y + "schema_registry: {url: " + reg.URL() + ", retries: 2}\n"
	})
	h.start("m1", cfg, true).finish(t, 60*time.Second)
	rep := h.check()
	if d := deadRows(rep); d != 0 {
		t.Fatalf("%d dead letters, want none", d)
	}
	versions := map[string]bool{}
	for _, f := range readFooters(t, h.root, h.topic) {
		versions[f.version] = true
		_, note := f.columns["lines.list.element.note"]
		if note != (f.version == "2") {
			t.Errorf("a version %s file has columns %v", f.version, f.columns)
		}
		if f.columns["attrs.key_value.key"] != "STRING" || f.columns["either.member1"] != "INT(64,true)" {
			t.Errorf("columns %v", f.columns)
		}
	}
	if len(versions) != 2 {
		t.Errorf("files of versions %v, want 1 and 2", versions)
	}
	seen := map[int64]bool{}
	eachTable(t, filepath.Join(h.root, h.topic), func(tbl *verify.Table) {
		for _, row := range tbl.Rows {
			id := row[tbl.Col("id")].(int64)
			if seen[id] {
				t.Errorf("id %d twice", id)
			}
			seen[id] = true
			want := nestedWant(int(id/1000), int(id%1000))
			for name, w := range want {
				if got := row[tbl.Col(name)]; !reflect.DeepEqual(got, w) {
					t.Errorf("id %d, %s: got %#v, want %#v", id, name, got, w)
				}
			}
			if email, _ := row[tbl.Col("email")].(string); email == "" || strings.Contains(email, "@") {
				t.Errorf("id %d: email %q is not masked", id, email)
			}
		}
	})
	if len(seen) != 2*n {
		t.Errorf("%d ids, want %d", len(seen), 2*n)
	}
}

// Protobuf repeated fields and maps, and JSON Schema arrays, land as LIST/MAP/groups exactly once.
func TestRegistryNestedProtobufAndJSONSchema(t *testing.T) {
	const proto3 = `syntax = "proto3";
message Order { int64 id = 1; repeated string tags = 2; map<string, int64> attrs = 3; repeated Line lines = 4;
  message Line { string sku = 1; optional int32 qty = 2; } }`
	const jsonSchema = `{"type":"object","required":["id","tags"],"properties":{"id":{"type":"integer"},
	  "tags":{"type":"array","items":{"type":"string"}},
	  "lines":{"type":"array","items":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string"},"qty":{"type":["integer","null"]}}}}}}`
	for _, format := range []string{"protobuf", "json_schema"} {
		t.Run(format, func(t *testing.T) {
			h := newHarness(t, "orders", 1)
			reg := fakeregistry.Start()
			defer reg.Close()
			var id int
			var pb *codec.Protobuf
			if format == "protobuf" {
				id = reg.Register(h.topic+"-value", "PROTOBUF", proto3)
				var err error
				if pb, err = codec.ParseProtobuf(proto3, nil); err != nil {
					t.Fatal(err)
				}
			} else {
				id = reg.Register(h.topic+"-value", "JSON", jsonSchema)
			}
			cfg := sarama.NewConfig()
			cfg.Producer.Return.Successes = true
			p, err := sarama.NewSyncProducer(h.brokers, cfg)
			if err != nil {
				t.Fatal(err)
			}
			const n = 60
			for i := range n {
				tags := []any{}
				for k := range i % 3 {
					tags = append(tags, "t"+strconv.Itoa(k))
				}
				line := map[string]any{"sku": "s" + strconv.Itoa(i)}
				if i%2 == 1 {
					line["qty"] = int32(i)
				}
				var v []byte
				if format == "protobuf" {
					vals := map[string]any{"id": int64(i), "tags": tags, "lines": []any{line}}
					if i%4 != 0 {
						vals["attrs"] = map[string]any{"k": int64(i)}
					}
					body, err := pb.Marshal(vals)
					if err != nil {
						t.Fatal(err)
					}
					v = append(append(codec.AppendHeader(nil, id), 0), body...)
				} else {
					doc := map[string]any{"id": i, "tags": tags, "lines": []any{line}}
					if i%5 == 0 {
						doc["lines"] = nil
					}
					b, _ := json.Marshal(doc)
					v = append(codec.AppendHeader(nil, id), b...)
				}
				if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: h.topic, Value: sarama.ByteEncoder(v)}); err != nil {
					t.Fatal(err)
				}
			}
			_ = p.Close()
			h.produced[verify.TP{Topic: h.topic, Partition: 0}] = n
			conf := h.configEdited("g-"+format, func(y string) string {
				return strings.Replace(avroConfigEdit(reg, "stop")(y), "format: avro", "format: "+format, 1)
			})
			h.start("m1", conf, true).finish(t, 60*time.Second)
			if d := deadRows(h.check()); d != 0 {
				t.Fatalf("%d dead letters", d)
			}
			seen := 0
			eachTable(t, filepath.Join(h.root, h.topic), func(tbl *verify.Table) {
				for _, row := range tbl.Rows {
					i := int(row[tbl.Col("id")].(int64))
					seen++
					tags := []any{}
					for k := range i % 3 {
						tags = append(tags, "t"+strconv.Itoa(k))
					}
					var qty any
					if i%2 == 1 {
						qty = int32(i)
						if format == "json_schema" {
							qty = int64(i)
						}
					}
					var lines any = []any{map[string]any{"sku": "s" + strconv.Itoa(i), "qty": qty}}
					want := map[string]any{"tags": tags, "lines": lines}
					if format == "protobuf" {
						want["attrs"] = []verify.MapEntry{}
						if i%4 != 0 {
							want["attrs"] = []verify.MapEntry{{Key: "k", Value: int64(i)}}
						}
					} else if i%5 == 0 {
						want["lines"] = nil
					}
					for name, w := range want {
						if got := row[tbl.Col(name)]; !reflect.DeepEqual(got, w) {
							t.Errorf("id %d, %s: %#v, want %#v", i, name, got, w)
						}
					}
				}
			})
			if seen != n {
				t.Errorf("%d rows, want %d", seen, n)
			}
		})
	}
}

// eachTable reads every Parquet file under dir with internal/verify (arrow-go) and hands it to f;
// a file that cannot be read fails the test.
func eachTable(t *testing.T, dir string, f func(*verify.Table)) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		tbl, err := verify.ReadPath(p)
		if err != nil {
			return err
		}
		f(tbl)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
