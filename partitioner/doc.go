// Package partitioner decides where a record is written: the time bucket it belongs to and the
// relative, Hive-style directory of that bucket, such as "country=US/dt=2026-11-22/hour=13".
//
// In the data flow it sits between the record's transformation and its storage:
//
//	Kafka → consumer → interceptors → partitioner → writer → offsets
//
// The consumer fills a record's fields, the interceptors filter and rewrite it (and may set its
// event time), the partitioner maps it to a Bucket, and the writer appends it to the open Parquet
// file of that bucket, closing the file once the bucket's End has passed. Offsets are committed
// only for records that are durable in a closed file. A record the partitioner cannot place (its
// time field is missing or unreadable, or its time is outside the years 1970 to 9999) gets an
// error and goes to the dead letters instead.
//
// Buckets follow the local wall clock of the configured zone, because that is what the dt=/hour=
// directories say and what people query: an hour bucket in Asia/Kolkata starts at a local :00, not
// at a UTC :00, and a day bucket is a local calendar day, 23 or 25 hours long on a DST change.
//
// The package is pure: no I/O, no goroutines, no clock. A Partitioner is built once per topic,
// against the topic's record.Layout, after the interceptors (so it sees the fields they rename or
// write), and is safe for concurrent use by every partition pipeline of the topic.
package partitioner
