package writer

import "context"

// Settle writes out the rows a bucket that has closed (the partition's event time has moved past
// it) holds in memory, as a row group of its staging file, instead of keeping them until the step
// is staged. A bucket closing no longer cuts the step (its file rides with the step until a limit
// does), so without this every closed hour of a long step would keep its rows buffered. A bucket
// without a file gets it now if the budget has room for the writer (it gets exactly this one file
// at the stage anyway) and its rows cost more than the writer; otherwise it keeps its rows, which
// the budget spills if it must. Late rows
// after a Settle go to the same file as a further row group. A dir the step has not written is no
// error.
func (p *Partition) Settle(ctx context.Context, dir string) error {
	bk := p.buckets[dir]
	if bk == nil || bk.sealed {
		return nil
	}
	if bk.out == nil {
		// Pages for what the bucket holds: it takes few rows after this. Only worth it when the
		// rows cost more than the writer that would take them.
		expect := bk.buf.est + bk.spilledEst()
		cost := openCost(bk.s.Parquet(), p.pageFor(bk, expect))
		if bk.buf.est <= cost || !p.cfg.Budget.fileRoom(cost) {
			return nil
		}
		if err := p.giveFile(ctx, bk, expect, p.spill); err != nil {
			return err
		}
	}
	if err := p.writePending(bk); err != nil {
		return err
	}
	if bk.out.rgBytes == 0 {
		return nil
	}
	return p.endRowGroup(bk)
}
