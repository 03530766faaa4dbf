package consumer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafka2hdfs/kafka2hdfs/writer"
)

// metrics are what operators watch. They are registered on the Registerer in Options (nil: not
// exported), never on the global registry, so several members can live in one test process.
type metrics struct {
	reg          prometheus.Registerer
	consumed     *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	files        *prometheus.CounterVec
	steps        *prometheus.CounterVec
	stepSeconds  prometheus.Histogram
	commitErrors *prometheus.CounterVec
	recoveries   *prometheus.CounterVec
	lost         *prometheus.CounterVec
	stalls       *prometheus.CounterVec
	smallFiles   *prometheus.CounterVec
	nullColumns  *prometheus.CounterVec
	incompatible *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		reg: reg,
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_records_consumed_total",
			Help: "Records read from Kafka."}, []string{"topic"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_dead_letters_total",
			Help: "Records sent to the dead-letter files, by the stage that rejected them."}, []string{"topic", "stage"}),
		files: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_files_published_total",
			Help: "Parquet files published (data and dead letters)."}, []string{"topic"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_steps_committed_total",
			Help: "Flushes committed, by what triggered them."}, []string{"topic", "reason"}),
		stepSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kafka2hdfs_step_seconds",
			Help: "Time to stage, prepare, publish and commit one flush.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		commitErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_commit_errors_total",
			Help: "Steps that could not be committed: fenced (another member owns the partition) or error."}, []string{"kind"}),
		recoveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_recoveries_total",
			Help: "Prepared steps of a previous owner finished on assignment."}, []string{"result"}),
		lost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_offsets_lost_to_retention_total",
			Help: "Offsets deleted by Kafka retention before they were loaded."}, []string{"topic"}),
		stalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_claim_stalls_total",
			Help: "Sessions ended because a partition received no records although it had more to read."}, []string{"topic"}),
		smallFiles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_small_files_total",
			Help: "Data files published smaller than rotation.min_file_bytes: reason closed if the file's own bucket had closed (it could not grow), else the cut that ended it while its bucket was open (as kafka2hdfs_steps_committed_total's reason)."}, []string{"topic", "reason"}),
		nullColumns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_null_column_flushes_total",
			Help: "Flushes in which a declared column was null in every row: most often a field path that matches nothing."}, []string{"topic", "column"}),
		incompatible: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kafka2hdfs_schema_incompatible_total",
			Help: "Records whose writer schema (schema registry formats) is incompatible with the topic's earlier ones, or unknown to the registry."}, []string{"topic"}),
	}
	if reg != nil {
		reg.MustRegister(m.consumed, m.deadLetters, m.files, m.steps, m.stepSeconds, m.commitErrors, m.recoveries, m.lost, m.stalls, m.smallFiles, m.nullColumns, m.incompatible)
	}
	return m
}

func (m *metrics) budget(b *writer.Budget) {
	if m.reg == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka2hdfs_buffered_bytes",
			Help: "Row data buffered in open files, across partitions."}, func() float64 { return float64(b.Bytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka2hdfs_open_files",
			Help: "Staging files open, across partitions."}, func() float64 { return float64(b.Files()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka2hdfs_spill_bytes",
			Help: "Buffered rows spilled to local disk by the memory budget, not yet written to their files."}, func() float64 { return float64(b.Spill()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kafka2hdfs_spilled_bytes_total",
			Help: "Bytes ever spilled to local disk by the memory budget."}, func() float64 { n, _ := b.Spilled(); return float64(n) }),
	)
}
