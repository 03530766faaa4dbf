package interceptor

import (
	"strings"
	"testing"
	"time"

	"github.com/kafka2hdfs/kafka2hdfs/field"
)

func TestTimestamp(t *testing.T) {
	kafka := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		cfg   Config
		in    field.Value
		want  time.Time
		error string // substring; "" for success
	}{
		{"rfc3339", Config{}, str("2024-05-01T12:03:04Z"), time.Date(2024, 5, 1, 12, 3, 4, 0, time.UTC), ""},
		{"rfc3339 offset", Config{Format: "rfc3339"}, str("2024-05-01T14:03:04.5+02:00"), time.Date(2024, 5, 1, 12, 3, 4, 5e8, time.UTC), ""},
		{"epoch_millis number", Config{Format: "epoch_millis"}, num("1714564984005"), time.UnixMilli(1714564984005), ""},
		{"epoch_seconds string", Config{Format: "epoch_seconds"}, str("1714564984"), time.Unix(1714564984, 0), ""},
		{"layout in UTC", Config{Format: "2006-01-02 15:04:05"}, str("2024-05-01 12:03:04"), time.Date(2024, 5, 1, 12, 3, 4, 0, time.UTC), ""},
		{"missing keeps", Config{}, missing, kafka, ""},
		{"null keeps", Config{IfMissing: "keep"}, null, kafka, ""},
		{"missing error", Config{IfMissing: "error"}, missing, kafka, `timestamp: field "ts" is missing and if_missing is error`},
		{"null error", Config{IfMissing: "error"}, null, kafka, `field "ts" is null`},
		{"bad rfc3339", Config{Format: "rfc3339"}, str("yesterday"), kafka, `timestamp: field "ts": string "yesterday" is not a time in format rfc3339`},
		{"bad auto", Config{}, str("yesterday"), kafka, `timestamp: field "ts": string "yesterday" is not a time in format auto`},
		// The default reads what a timestamp column reads: an RFC3339 string or epoch milliseconds.
		{"default: epoch millis number", Config{}, num("1714564984005"), time.UnixMilli(1714564984005), ""},
		{"default: rfc3339 string", Config{Format: "auto"}, str("2024-05-01T12:03:04Z"), time.Date(2024, 5, 1, 12, 3, 4, 0, time.UTC), ""},
		{"default: not a number string", Config{}, str("1714564984005"), kafka, `is not a time in format auto`},
		{"default: boolean", Config{}, boolean("true"), kafka, `is not a time in format auto`},
		{"number for rfc3339", Config{Format: "rfc3339"}, num("1714564984"), kafka, `number "1714564984" is not a time in format rfc3339`},
		{"bad epoch", Config{Format: "epoch_millis"}, str("12:00"), kafka, `string "12:00" is not a time in format epoch_millis: not an epoch number`},
		{"bad layout", Config{Format: "2006-01-02"}, str("01/05/2024"), kafka, `is not a time in format 2006-01-02`},
		// Go's zero time is a time like any other, not "no event time": out of range.
		{"year 1", Config{}, str("0001-01-01T00:00:00Z"), kafka, `timestamp: field "ts": 0001-01-01T00:00:00Z is outside the years 1970 to 9999`},
		{"before 1970", Config{}, num("-1"), kafka, `1969-12-31T23:59:59.999Z is outside the years 1970 to 9999`},
		{"year 10000", Config{}, str("10000-01-01T00:00:00Z"), kafka, `is not a time in format auto`},
		{"far future millis", Config{}, num("9300000000000000"), kafka, `is outside the years 1970 to 9999`},
		{"last millisecond", Config{}, str("9999-12-31T23:59:59.999Z"), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), ""},
		{"first instant", Config{}, num("0"), time.Unix(0, 0), ""},
		{"fraction micros", Config{Format: "epoch_micros"}, num("1.5"), kafka, `epoch_micros must be an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Type, tt.cfg.Field = "timestamp", "ts"
			g := newRig(t, []string{"ts"}, nil, tt.cfg)
			r := g.record(tt.in)
			r.Timestamp, r.EventTime = kafka, kafka
			keep, err := g.chain.Intercept(r)
			switch {
			case tt.error == "" && (err != nil || !keep || !r.EventTime.Equal(tt.want)):
				t.Errorf("Intercept(%v) = %v, %v, event time %v, want true, nil, %v", fmtValue(tt.in), keep, err, r.EventTime, tt.want)
			case tt.error != "" && (err == nil || !strings.Contains(err.Error(), tt.error)):
				t.Errorf("Intercept(%v) = %v, %v, want error containing %q", fmtValue(tt.in), keep, err, tt.error)
			case tt.error != "" && !r.EventTime.Equal(kafka):
				t.Errorf("Intercept(%v) changed the event time to %v on error", fmtValue(tt.in), r.EventTime)
			}
		})
	}
}

func TestTimestampErrorTruncates(t *testing.T) {
	g := newRig(t, []string{"ts"}, nil, Config{Type: "timestamp", Field: "ts"})
	huge := strings.Repeat("é", 10_000)
	_, err := g.chain.Intercept(g.record(str(huge)))
	if err == nil {
		t.Fatal("Intercept(huge string) = nil error, want one")
	}
	if msg := err.Error(); len(msg) > 400 || !strings.Contains(msg, "(20000 bytes)") || !strings.Contains(msg, `field "ts"`) {
		t.Errorf("Intercept(huge string) error = %q (%d bytes), want the field and a truncated value", msg, len(msg))
	}
}

func TestTimestampFromKeyAndHeader(t *testing.T) {
	g := newRig(t, []string{"@key", "@header.event_time"}, nil,
		Config{Type: "timestamp", Field: "@key", Format: "epoch_seconds"},
		Config{Type: "timestamp", Field: "@header.event_time", Format: "epoch_millis"})
	r := g.record(str("100"), missing)
	if _, err := g.chain.Intercept(r); err != nil || !r.EventTime.Equal(time.Unix(100, 0)) {
		t.Errorf("Intercept(@key 100, no header) = %v, event time %v, want %v", err, r.EventTime, time.Unix(100, 0))
	}
	r = g.record(str("100"), str("5000"))
	if _, err := g.chain.Intercept(r); err != nil || !r.EventTime.Equal(time.Unix(5, 0)) {
		t.Errorf("Intercept(@key 100, header 5000) = %v, event time %v, want %v", err, r.EventTime, time.Unix(5, 0))
	}
}
