#!/usr/bin/env bash
# Measures the loader against the real servers of scripts/real-env.sh (Apache Kafka, KRaft, and
# Apache HDFS, MiniDFSCluster with 3 DataNodes) and writes docs/performance-real.md: starts the
# environment unless it is up already, builds the binary, runs `kafka2hdfs-dev bench --brokers
# --hdfs-namenode` (see `kafka2hdfs-dev bench --help`), then takes down the environment if it started
# it. Needs what scripts/real-env.sh needs (Java 17+, Maven).
#
#   scripts/bench-real.sh --records 300000 --repeats 3 --buckets-records 0
#   BENCH_OUT=/tmp/perf-real.md scripts/bench-real.sh ...      write the report elsewhere
#   REAL_ENV_DIR=/tmp/bench-real-env scripts/bench-real.sh ...  an environment of its own
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "scripts/bench-real.sh: Go is not installed (need Go >= 1.25 at /usr/local/go or on PATH)" >&2; exit 1; }

state=${REAL_ENV_DIR:-$PWD/.real-env}
bin="$(mktemp -d)/kafka2hdfs-dev"
started=
cleanup() {
  rm -rf "$(dirname "$bin")"
  [ -z "$started" ] || scripts/real-env.sh down
}
trap cleanup EXIT
# Take down afterwards only what this script started.
scripts/real-env.sh status >/dev/null 2>&1 || started=1
scripts/real-env.sh up >/dev/null
# shellcheck disable=SC1091
. "$state/env"
hadoop=$(grep -o 'hadoop-client-minicluster-[0-9][0-9.]*[0-9]' "$state/classes/hdfs.cp" | head -n1 | sed 's/.*-//')

go build -o "$bin" ./cmd/kafka2hdfs-dev
"$bin" bench --brokers "$KAFKA_BROKERS" --hdfs-namenode "$HDFS_NAMENODE" \
  --brokers-desc "Apache Kafka $KAFKA_VERSION (real broker, KRaft, loopback)" \
  --hdfs-desc "Apache HDFS ${hadoop:-?} MiniDFSCluster (3 DataNodes, replication 3)" \
  --out "${BENCH_OUT:-docs/performance-real.md}" "$@"
