#!/usr/bin/env bash
# Apache Spark as a reference reader of the loader's output: reads ROOT/TOPIC with Hive partition
# discovery and prints one JSON object (schema, row and distinct-offset counts, per-partition
# offset ranges, partition/event-time disagreements, sample values). See testenv/spark/spark_check.py.
#
#   scripts/spark-check.sh ROOT [TOPIC]     TOPIC defaults to the only directory under ROOT
#                                            not starting with _ (local ROOT only; name it for hdfs://)
#   scripts/spark-check.sh --install        only create the venv (for CI caches)
#
# ROOT is a local directory or hdfs://host:port/path. PySpark (from PyPI, pinned below) bundles
# Spark and the Hadoop client; it needs Java 17+ and Python 3.10+. It is installed on first use
# into a venv under $SPARK_CHECK_VENV (default ~/.cache/kafka2hdfs-spark, 520 MB) and reused after.
# PyPI serves pyspark as a source archive that pip turns into a wheel: the very first install took
# 210 s on a busy 2-core machine; a new venv with pip's cache warm takes about 12 s.
#
# Environment:
#   SPARK_CHECK_VENV     the venv (default ${XDG_CACHE_HOME:-~/.cache}/kafka2hdfs-spark)
#   SPARK_CHECK_PYTHON   the Python that creates it (default python3)
#   SPARK_DRIVER_MEMORY  driver heap (default 1g)
set -euo pipefail

PYSPARK_VERSION=4.3.0

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${SPARK_CHECK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka2hdfs-spark}

die() { echo "spark-check: $*" >&2; exit 1; }
say() { echo "spark-check: $*" >&2; }

install() {
  local py=${SPARK_CHECK_PYTHON:-python3} t0
  if [ "$(cat "$VENV/.pyspark" 2>/dev/null)" = "$PYSPARK_VERSION" ]; then return; fi
  command -v "$py" >/dev/null || die "$py not found: install Python 3.10+ (or set SPARK_CHECK_PYTHON)"
  mkdir -p "$(dirname "$VENV")"
  # One installer at a time; a second caller waits and then finds the marker.
  exec 8>"$VENV.lock"
  flock 8
  if [ "$(cat "$VENV/.pyspark" 2>/dev/null)" != "$PYSPARK_VERSION" ]; then
    say "installing pyspark $PYSPARK_VERSION into $VENV (first use; about 450 MB)"
    t0=$(date +%s)
    rm -rf "$VENV"
    "$py" -m venv "$VENV" || die "python -m venv failed (Debian: apt-get install python3-venv)"
    "$VENV/bin/pip" install -q --disable-pip-version-check "pyspark==$PYSPARK_VERSION" >&2 ||
      { rm -rf "$VENV"; die "pip install pyspark==$PYSPARK_VERSION failed"; }
    echo "$PYSPARK_VERSION" >"$VENV/.pyspark"
    say "installed in $(( $(date +%s) - t0 )) s"
  fi
  flock -u 8
  exec 8>&-
}

[ $# -ge 1 ] || die "usage: spark-check.sh ROOT [TOPIC] | --install"
if [ "$1" = --install ]; then
  install
  exit 0
fi

command -v java >/dev/null || die "java not found: Spark needs Java 17+"
root=${1%/}
topic=${2:-}
if [ -z "$topic" ]; then
  case "$root" in *://*) die "name the TOPIC for a $root root" ;; esac
  mapfile -t topics < <(find "$root" -mindepth 1 -maxdepth 1 -type d ! -name '_*' ! -name '.*' -printf '%f\n')
  [ "${#topics[@]}" = 1 ] || die "ROOT has ${#topics[@]} topic directories (${topics[*]:-none}): name the TOPIC"
  topic=${topics[0]}
fi

install
# stdout carries only the JSON object; Spark logs errors only (testenv/spark/log4j2.properties).
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
export PYSPARK_PYTHON="$VENV/bin/python"
exec "$VENV/bin/python" "$ROOT/testenv/spark/spark_check.py" "$root" "$topic"
