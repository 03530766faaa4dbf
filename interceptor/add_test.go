package interceptor

import (
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func TestAddFieldStatic(t *testing.T) {
	tests := []struct {
		value any
		want  field.Value
	}{
		{"prod", str("prod")},
		{"", str("")},
		{"42", str("42")},
		{42, num("42")},
		{-7, num("-7")},
		{int64(1) << 62, num("4611686018427387904")},
		{uint64(18446744073709551615), num("18446744073709551615")},
		{1.5, num("1.5")},
		{42.0, num("42")},
		{-0.25, num("-0.25")},
		{1e21, num("1e+21")},
		{1e-7, num("1e-7")},
		{float32(0.1), num("0.1")},
		{true, boolean("true")},
		{false, boolean("false")},
		{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), str("2024-05-01T12:00:00Z")},
	}
	for _, tt := range tests {
		g := newRig(t, nil, []string{"env"}, Config{Type: "add_field", Field: "env", Value: tt.value})
		r := g.record()
		keep, err := g.chain.Intercept(r)
		if got := g.get(r, 0); !keep || err != nil || !sameValue(got, tt.want) {
			t.Errorf("Intercept(value %#v) = %v, %v, %v, want %v", tt.value, fmtValue(got), keep, err, fmtValue(tt.want))
		}
	}
}

func TestAddFieldHostname(t *testing.T) {
	g := newRig(t, nil, []string{"host"}, Config{Type: "add_field", Field: "host", Source: "hostname"})
	r := g.record()
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	if got, want := g.get(r, 0), str("loader-1"); !sameValue(got, want) {
		t.Errorf("Intercept() = %v, want %v", fmtValue(got), fmtValue(want))
	}
}

func TestAddFieldProcessingTime(t *testing.T) {
	now := time.Date(2024, 5, 1, 14, 3, 4, 5_006_007, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		format string
		want   field.Value
	}{
		{"", str("2024-05-01T12:03:04.005006007Z")},
		{"rfc3339", str("2024-05-01T12:03:04.005006007Z")},
		{"epoch_seconds", num("1714564984")},
		{"epoch_millis", num("1714564984005")},
		{"epoch_micros", num("1714564984005006")},
		{"epoch_nanos", num("1714564984005006007")},
		{"unix_ms", num("1714564984005")},
		{"2006-01-02 15:04", str("2024-05-01 12:03")},
	}
	for _, tt := range tests {
		g := newRig(t, nil, []string{"loaded_at"}, Config{Type: "add_field", Field: "loaded_at", Source: "processing_time", Format: tt.format})
		g.chain[0].(*addField).now = func() time.Time { return now }
		r := g.record()
		if _, err := g.chain.Intercept(r); err != nil {
			t.Fatal(err)
		}
		if got := g.get(r, 0); !sameValue(got, tt.want) {
			t.Errorf("Intercept(format %q) = %v, want %v", tt.format, fmtValue(got), fmtValue(tt.want))
		}
	}
}

func TestAddFieldReplaces(t *testing.T) {
	g := newRig(t, []string{"env", "env.region"}, []string{"env", "env.region"}, Config{Type: "add_field", Field: "env", Value: "prod"})
	r := g.record(str("dev"), str("eu"))
	if _, err := g.chain.Intercept(r); err != nil {
		t.Fatal(err)
	}
	if got := g.get(r, 0); !sameValue(got, str("prod")) {
		t.Errorf("env = %v, want string \"prod\"", fmtValue(got))
	}
	if got := g.get(r, 1); !sameValue(got, missing) {
		t.Errorf("env.region under a replaced env = %v, want missing", fmtValue(got))
	}
}
