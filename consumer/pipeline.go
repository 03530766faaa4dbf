package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/parquet-go/parquet-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/offsets"
	"github.com/kafka2hdfs/kafka2hdfs/record"
	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// Rotation says when a partition flushes: when any limit is reached.
type Rotation struct {
	// MaxRecords consumed since the last flush. Default: 1,000,000.
	MaxRecords int64
	// MaxBytes of input (key + value + headers) since the last flush. Default: 256 MiB.
	MaxBytes int64
	// MaxAge of the oldest unflushed record, measured by a timer so quiet partitions still land.
	// Default: 10m.
	MaxAge time.Duration
	// AllowedLateness after a bucket's end before the bucket counts as closed (for the small-file
	// causes and completeness). A bucket closing does not flush the partition: that would cut the
	// file of the next bucket, open and young at that moment, into two (see "One file per
	// partition and bucket" in docs/exactly-once.md); the closed bucket's file is published
	// with the step's next flush. Default: 10m.
	AllowedLateness time.Duration
	// MinFileBytes is the size below which a published data file counts as small, in the
	// kafka2hdfs_small_files_total metric and the run summary, by what cut it. The memory budget
	// spills rows to local disk (writer.Budget.SpillDir) rather than cut one, and flushes early
	// only when it cannot spill. Default: 1 MiB.
	MinFileBytes int64
}

// ErrTooManyBadRecords stops the job when dead letters exceed the configured maximum.
var ErrTooManyBadRecords = errors.New("too many bad records")

// errRecordsSpent: the --max-records budget is used up; the run is stopping and the record was not
// consumed.
var errRecordsSpent = errors.New("max records reached")

// pipeline is one topic-partition's path from Kafka messages to committed files. Its claim
// goroutine owns it and is the only one that reads or changes its fields, with one exception: the
// step committer flushAsync starts runs pl.commit for a sealed step on a goroutine of its own,
// while the claim goroutine goes on filling the next step. The sealed step is handed over whole
// and the claim goroutine touches nothing of it until pl.wait has joined the committer (at most
// one step is in flight); what the committer reaches through pl (the group, the topic, the writer
// and the protocol) is shared and safe for concurrent use.
type pipeline struct {
	// now is the time the claim loop took for the burst of messages being handled: reading the
	// clock once per burst instead of twice per record (the partitioner's processing time, the
	// rotation age) is measurable at hundreds of thousands of records a second.
	now time.Time

	g     *Group
	tp    offsets.TP
	topic *Topic
	w     *writer.Partition
	c     offsets.Committer
	log   *slog.Logger

	st        *TopicStats
	consumedC prometheus.Counter
	// unpublished counts what the partition handled since it last added to st and consumedC
	// (publish): both are shared by the topic's partitions, and an atomic add on a shared cache
	// line per record cost 2.6% of the CPU at 200-byte records.
	unpublished counts

	rec  record.Record
	bufs record.Buffers
	row  parquet.Row
	// deadRec and deadBuf hold the masked or dropped form of a dead letter (deadletter.go).
	deadRec record.Record
	deadBuf []byte

	// inflight is the step being committed on its own goroutine, or nil.
	inflight *inflight

	committed int64 // the partition's committed offset
	runStart  int64 // first offset of the next step's name
	next      int64 // next offset expected from Kafka
	target    int64 // batch: stop at this offset; -1 in run mode

	// The current (unflushed) step.
	records    int64
	bytes      int64
	firstAt    time.Time // when the step's first record arrived, for MaxAge
	watermark  time.Time // newest event time seen
	lastBucket string    // the last bucket reported to the stats
	lastDir    string    // its data directory
	// ends holds the bucket end of each data directory of the step (dead letters are not data),
	// so that a small file can be told apart as one whose bucket had closed; endDir is the
	// directory recorded last.
	ends   map[string]time.Time
	endDir string
	// settled marks the buckets of ends that closed and were settled (settle.go); nextClose is the
	// earliest end of one that was not.
	settled   map[string]bool
	nextClose time.Time

	// nonNull marks the declared columns that had a value in a row of the step; nullLeft counts
	// those that had none yet, so that once every column has been seen the rows are not looked
	// at. dataRows counts the step's rows. See reportNullColumns.
	nonNull  []bool
	nullLeft int
	dataRows int64

	late *lateState // completeness: the late-record policy and the open-bucket set; nil when off (see completeness.go)

	reg regState // the schema registry formats' per-record plan (registrytopic.go)
}

