package interceptor

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func TestDropFields(t *testing.T) {
	g := newRig(t, []string{"user.password", "user.name", "@header.auth"},
		[]string{"user.password", "user.password.hash", "user.name", "@header.auth"},
		Config{Type: "drop_fields", Fields: []string{"user.password", "@header.auth"}})
	r := g.record(str("hunter2"), str("bob"), str("Bearer x"))
	if keep, err := g.chain.Intercept(r); !keep || err != nil {
		t.Fatalf("Intercept() = %v, %v, want true, nil", keep, err)
	}
	for i, want := range []field.Value{missing, missing, str("bob"), missing} {
		if got := g.get(r, i); !sameValue(got, want) {
			t.Errorf("output %d after drop = %v, want %v", i, fmtValue(got), fmtValue(want))
		}
	}
}

func TestRenameField(t *testing.T) {
	g := newRig(t, []string{"usr", "@key"}, []string{"user", "usr", "k", "@key"},
		Config{Type: "rename_field", From: "usr", To: "user"},
		Config{Type: "rename_field", From: "@key", To: "k"})
	r := g.record(str("bob"), str("key-1"))
	if keep, err := g.chain.Intercept(r); !keep || err != nil {
		t.Fatalf("Intercept() = %v, %v, want true, nil", keep, err)
	}
	for i, want := range []field.Value{str("bob"), missing, str("key-1"), missing} {
		if got := g.get(r, i); !sameValue(got, want) {
			t.Errorf("output %d after rename = %v, want %v", i, fmtValue(got), fmtValue(want))
		}
	}
}

