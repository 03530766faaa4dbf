package consumer

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// A column whose field never matches (field: userid for user_id) is null in every row: warn once
// per column per run, and count every flush where it happened.
func TestAllNullColumnWarnsOnce(t *testing.T) {
	spec := benchNineSpec + "  - {name: userid, type: string, field: userid}\n"
	pl, done := benchPipeline(t, spec)
	defer done()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	pl.g.log, pl.log = log, log
	ctx := context.Background()
	msgs := benchMessages(60)
	for i, m := range msgs {
		m.Offset = int64(i)
		if err := pl.handle(ctx, m); err != nil {
			t.Fatal(err)
		}
		if i == 29 || i == 59 {
			if err := pl.flush(ctx, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := logs.String()
	if n := strings.Count(out, "column stayed null"); n != 1 || !strings.Contains(out, "column=userid") || !strings.Contains(out, "field=userid") {
		t.Errorf("want one warning naming column and field userid, got %d:\n%s", n, out)
	}
	if strings.Contains(out, "column=country") || strings.Contains(out, "column=user_id") {
		t.Errorf("warned about a column with values:\n%s", out)
	}
	var m dto.Metric
	if err := pl.g.metrics.nullColumns.WithLabelValues("clicks", "userid").Write(&m); err != nil {
		t.Fatal(err)
	}
	if got := m.GetCounter().GetValue(); got != 2 {
		t.Errorf("kafka2hdfs_null_column_flushes_total{column=userid} = %v, want 2 (one per flush)", got)
	}
}