func (pl *pipeline) handle(ctx context.Context, m *sarama.ConsumerMessage) error {
	if m.Offset < pl.next {
		return nil // a re-delivery of an offset already consumed in this session
	}
	if !pl.g.takeRecord() {
		return errRecordsSpent
	}
	r := &pl.rec
	r.Topic, r.Partition, r.Offset = m.Topic, m.Partition, m.Offset
	r.Timestamp, r.EventTime = m.Timestamp, m.Timestamp
	r.Key, r.Value = m.Key, m.Value
	r.Headers = r.Headers[:0]
	for _, h := range m.Headers {
		if h != nil {
			r.Headers = append(r.Headers, record.Header{Key: string(h.Key), Value: h.Value})
		}
	}
	if pl.topic.reg != nil {
		if err := pl.registryCut(ctx, r); err != nil {
			return err
		}
	}
	if pl.records == 0 {
		pl.firstAt = pl.clock()
	}
	pl.records++
	size := r.Size()
	pl.bytes += int64(size)
	pl.next = m.Offset + 1
	pl.unpublished.consumed++
	pl.unpublished.bytes += int64(size)

	return pl.write(ctx, r)
}

// publish adds what the partition counted since it last did to the topic's stats and metrics: after
// each batch of messages, before a dead letter's share is judged, and when the claim ends.
func (pl *pipeline) publish() {
	u := &pl.unpublished
	if u.consumed == 0 && u.written == 0 {
		return
	}
	pl.st.consumed.Add(u.consumed)
	pl.st.bytes.Add(u.bytes)
	pl.st.written.Add(u.written)
	pl.consumedC.Add(float64(u.consumed))
	*u = counts{}
}

// counts is what a pipeline handled since it last published (see publish).
type counts struct{ consumed, bytes, written int64 }

// clock is the burst's time, or the time now when the pipeline is driven record by record.
func (pl *pipeline) clock() time.Time {
	if pl.now.IsZero() {
		return time.Now()
	}
	return pl.now
}

// forget drops what still points into the messages just handled (the writer has copied what it
// keeps): sarama's messages are slices of their fetch response, so one stale reference per
// partition would keep a whole response of up to Fetch.MaxBytes alive while the partition idles.
// The claim loop calls it after each batch of messages, not after each record: the next record
// overwrites all of it, and clearing it cost 1.5% of the CPU at 200-byte records.
func (pl *pipeline) forget() {
	r := &pl.rec
	r.Key, r.Value = nil, nil
	clear(r.Headers)
	r.Headers = r.Headers[:0]
	clear(r.Fields)
	clear(pl.row)
	pl.deadRec = record.Record{}
	pl.bufs.Forget()
}

func (pl *pipeline) write(ctx context.Context, r *record.Record) error {
	t := pl.topic
	if t.reg != nil {
		var err error
		if t, err = pl.registryPlan(ctx, r); t == nil {
			return err
		}
	}
	if err := t.filler.Fill(r, &pl.bufs); err != nil {
		return pl.deadLetter(ctx, r, "parse", err)
	}
	keep, err := t.chain.Intercept(r)
	if err != nil {
		return pl.deadLetter(ctx, r, "interceptor", err)
	}
	if !keep {
		pl.st.filtered.Add(1)
		return nil
	}
	b, err := t.part.Bucket(r, pl.clock())
	if err != nil {
		return pl.deadLetter(ctx, r, "partition", err)
	}
	if b.Path != pl.lastBucket {
		// The stats map is shared by all partitions; consecutive records mostly share a bucket,
		// and its directory is joined once, not per record.
		pl.lastBucket = b.Path
		pl.lastDir = writer.DataDir(pl.tp.Topic, b.Path)
		pl.g.stats.bucket(pl.tp.Topic, b.Path)
	}
	dir := pl.lastDir
	if pl.g.completer != nil {
		if dir = pl.lateDir(r, b, dir); dir == "" {
			return pl.lateDeadLetter(ctx, r)
		}
	}
	if t.raw() {
		pl.row, err = t.schema.AppendRaw(r, "", "", pl.row)
	} else {
		pl.row, err = t.schema.Row(r, pl.row)
	}
	if err != nil {
		return pl.deadLetter(ctx, r, "convert", err)
	}
	if err := pl.w.Write(ctx, dir, t.schema, pl.row); err != nil {
		return err
	}
	pl.unpublished.written++
	if !t.raw() && pl.topic.reg == nil {
		pl.seeColumns()
	}
	if dir != pl.endDir {
		pl.endDir = dir
		if _, ok := pl.ends[dir]; !ok {
			if pl.ends == nil {
				pl.ends = map[string]time.Time{}
			}
			pl.ends[dir] = b.End
			pl.noteOpen(b.End)
		}
	}
	if ev := r.EventTime; ev.After(pl.watermark) {
		pl.watermark = ev
		return pl.settleClosed(ctx)
	}
	return nil
}

