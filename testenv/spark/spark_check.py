"""Reads a kafka2hdfs output topic with Apache Spark and prints one JSON object describing it.

Spark is the second reference reader (after parquet-mr in scripts/real-env.sh parquet-check): it
reads ROOT/TOPIC the way a Spark or Hive user would, with Hive partition discovery (dt=, hour=),
and reports what it sees, for e2e/real_spark_test.go and manual runs to compare with our reader.

    python spark_check.py ROOT TOPIC [--samples N]

ROOT is a local path or an hdfs://host:port/... URL. The JSON object has:

    spark_version         the Spark version that read the files
    path, base_path       what was read (the topic's directory) and the partition discovery base
    schema                {field: {"type": Spark simpleString, "nullable": bool}}, partition columns last
    partition_columns     the columns Spark discovered from the directory names
    rows                  the row count
    distinct_offsets      distinct (kafka_partition, kafka_offset) pairs
    partitions            {kafka_partition: {"min": first offset, "max": last offset, "count": rows}}
    partition_mismatches  rows whose dt/hour directory disagrees with event_time in UTC
    event_date_mismatches rows whose event_date is not the UTC date of event_time (null event_date excluded)
    samples               a few rows: offsets, event_time as an ISO string, amount as a string

Any read error exits non-zero (with Spark's error on stderr).
"""

