#!/usr/bin/env bash
# Measures the loader against a raw sarama consumer group on this machine and writes
# docs/performance.md: builds the binary, then runs `kafka2hdfs-dev bench` (see `kafka2hdfs-dev bench --help`).
# The defaults (1M x 1 KB messages over 8 partitions, 3 repeats; the cases 3M x 200 B x 8 and
# 1M x 1 KB x 64; the same 1M x 1 KB events as JSON and as Avro (--avro, about a minute more); then
# the many-buckets scenario)
# take a few minutes on 2 cores.
#
#   scripts/bench.sh                                  defaults, writes docs/performance.md
#   scripts/bench.sh --records 200000 --repeats 1     extra arguments go to `kafka2hdfs-dev bench`
#   BENCH_OUT=/tmp/perf.md scripts/bench.sh           write the report elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "scripts/bench.sh: Go is not installed (need Go >= 1.25 at /usr/local/go or on PATH)" >&2; exit 1; }

bin="$(mktemp -d)/kafka2hdfs-dev"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/kafka2hdfs-dev
"$bin" bench --out "${BENCH_OUT:-docs/performance.md}" "$@"