// deadLetter writes r to the topic's dead-letter files with the reason. Dead letters go through the
// same step as good rows, so they are committed exactly once with them.
func (pl *pipeline) deadLetter(ctx context.Context, r *record.Record, stage string, cause error) error {
	pl.publish() // the share of dead letters is judged against what was consumed
	n := pl.g.stats.badRecords.Add(1)
	pl.st.bad.Add(1)
	pl.st.rejected.Add(1)
	pl.g.stats.badRecord(badReason(stage, cause))
	pl.g.metrics.deadLetters.WithLabelValues(pl.tp.Topic, stage).Inc()
	if max := pl.g.opts.MaxBadRecords; max >= 0 && n > max {
		return fmt.Errorf("%w: %d dead letters, over --max-bad-records=%d; the last was %s offset %d: %v",
			ErrTooManyBadRecords, n, max, pl.tp, r.Offset, cause)
	}
	if err := badShareExceeded(pl.tp.Topic, pl.st, pl.g.opts.MaxBadShare, minBadSample); err != nil {
		return fmt.Errorf("%w; the last was %s offset %d: %v", err, pl.tp, r.Offset, cause)
	}
	var err error
	d := pl.topic.deadRecord(r, stage, &pl.deadRec, &pl.deadBuf)
	pl.row, err = pl.topic.dead.AppendRaw(d, cause.Error(), stage, pl.row)
	if err != nil {
		return fmt.Errorf("dead letter %s offset %d: %w", pl.tp, r.Offset, err)
	}
	dir := writer.ErrorDir(pl.tp.Topic, "dt="+r.Timestamp.UTC().Format(time.DateOnly))
	return pl.w.Write(ctx, dir, pl.topic.dead.Schema, pl.row)
}

// due reports why the partition should flush now, or "".
func (pl *pipeline) due(now time.Time) string {
	rot := pl.g.opts.Rotation
	switch {
	case pl.records == 0:
		return ""
	case pl.target >= 0 && pl.next >= pl.target:
		return "caught up"
	case pl.records >= rot.MaxRecords:
		return "records"
	case pl.bytes >= rot.MaxBytes:
		return "bytes"
	case now.Sub(pl.firstAt) >= rot.MaxAge:
		return "age"
	}
	// Not a bucket closing: the step holds every bucket the partition wrote to since its last
	// flush, and its files are named by the step's offset range, so a flush cuts all of them. When
	// a bucket closes in an in-order stream, the next bucket has been written to for the allowed
	// lateness already; flushing then would end its file after minutes and start a second one for
	// the same hour. The closed bucket's file rides with the step until a limit above cuts it.
	return ""
}

// flush seals the step and commits it before returning, after the step in flight (if any): for the
// drain, where nothing follows. ctx must outlive the session context, because a revoked partition
// flushes after the session is cancelled.
func (pl *pipeline) flush(ctx context.Context, reason string) error {
	if err := pl.wait(); err != nil {
		return err
	}
	if pl.records == 0 {
		return nil
	}
	return pl.commit(ctx, pl.seal(reason))
}

