package consumer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kafka2hdfs/kafka2hdfs/interceptor"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/schema"
)

func TestDeadLetterValue(t *testing.T) {
	const email = "alice@example.com"
	value := []byte(`{"id":"e1","user":{"email":"` + email + `","age":"x"},"n":4.50}`)
	mask := interceptor.Config{Type: "mask", Field: "user.email", Salt: "pepper"}
	maskKey := interceptor.Config{Type: "mask", Field: "@key", Method: "redact"}
	cols := []schema.Column{{Name: "id", Type: "string"}, {Name: "email", Type: "string", Field: "user.email"},
		{Name: "age", Type: "int64", Field: "user.age"}, {Name: "n", Type: "double"}, {Name: "gone", Type: "string"}}
	for _, tc := range []struct {
		name   string
		spec   TopicSpec
		stage  string
		want   string // the dead letter's value; "<nil>" for none
		noKey  bool
		policy string
	}{
		{name: "no mask: original by default", spec: TopicSpec{Schema: cols}, stage: "convert", want: string(value), policy: DeadOriginal},
		{name: "mask: masked by default", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{mask}}, stage: "convert",
			want: `{"id":"e1","email":"<hash>","age":"x","n":4.50}`, policy: DeadMasked},
		{name: "masked, failed in the interceptors", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{mask}}, stage: "interceptor", want: "<nil>", policy: DeadMasked},
		{name: "masked, failed to parse", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{mask}}, stage: "parse", want: "<nil>", policy: DeadMasked},
		{name: "drop", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{mask}, DeadLetter: DeadLetterSpec{Value: DeadDrop}}, stage: "convert", want: "<nil>", policy: DeadDrop},
		{name: "original asked for", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{mask}, DeadLetter: DeadLetterSpec{Value: DeadOriginal}}, stage: "convert", want: string(value), policy: DeadOriginal},
		{name: "masked key", spec: TopicSpec{Schema: cols, Interceptors: []interceptor.Config{maskKey}}, stage: "late",
			want: `{"id":"e1","email":"alice@example.com","age":"x","n":4.50}`, noKey: true, policy: DeadMasked},
		{name: "raw format keeps the value", spec: TopicSpec{Format: FormatRaw, Interceptors: []interceptor.Config{maskKey}}, stage: "convert", want: string(value), noKey: true, policy: DeadMasked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Name = "t"
			topic, err := CompileTopic(tc.spec, CompileOptions{Compression: "none", Hostname: "h"})
			if err != nil {
				t.Fatal(err)
			}
			if topic.dead.policy.value != tc.policy {
				t.Errorf("policy = %s, want %s", topic.dead.policy.value, tc.policy)
			}
			r := &record.Record{Topic: "t", Key: []byte("user-42"), Value: append([]byte(nil), value...)}
			var bufs record.Buffers
			if err := topic.filler.Fill(r, &bufs); err != nil {
				t.Fatal(err)
			}
			if _, err := topic.chain.Intercept(r); err != nil {
				t.Fatal(err)
			}
			var scratch record.Record
			var buf []byte
			d := topic.deadRecord(r, tc.stage, &scratch, &buf)
			got := "<nil>"
			if d.Value != nil {
				got = string(d.Value)
			}
			if i := strings.Index(tc.want, "<hash>"); i >= 0 && len(got) > i+64 {
				got = got[:i] + "<hash>" + got[i+64:]
			}
			if got != tc.want {
				t.Errorf("dead letter value = %s, want %s", got, tc.want)
			}
			if got != "<nil>" && !json.Valid(d.Value) {
				t.Errorf("value is not JSON: %s", d.Value)
			}
			if (d.Key == nil) != tc.noKey {
				t.Errorf("key = %q, want hidden=%v", d.Key, tc.noKey)
			}
			if string(r.Value) != string(value) || string(r.Key) != "user-42" {
				t.Error("deadRecord changed the record")
			}
		})
	}
	if _, err := CompileTopic(TopicSpec{Name: "t", Schema: cols, DeadLetter: DeadLetterSpec{Value: "masked-ish"}}, CompileOptions{}); err == nil || !strings.Contains(err.Error(), `dead_letter.value: "masked-ish" is not original, masked or drop`) {
		t.Errorf("bad value: %v", err)
	}
}
