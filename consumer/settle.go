package consumer

import (
	"context"
	"fmt"
	"time"
)

// settleClosed hands the rows of the step's buckets that have closed (the watermark passed their end
// plus the allowed lateness) to their files, so that a step spanning many hours holds only the open
// buckets' row groups in memory (writer.Partition.Settle). It looks at the buckets only when the
// watermark passes the earliest end not yet settled, not per record.
func (pl *pipeline) settleClosed(ctx context.Context) error {
	late := pl.g.opts.Rotation.AllowedLateness
	if pl.nextClose.IsZero() || !pl.watermark.After(pl.nextClose.Add(late)) {
		return nil
	}
	if pl.settled == nil {
		pl.settled = map[string]bool{}
	}
	pl.nextClose = time.Time{}
	for dir, end := range pl.ends {
		if pl.settled[dir] {
			continue
		}
		if !pl.watermark.After(end.Add(late)) {
			pl.noteOpen(end)
			continue
		}
		pl.settled[dir] = true
		if err := pl.w.Settle(ctx, dir); err != nil {
			return fmt.Errorf("settle %s of %s: %w", dir, pl.tp, err)
		}
	}
	return nil
}

// noteOpen keeps nextClose the earliest end of a bucket of the step not yet settled.
func (pl *pipeline) noteOpen(end time.Time) {
	if pl.nextClose.IsZero() || end.Before(pl.nextClose) {
		pl.nextClose = end
	}
}