// flushAsync seals the step and commits it on a goroutine of its own, so that consuming, converting
// and encoding the next step's records overlap with closing, syncing and committing this one's
// files. At most one step is in flight: a flush first waits for the previous one, so the steps of a
// partition are staged and committed strictly in order, exactly as if flushed in line, and an error
// stops the partition before anything later is sealed.
func (pl *pipeline) flushAsync(ctx context.Context, reason string) error {
	if err := pl.wait(); err != nil {
		return err
	}
	if pl.records == 0 {
		return nil
	}
	s := pl.seal(reason)
	f := &inflight{done: make(chan struct{})}
	pl.inflight = f
	go func() {
		defer close(f.done)
		f.err = pl.commit(ctx, s)
	}()
	return nil
}

// relieve answers memory pressure without growing and, where it can, without cutting files: first
// it pauses consuming until the step in flight is committed, which releases that step's buffers
// and files; if the process is still over its budget, it spills the partition's buffered rows to
// local disk and ends its open row groups. Only if that frees nothing (no spill room, nothing
// buffered) does it flush in line, cutting every file of the partition early.
func (pl *pipeline) relieve(ctx context.Context) error {
	if err := pl.wait(); err != nil {
		return err
	}
	if !pl.g.opts.Budget.Over() {
		return nil
	}
	freed, err := pl.w.Spill()
	if err != nil {
		return fmt.Errorf("relieve memory of %s: %w", pl.tp, err)
	}
	if freed > 0 {
		return nil
	}
	return pl.flush(ctx, "memory")
}

// underBudget holds the partition once the process is over its memory budget: if this partition
// is the one whose flush releases the most, it relieves the pressure itself; otherwise it waits
// (consuming nothing) until another partition's flush or commit releases memory, or until it is
// asked to flush after all.
func (pl *pipeline) underBudget(ctx context.Context, stop <-chan struct{}) error {
	b := pl.g.opts.Budget
	if b.Relieve(pl.w) {
		return pl.relieve(ctx)
	}
	pl.g.gate.enter()
	flush := b.Wait(pl.w, stop)
	pl.g.gate.leave()
	if flush {
		return pl.relieve(ctx)
	}
	return nil
}

// inflight is a step being committed by its own goroutine. The pipeline reads err, committed and
// runStart only after done is closed.
type inflight struct {
	done chan struct{}
	err  error
}

// wait waits for the step in flight, if any, and returns its error.
func (pl *pipeline) wait() error {
	f := pl.inflight
	if f == nil {
		return nil
	}
	<-f.done
	pl.inflight = nil
	return f.err
}

// doneC is closed when the step in flight is done; nil (never ready) when there is none.
func (pl *pipeline) doneC() <-chan struct{} {
	if pl.inflight == nil {
		return nil
	}
	return pl.inflight.done
}

// sealed is a step whose records are all written: its files, its last offset, why it flushed.
type sealed struct {
	batch  *writer.Batch
	end    int64
	reason string
	// wm is the completeness watermark of everything up to end, taken when sealed: the commit
	// goroutine must not read the consuming side's, which is already ahead of this step.
	wm time.Time
	// ends and closedBefore tell which buckets of the step had closed when it was sealed: those
	// whose end is before closedBefore (the watermark less the allowed lateness).
	ends         map[string]time.Time
	closedBefore time.Time
}

// seeColumns notes which declared columns have a value in the row just written.
func (pl *pipeline) seeColumns() {
	if pl.nonNull == nil {
		pl.nonNull = make([]bool, len(pl.topic.schema.Columns()))
		pl.nullLeft = len(pl.nonNull)
	}
	pl.dataRows++
	if pl.nullLeft == 0 {
		return
	}
	for i, seen := range pl.nonNull {
		if !seen && pl.topic.schema.HasValue(pl.row, i) {
			pl.nonNull[i] = true
			pl.nullLeft--
		}
	}
}