func TestChains(t *testing.T) {
	tests := []struct {
		name    string
		inputs  []string
		chain   []Config
		in      []field.Value
		want    bool
		outputs []string
		out     []field.Value
	}{
		{
			name:   "rename then filter on the new name",
			inputs: []string{"usr"},
			chain: []Config{
				{Type: "rename_field", From: "usr", To: "user"},
				{Type: "filter", Field: "user", Values: []string{"bob"}},
			},
			in: []field.Value{str("bob")}, want: true,
		},
		{
			name:   "rename then filter on the new name, no match",
			inputs: []string{"usr"},
			chain: []Config{
				{Type: "rename_field", From: "usr", To: "user"},
				{Type: "filter", Field: "user", Values: []string{"bob"}},
			},
			in: []field.Value{str("eve")}, want: false,
		},
		{
			name:   "rename then filter on the old name sees missing",
			inputs: []string{"usr"},
			chain: []Config{
				{Type: "rename_field", From: "usr", To: "user"},
				{Type: "filter", Field: "usr", Values: []string{"bob"}, Action: "drop"},
			},
			in: []field.Value{str("bob")}, want: true,
		},
		{
			name:   "drop then read is missing",
			inputs: []string{"env"},
			chain: []Config{
				{Type: "drop_fields", Fields: []string{"env"}},
				{Type: "filter", Field: "env", Values: []string{"prod"}},
			},
			in: []field.Value{str("prod")}, want: false,
			outputs: []string{"env"}, out: []field.Value{missing},
		},
		{
			name:   "filter then drop: the filter still sees the value",
			inputs: []string{"env"},
			chain: []Config{
				{Type: "filter", Field: "env", Values: []string{"prod"}},
				{Type: "drop_fields", Fields: []string{"env"}},
			},
			in: []field.Value{str("prod")}, want: true,
			outputs: []string{"env"}, out: []field.Value{missing},
		},
		{
			name:   "extract then filter on an extracted field",
			inputs: []string{"line"},
			chain: []Config{
				{Type: "extract", Field: "line", Regex: `level=(?P<level>\w+)`},
				{Type: "filter", Field: "level", Values: []string{"debug"}, Action: "drop"},
			},
			in: []field.Value{str("ts=1 level=debug msg=x")}, want: false,
		},
		{
			name:   "extract then filter, no match keeps",
			inputs: []string{"line"},
			chain: []Config{
				{Type: "extract", Field: "line", Regex: `level=(?P<level>\w+)`},
				{Type: "filter", Field: "level", Values: []string{"debug"}, Action: "drop"},
			},
			in: []field.Value{str("plain text")}, want: true,
			outputs: []string{"level"}, out: []field.Value{missing},
		},
		{
			name:   "mask then read",
			inputs: []string{"email"},
			chain: []Config{
				{Type: "mask", Field: "email"},
				{Type: "filter", Field: "email", Values: []string{sha256Hex("a@b.c")}},
			},
			in: []field.Value{str("a@b.c")}, want: true,
			outputs: []string{"email"}, out: []field.Value{str(sha256Hex("a@b.c"))},
		},
		{
			name:   "filter before mask compares the cleartext",
			inputs: []string{"email"},
			chain: []Config{
				{Type: "filter", Field: "email", Regex: `@example\.com$`, Action: "drop"},
				{Type: "mask", Field: "email", Method: "redact"},
			},
			in: []field.Value{str("a@b.c")}, want: true,
			outputs: []string{"email"}, out: []field.Value{str("REDACTED")},
		},
		{
			name:   "add_field then timestamp then filter on the added field",
			inputs: []string{"ts"},
			chain: []Config{
				{Type: "add_field", Field: "env", Value: "prod"},
				{Type: "timestamp", Field: "ts", Format: "epoch_seconds"},
				{Type: "filter", Field: "env", Values: []string{"prod"}},
			},
			in: []field.Value{num("100")}, want: true,
			outputs: []string{"env"}, out: []field.Value{str("prod")},
		},
		{
			name:   "a failing timestamp stops the chain",
			inputs: []string{"ts"},
			chain: []Config{
				{Type: "timestamp", Field: "ts", IfMissing: "error"},
				{Type: "add_field", Field: "env", Value: "prod"},
			},
			in: []field.Value{missing}, want: false,
			outputs: []string{"env"}, out: []field.Value{missing},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRig(t, tt.inputs, tt.outputs, tt.chain...)
			r := g.record(tt.in...)
			keep, _ := g.chain.Intercept(r)
			if keep != tt.want {
				t.Errorf("Intercept(%v) = %v, want %v", fmtValues(tt.in), keep, tt.want)
			}
			for i, want := range tt.out {
				if got := g.get(r, i); !sameValue(got, want) {
					t.Errorf("Intercept(%v): %s = %v, want %v", fmtValues(tt.in), tt.outputs[i], fmtValue(got), fmtValue(want))
				}
			}
		})
	}
}

func fmtValues(vs []field.Value) string {
	s := "["
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += fmtValue(v)
	}
	return s + "]"
}

// concurrentChain is one topic's chain touching every kind with per-record work; the partitions of
// the topic share it.
var concurrentChain = []Config{
	{Type: "extract", Field: "line", Regex: `user=(?P<user>\w+) ts=(?P<ts>\d+)`},
	{Type: "filter", Field: "user", Regex: `^skip`, Action: "drop"},
	{Type: "mask", Field: "user", Method: "hmac-sha256", Key: "k"},
	{Type: "mask", Field: "line", Salt: "s"},
	{Type: "timestamp", Field: "ts", Format: "epoch_millis", IfMissing: "error"},
	{Type: "add_field", Field: "loaded_at", Source: "processing_time", Format: "epoch_millis"},
}

