// Package audit checks an output root the way an operator would before trusting it: that the files
// of every topic-partition (TP) tile its offsets, that nothing lies where it should not, and, with
// Kafka, that the files agree with the consumer group's committed offsets and with each partition's
// log. It only reads: it never renames, removes or commits anything. docs/audit.md has a sample run.
//
// It rests on the naming rule of docs/exactly-once.md: every file of one flush (a step) of a TP is
// named <topic>+<partition>+<start>+<end>.parquet by the step's offset range, one file per bucket
// directory (dead letters under _errors/<topic>/...). So a TP's distinct ranges (a range that names
// several files counts once) must be contiguous and must not overlap, and completeness can be proved
// from names alone.
//
// # Checks on files (always)
//
//   - gap: two consecutive distinct ranges are not contiguous (next.start > prev.end+1). The detail
//     names the missing offsets and, with Kafka, how many of them are below the log start (deleted
//     by retention: they cannot be reloaded).
//   - overlap: two distinct ranges share offsets (equal ranges are one step, never an overlap);
//     with Kafka, also files that end inside a pending prepared step.
//   - bad-name: a file under a topic directory whose name is not a step file name. Names starting
//     with "." are skipped everywhere, as every Hadoop tool does (.crc files, markers), and so are
//     names starting with "_" that are not step file names (_SUCCESS).
//   - misplaced: a step file that is not under its own topic's directory: <root>/<topic>/... for
//     data, <root>/_errors/<topic>/... for dead letters (a file directly in the root or in _errors
//     too). It is not counted in any TP's ranges, since a reader of the topic does not see it.
//   - unreadable: a file smaller than the 12 bytes of an empty Parquet file.
//
// A plain file directly in the root or _errors whose name is not a step file name is a "stray-file"
// warning. Every file under _staging is listed in Report.Staging (root-relative) with a "staging"
// warning per TP staging directory: right after a crash, staging files are normal until the TP's
// next assignment runs recovery, which publishes those of a prepared step and removes the rest.
//
// # Deep checks (Options.Deep)
//
// Every final file (data and dead letters) is read whole with the project's independent reader
// (internal/verify, apache/arrow-go), one file at a time; decoded rows are held in memory while a
// file is checked, about ten times its compressed size.
//
//   - unreadable: the file does not read back whole (truncated, corrupt, missing a required
//     kafka_topic, kafka_partition or kafka_offset column), or was listed and then vanished.
//   - offset-out-of-range: a row's kafka_offset lies outside the range in the file's name.
//   - row-mismatch: a row's kafka_topic or kafka_partition differs from the file name's.
//   - duplicate-offset: an offset appears more than once among the files of one step.
//   - step-files: the number of files (or rows) of a step differs from what every file's footer
//     records (kafka2hdfs.step.files / kafka2hdfs.step.rows): names alone cannot see a deleted
//     file of a multi-bucket step, because the step's other files still cover its range.
//
// Partition.Rows and DeadLetterRows count the rows read back.
//
// # Checks against Kafka (Options.Client; commits need Options.Group)
//
// The group's committed offsets and metadata are read before and after the file walk; the log
// start and end of every partition after it. Below, "covered end" is the last covered offset + 1,
// and the resume offset is where the loader continues: the committed offset, the end+1 of a pending
// (prepared) step, or, with nothing committed, the covered end.
//
//   - committed == covered end with metadata "": clean.
//   - "k2h1 r=<n>" (a filtered-only tail: the next file's name starts at n): clean when n == covered
//     end and n <= committed; files reaching past n are beyond-commit (the next step's name would
//     overlap them).
//   - pending-step: "k2h1 p=<step>" or "k2h1 m=<manifest>" names a prepared step. It is a warning
//     while each of its files is either published (final file of the staged size) or still staged,
//     since recovery finishes it on the next assignment; it is a problem when a file is in neither
//     place, a final file has another size, the manifest is missing, or the committed offset is
//     outside the step. Files of the pending step may lie past the committed offset.
//   - behind-commit: committed offsets that are in no file and not accounted for by a filtered
//     tail, while Kafka still holds them (they can be reloaded by resetting the group's offset).
//   - lost-to-retention: offsets that are in no file and are below the log start: committed but not
//     covered, or not yet loaded while the group's resume offset is below the log start (the next
//     assignment will skip them). Retention deleted them; they cannot be reloaded.
//   - beyond-commit: files cover offsets past the resume offset: published but not committed (the
//     loader will load them again, a duplicate in waiting).
//   - past-log-end: the resume offset or the files reach past the log end (a topic deleted and
//     recreated under the group).
//   - bad-metadata: commit metadata that kafka2hdfs did not write or cannot use.
//   - warnings: not-from-log-start (the first covered offset, or with no files the committed one,
//     is above the log start: loaded from a later start position, or files were removed; offsets
//     below the log start are normal, retention removed records after they were loaded), no-commit
//     (files but no committed offset: the loader resumes after the files), not-loaded (records in
//     the log, no files, nothing committed), not-in-kafka (a topic or partition of the files that
//     the cluster does not have), moving (the group committed while the audit ran; commit checks
//     then report a problem only if it holds against both the earlier and the later commit).
//
// Lag is the log end minus the resume offset (minus the log start when nothing is committed and
// there are no files).
//
// A Report is Clean when it has no problems; warnings (staging leftovers, a pending step whose
// files are all there, ...) do not make it unclean.
package audit