// reportNullColumns ends the step's column watch: a declared column that was null in every row of
// the step is most often a field path that matches nothing (field: userid for user_id), which
// would otherwise give an all-null column without a word. Counted per flush, warned once per
// column per run.
func (pl *pipeline) reportNullColumns() {
	if pl.dataRows > 0 && pl.nullLeft > 0 {
		for i, c := range pl.topic.schema.Columns() {
			if !pl.nonNull[i] {
				pl.g.nullColumn(pl.log, pl.tp.Topic, c.Name, c.Field, pl.dataRows)
			}
		}
	}
	clear(pl.nonNull)
	pl.nullLeft, pl.dataRows = len(pl.nonNull), 0
}

// seal ends the current step: its files go to a Batch and the partition starts the next step with
// none open.
func (pl *pipeline) seal(reason string) *sealed {
	pl.reportNullColumns()
	s := &sealed{batch: pl.w.Seal(), end: pl.next - 1, reason: reason,
		ends: pl.ends, closedBefore: pl.watermark.Add(-pl.g.opts.Rotation.AllowedLateness)}
	pl.ends, pl.endDir = nil, ""
	clear(pl.settled)
	pl.nextClose = time.Time{}
	if pl.g.completer != nil {
		s.wm = pl.lateState().wm // created here, on the consuming side, before any commit reads it
	}
	pl.records, pl.bytes = 0, 0
	return s
}

// commit stages a sealed step's files and commits them with the step's offsets. It alone moves
// committed and runStart, and never runs concurrently with another commit of the partition.
func (pl *pipeline) commit(ctx context.Context, s *sealed) error {
	reason := s.reason
	start := time.Now()
	files, err := s.batch.Stage(ctx)
	if err != nil {
		return fmt.Errorf("stage %s: %w", pl.tp, err)
	}
	step := offsets.Step{TP: pl.tp, Start: pl.runStart, End: s.end, Files: files}
	if err := pl.g.proto.Commit(ctx, pl.c, pl.committed, step); err != nil {
		if errors.Is(err, offsets.ErrFenced) || errors.Is(err, offsets.ErrRebalancing) {
			// Not ours any more: the next owner replays the step, or rolls it forward if the
			// prepare got through. Leave the staging files to its recovery.
			pl.log.Warn("step abandoned", "first_offset", step.Start, "last_offset", step.End, "err", err)
			pl.g.metrics.commitErrors.WithLabelValues("fenced").Inc()
			return err
		}
		pl.g.metrics.commitErrors.WithLabelValues("error").Inc()
		return err
	}
	pl.committed = step.End + 1
	pl.g.partitionCommitted(pl.tp)
	if pl.target >= 0 && pl.committed >= pl.target {
		pl.g.targetCommitted()
	}
	if pl.g.completer != nil {
		pl.saveWatermark(ctx, s.wm)
	}
	if len(files) > 0 {
		pl.runStart = step.End + 1
	}
	rows, published := int64(0), int64(0)
	for _, f := range files {
		rows += f.Rows
		if !strings.HasPrefix(f.Dir, offsets.ErrorsDir+"/") {
			published += f.Rows
		}
		// Only data directories are in ends: dead-letter files are small by nature and not what
		// min_file_bytes is about.
		if end, data := s.ends[f.Dir]; data && f.Size < pl.g.opts.Rotation.MinFileBytes {
			why := reason
			if end.Before(s.closedBefore) {
				why = SmallClosed
			}
			pl.g.metrics.smallFiles.WithLabelValues(pl.tp.Topic, why).Inc()
			pl.g.stats.smallFile(why)
		}
	}
	pl.st.files.Add(int64(len(files)))
	pl.st.published.Add(published)
	pl.g.metrics.files.WithLabelValues(pl.tp.Topic).Add(float64(len(files)))
	pl.g.metrics.steps.WithLabelValues(pl.tp.Topic, reason).Inc()
	pl.g.stats.flushed(reason)
	pl.g.metrics.stepSeconds.Observe(time.Since(start).Seconds())
	pl.log.Debug("step committed", "reason", reason, "first_offset", step.Start, "last_offset", step.End,
		"files", len(files), "rows", rows, "took", time.Since(start))
	return nil
}

// SmallClosed labels a small file whose own bucket had closed when it was written: it could not
// have grown. Any other label of a small file is the cut that ended it while its bucket was open.
const SmallClosed = "closed"
