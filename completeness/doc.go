// Package completeness tells downstream jobs when a time bucket of a topic is done: once every
// partition of the topic has committed past the bucket's end plus the allowed lateness (or is
// caught up with its log), the Completer writes _manifest.json (the bucket's files, their record
// counts and offset ranges) and then _SUCCESS into the bucket directory. Records that arrive for a
// bucket after that are late, and follow a Policy: into the bucket (noted in the manifest), under
// <root>/_late, or to the dead letters.
//
// The rule that makes a marker trustworthy: a partition's event-time watermark is published only
// after the commit that covers it (a small file per partition under
// <root>/.kafka2hdfs/watermarks/<group>/<topic>/<partition>.json, written after each successful
// step commit), so the watermark the Completer reads is never ahead of what is in the output. The
// Completer reads the watermarks and the committed offsets first and lists the bucket directories
// after, so every file whose records the watermarks account for is already published when the
// bucket is listed. A marker is written once; two members racing write the same thing.
// docs/completeness.md has the argument and the layout.
package completeness
