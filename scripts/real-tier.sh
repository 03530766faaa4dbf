#!/usr/bin/env bash
# The real tier: the exactly-once scenarios against unmodified Apache Kafka and Apache HDFS
# (scripts/real-env.sh), every output read back by parquet-mr as well as by our own reader.
#
#   scripts/real-tier.sh               Kafka 4 (all scenarios), then Kafka 3 (the protocol ones)
#   K2H_REAL_COUNT=3 scripts/real-tier.sh   each Kafka 4 scenario three times in a row
#                                           (the schema registry scenarios run once either way)
#
# It starts its own environment in a state directory of its own and stops it at the end, so it
# does not disturb one a developer keeps running (.real-env). Needs Java 17+ and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

export REAL_ENV_DIR=${REAL_ENV_DIR:-$(mktemp -d /tmp/k2h-real-tier.XXXXXX)}
count=${K2H_REAL_COUNT:-1}
# The scenarios that speak the Kafka protocol in ways 3.x and 4.x differ on (group membership and
# fencing, commit metadata, transactions, recovery): Kafka 3 runs these once.
kafka3='^(TestRealFailpointSequence|TestRealZombieIsFenced|TestRealTransactionalBatch|TestRealCommitMetadataLimit)$'

down() { scripts/real-env.sh down >/dev/null 2>&1 || true; }
trap down EXIT

started=$(date +%s)
echo "== real tier: Apache Kafka 4 + Apache HDFS (state in $REAL_ENV_DIR)"
# With the schema registry (Apicurio, testenv/registry): its tests fail rather than skip without it.
scripts/real-env.sh up --kafka 4 --registry
export K2H_REQUIRE_REGISTRY=1
echo "environment up in $(( $(date +%s) - started ))s"
K2H_REAL=1 go test -race -count="$count" -parallel 3 -timeout 60m -run '^TestReal' -skip '^(TestRealSparkReadsOutput|TestRealRegistry.*)$' ./e2e
# Spark (PySpark from PyPI, installed once into ~/.cache/kafka2hdfs-spark) reads one load back with
# Hive partition discovery: once, since its JVM start costs half a minute.
K2H_REAL=1 go test -race -count=1 -timeout 20m -run '^TestRealSparkReadsOutput$' ./e2e
# The schema registry scenarios (docs/schema-registry.md): once per run, not K2H_REAL_COUNT times;
# the ones that stop the shared registry run alone (not t.Parallel).
registry_started=$(date +%s)
K2H_REAL=1 go test -race -count=1 -parallel 3 -timeout 40m -run '^TestRealRegistry' ./e2e
echo "registry scenarios: $(( $(date +%s) - registry_started ))s"

echo "== real tier: Apache Kafka 3 + Apache HDFS"
scripts/real-env.sh up --kafka 3
K2H_REAL=1 go test -race -count=1 -parallel 3 -timeout 30m -run "$kafka3" ./e2e
echo "real tier wall time: $(( $(date +%s) - started ))s"