import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root")
    ap.add_argument("topic")
    ap.add_argument("--samples", type=int, default=3)
    args = ap.parse_args()

    started = time.time()
    # Imported here so --help works without Spark.
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    builder = SparkSession.builder
    log4j = os.path.join(os.path.dirname(os.path.abspath(__file__)), "log4j2.properties")
    if os.path.exists(log4j):
        # Read at JVM start, before setLogLevel could act: no "Setting default log level" banner.
        builder = builder.config("spark.driver.extraJavaOptions", "-Dlog4j2.configurationFile=file:" + log4j)
    spark = (
        builder.master("local[2]")
        .appName("kafka2hdfs-spark-check")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "1g"))
        # Partition values stay strings: "05" is compared with the hour as the loader wrote it,
        # not as the integer 5, and dt is not turned into a date.
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        # A missing or unreadable file must fail the read, never be skipped.
        .config("spark.sql.files.ignoreCorruptFiles", "false")
        .config("spark.sql.files.ignoreMissingFiles", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        out = check(spark, F, args.root.rstrip("/"), args.topic, args.samples)
    finally:
        spark.stop()
    out["seconds"] = round(time.time() - started, 1)
    json.dump(out, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


def check(spark, F, root, topic, samples):
    base = root + "/" + topic
    merge_error = None
    # SPARK_CHECK_MERGE_SCHEMA=1: the files carry several schema versions (registry formats); Spark
    # merges their schemas into one (every version's columns) instead of taking one file's footer as
    # the table's schema. Spark's merge refuses a column that is INT32 in some files and INT64 in
    # others (an Avro int widened to long: CANNOT_MERGE_INCOMPATIBLE_DATA_TYPE); its reader does
    # read INT32 as bigint, so then the table is read with the files' schemas merged here, widened
    # (int -> bigint, float -> double), and the merge error is reported.
    if os.environ.get("SPARK_CHECK_MERGE_SCHEMA") == "1":
        try:
            full = spark.read.option("basePath", base).option("mergeSchema", "true").parquet(base)
            full.schema  # noqa: B018 (the merge happens here)
        except Exception as e:  # pylint: disable=broad-except
            # Py4J's first line only names the call; the Spark error class is further down.
            lines = str(e).splitlines()
            merge_error = next((ln.strip() for key in ("INCOMPATIBLE_DATA_TYPE", "CANNOT_MERGE", "Exception")
                                for ln in lines if key in ln), lines[0])[:500]
            full = spark.read.schema(widened(spark, base)).option("basePath", base).parquet(base)
    else:
        full = spark.read.option("basePath", base).parquet(base)
    # Spark reports every column of a Parquet file source as nullable, REQUIRED ones too.
    schema = {f.name: {"type": f.dataType.simpleString(), "nullable": f.nullable} for f in full.schema.fields}
    part_cols = [c for c in ("dt", "hour") if c in full.columns]

    # Only the columns the checks use: Parquet is columnar, so the others are never read.
    used = ["kafka_partition", "kafka_offset", "id", "event_id", "event_time", "event_date", "amount", "price"] + part_cols
    df = full.select(*[c for c in used if c in full.columns])
    df.cache()

    # One pass for the totals.
    tot = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct("kafka_partition", "kafka_offset").alias("distinct_offsets"),
    ).first()
    # The registry producers' records carry id = their sequence number.
    ids = None
    if "id" in df.columns:
        r = df.agg(F.countDistinct("id").alias("distinct"), F.min("id").alias("min"), F.max("id").alias("max")).first()
        ids = {"distinct": r["distinct"], "min": r["min"], "max": r["max"]}

    per = {}
    for r in (
        df.groupBy("kafka_partition")
        .agg(F.min("kafka_offset").alias("min"), F.max("kafka_offset").alias("max"), F.count(F.lit(1)).alias("count"))
        .collect()
    ):
        per[str(r["kafka_partition"])] = {"min": r["min"], "max": r["max"], "count": r["count"]}

    # With the session time zone UTC, date_format renders event_time in UTC.
    if len(part_cols) == 2 and "event_time" in df.columns:
        mism = df.filter(
            (F.col("dt") != F.date_format("event_time", "yyyy-MM-dd"))
            | (F.col("hour") != F.date_format("event_time", "HH"))
            | F.col("event_time").isNull()
        ).count()
    else:
        mism = None  # reported as null: the test requires both columns anyway
    date_mism = None
    if "event_date" in df.columns and "event_time" in df.columns:
        date_mism = df.filter(F.col("event_date").isNotNull() & (F.col("event_date") != F.to_date("event_time"))).count()

    cols = df.columns
    rows = (
        df.orderBy(*([F.col("amount").isNull()] if "amount" in cols else []), "kafka_partition", "kafka_offset")
        .select(*[render(F, df, c) for c in cols])
        .limit(samples)
        .collect()
    )
    df.unpersist()
    return {
        "spark_version": spark.version,
        "path": base,
        "base_path": base,
        "schema": schema,
        "partition_columns": part_cols,
        "rows": tot["rows"],
        "distinct_offsets": tot["distinct_offsets"],
        "ids": ids,
        "merge_error": merge_error,
        "partitions": per,
        "partition_mismatches": mism,
        "event_date_mismatches": date_mism,
        "samples": [r.asDict() for r in rows],
    }


def widened(spark, base):
    """The union of the data files' schemas under base, int widened to bigint and float to double
    where files disagree; partition columns are left to discovery."""
    from pyspark.sql.types import DoubleType, FloatType, IntegerType, LongType, StructType
    files = spark.read.option("basePath", base).parquet(base).inputFiles()
    fields, order = {}, []
    for f in sorted(files):
        for fld in spark.read.parquet(f).schema.fields:
            have = fields.get(fld.name)
            if have is None:
                fields[fld.name] = fld
                order.append(fld.name)
            elif have.dataType != fld.dataType:
                pair = {type(have.dataType), type(fld.dataType)}
                if pair == {IntegerType, LongType}:
                    fields[fld.name] = fld.__class__(fld.name, LongType(), True)
                elif pair == {FloatType, DoubleType}:
                    fields[fld.name] = fld.__class__(fld.name, DoubleType(), True)
                else:
                    raise ValueError(f"{fld.name}: {have.dataType} in one file, {fld.dataType} in {f}")
    return StructType([fields[n] for n in order])


def render(F, df, c):
    """A column as JSON-friendly text: timestamps as ISO-8601 UTC with milliseconds, decimals and
    dates as strings (exact, not floats)."""
    t = df.schema[c].dataType.typeName()
    if t == "timestamp":
        return F.date_format(c, "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").alias(c)
    if t in ("decimal", "date"):
        return F.col(c).cast("string").alias(c)
    return F.col(c)


if __name__ == "__main__":
    main()
