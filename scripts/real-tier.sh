#!/usr/bin/env bash
# The real tier: the exactly-once scenarios against unmodified Apache Kafka and Apache HDFS
# (scripts/real-env.sh), every output read back by parquet-mr as well as by our own reader.
#
#   scripts/real-tier.sh               Kafka 4 (all scenarios), then Kafka 3 (the protocol ones)
#   K2H_REAL_COUNT=3 scripts/real-tier.sh   each Kafka 4 scenario three times in a row
#                                           (the schema registry scenarios run once either way)
#
# The environment runs with --secure (scripts/real-env-secure.sh): the Kafka 4 broker also has
# SASL_SSL, SASL_PLAINTEXT and mTLS listeners, and a Kerberized HDFS runs next to the plain one;
# the secure scenarios (e2e TestRealSecure*, TestRealSecureHDFS* among them, and
# kafkasec.TestRealBroker) run once, whatever K2H_REAL_COUNT says. TestRealSecureHDFSTicketRenewal
# alone takes about four minutes (a three-minute run under one-minute tickets).
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
scripts/real-env.sh up --kafka 4 --secure --registry
export K2H_REQUIRE_REGISTRY=1 K2H_REQUIRE_REGISTRY_LOADER=1
echo "environment up in $(( $(date +%s) - started ))s"
K2H_REAL=1 go test -race -tags failpoints -count="$count" -parallel 3 -timeout 60m -run '^TestReal' -skip '^(TestRealSparkReadsOutput|TestRealSecure.*|TestRealRegistry.*)$' ./e2e
# Secure listeners: once (their failures are about configuration, not timing). The env file's
# K2H_TEST_* lines are what kafkasec.TestRealBroker reads from the environment.
secure_started=$(date +%s)
(
  set -a
  . "$REAL_ENV_DIR/env"
  set +a
  K2H_REAL=1 K2H_REAL_SECURE=1 go test -race -tags failpoints -count=1 -parallel 3 -timeout 20m -run '^TestRealSecure' ./e2e
  go test -race -count=1 -timeout 5m -run '^TestRealBroker$' ./kafkasec
)
# The secure HDFS once more at the weakest protection: the load and the refusals at that level,
# and the one refusal only a cluster below privacy allows (a client asking for more than it gives).
REAL_ENV_HDFS_PROTECTION=authentication scripts/real-env.sh restart-secure-hdfs >/dev/null
(
  set -a
  . "$REAL_ENV_DIR/env"
  set +a
  K2H_REAL=1 K2H_REAL_SECURE=1 go test -race -tags failpoints -count=1 -timeout 10m -run '^TestRealSecureHDFS(Load|Refused)$' ./e2e
)
echo "secure scenarios in $(( $(date +%s) - secure_started ))s"
# Spark (PySpark from PyPI, installed once into ~/.cache/kafka2hdfs-spark) reads one load back with
# Hive partition discovery: once, since its JVM start costs half a minute.
K2H_REAL=1 go test -race -tags failpoints -count=1 -timeout 20m -run '^TestRealSparkReadsOutput$' ./e2e
# The schema registry scenarios (docs/schema-registry.md): once per run, not K2H_REAL_COUNT times,
# one at a time: several of them stop and restart the one registry the others read from.
registry_started=$(date +%s)
K2H_REAL=1 go test -race -tags failpoints -count=1 -parallel 1 -timeout 40m -run '^TestRealRegistry' ./e2e
echo "registry scenarios: $(( $(date +%s) - registry_started ))s"

echo "== real tier: Apache Kafka 3 + Apache HDFS"
scripts/real-env.sh up --kafka 3
K2H_REAL=1 go test -race -tags failpoints -count=1 -parallel 3 -timeout 30m -run "$kafka3" ./e2e
echo "real tier wall time: $(( $(date +%s) - started ))s"