// TestConcurrentPartitions runs one chain from several goroutines, each with its own reused record
// as a partition pipeline has; run it with -race.
func TestConcurrentPartitions(t *testing.T) {
	g := newRig(t, []string{"line"}, []string{"user", "line", "loaded_at"}, concurrentChain...)
	// The expected hashes come from a chain used by one goroutine only.
	ref := newRig(t, []string{"line"}, []string{"user", "line"}, concurrentChain...)

	const partitions, records = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, partitions)
	for p := range partitions {
		wg.Go(func() {
			r := g.record()
			want := ref.record()
			for i := range records {
				line := fmt.Sprintf("user=u%d_%d ts=%d", p, i, 1000*p+i)
				if i%10 == 0 {
					line = "user=skip" + strconv.Itoa(i) + " ts=1"
				}
				g.fill(r, str(line))
				keep, err := g.chain.Intercept(r)
				if wantKeep := i%10 != 0; err != nil || keep != wantKeep {
					errs <- fmt.Errorf("partition %d: Intercept(%q) = %v, %v, want %v, nil", p, line, keep, err, wantKeep)
					return
				}
				if !keep {
					continue
				}
				if got := r.EventTime; !got.Equal(time.UnixMilli(int64(1000*p + i))) {
					errs <- fmt.Errorf("partition %d: Intercept(%q): event time %v", p, line, got)
					return
				}
				if g.get(r, 2).Kind != field.Number {
					errs <- fmt.Errorf("partition %d: Intercept(%q): loaded_at = %v", p, line, fmtValue(g.get(r, 2)))
					return
				}
				user, masked := g.get(r, 0), g.get(r, 1)
				refMu.Lock()
				ref.fill(want, str(line))
				ref.chain.Intercept(want)
				ok := sameValue(user, ref.get(want, 0)) && sameValue(masked, ref.get(want, 1))
				refMu.Unlock()
				if !ok {
					errs <- fmt.Errorf("partition %d: Intercept(%q): user %v, line %v differ from a single-threaded run", p, line, fmtValue(user), fmtValue(masked))
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

var refMu sync.Mutex

// BenchmarkChain is a typical 4-step chain: a filter, an extract, a hash mask and an event time.
// The allocations are the extract's submatch indexes and the mask's hex output, which the record
// keeps.
func BenchmarkChain(b *testing.B) {
	g := newRig(b, []string{"type", "line", "user", "ts"}, nil,
		Config{Type: "filter", Field: "type", Values: []string{"access", "audit"}},
		Config{Type: "extract", Field: "line", Regex: `^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3})$`},
		Config{Type: "mask", Field: "user", Salt: "pepper"},
		Config{Type: "timestamp", Field: "ts", Format: "epoch_millis"},
	)
	r := g.record(str("access"), str("GET /index.html 200"), str("alice@example.com"), num("1714564984005"))
	b.ReportAllocs()
	for b.Loop() {
		keep, err := g.chain.Intercept(r)
		if !keep || err != nil {
			b.Fatal(keep, err)
		}
	}
}

// BenchmarkKinds measures each kind alone, to see where a chain's time goes.
func BenchmarkKinds(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
		in   field.Value
	}{
		{"filter_values", Config{Type: "filter", Field: "f", Values: []string{"a", "b", "access"}}, str("access")},
		{"filter_regex", Config{Type: "filter", Field: "f", Regex: `^acc`}, str("access")},
		{"mask_sha256", Config{Type: "mask", Field: "f", Salt: "pepper"}, str("alice@example.com")},
		{"mask_hmac", Config{Type: "mask", Field: "f", Method: "hmac-sha256", Key: "k"}, str("alice@example.com")},
		{"mask_redact", Config{Type: "mask", Field: "f", Method: "redact"}, str("alice@example.com")},
		{"add_static", Config{Type: "add_field", Field: "g", Value: 42}, missing},
		{"add_processing_time", Config{Type: "add_field", Field: "g", Source: "processing_time"}, missing},
		{"timestamp_rfc3339", Config{Type: "timestamp", Field: "f"}, str("2024-05-01T12:03:04.005Z")},
		{"extract", Config{Type: "extract", Field: "f", Regex: `^(?P<a>\w+)@(?P<b>[\w.]+)$`}, str("alice@example.com")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g := newRig(b, []string{"f"}, nil, bc.cfg)
			r := g.record(bc.in)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.chain.Intercept(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
