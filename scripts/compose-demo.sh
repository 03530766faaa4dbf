#!/usr/bin/env bash
# The docker-compose demo, end to end: start Kafka, HDFS and the loader (docker-compose.yml),
# produce sample clickstream events to `clicks`, wait until the loader has committed all of
# them, then list what landed in HDFS and check from the file names that every offset is in
# exactly one flush.
#
#   scripts/compose-demo.sh [RECORDS]      default 20000
#
# Environment:
#   BAD_EVERY=500      every n-th event is malformed (becomes a dead letter); 0 for none
#   SPAN_HOURS=6       event times spread over the last hours (one directory per hour)
#   PRODUCER=auto      kcat (from the host, localhost:29092) if installed, else
#                      kafka-console-producer.sh inside the kafka container; or force one:
#                      PRODUCER=kcat / PRODUCER=console
#   WAIT_SECONDS=600   give up waiting for health or for the loader after this long
#   NO_BUILD=1         do not rebuild the loader image
#
# Leaves everything running; scripts/compose-down.sh stops it and deletes the volumes.
# See docs/docker-compose.md.
set -euo pipefail
# shellcheck source=scripts/compose-lib.sh
. "$(dirname "$0")/compose-lib.sh"
cd "$K2H_ROOT"

records=${1:-${RECORDS:-20000}}
bad_every=${BAD_EVERY:-500}
span_hours=${SPAN_HOURS:-6}
producer=${PRODUCER:-auto}
wait_seconds=${WAIT_SECONDS:-600}
topic=clicks
group=kafka2hdfs-compose   # kafka.group in deploy/kafka2hdfs.yaml
root=/warehouse            # output.root in deploy/kafka2hdfs.yaml

case "$records" in '' | *[!0-9]*) die "RECORDS must be a number, not '$records'" ;; esac
find_compose || exit 127
# BuildKit for the Dockerfile's cache mounts; docker-compose 1.29 needs to be told.
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1

kafka_bin() { # run a Kafka CLI tool inside the kafka container
  local tool=$1; shift
  compose exec -T kafka "/opt/kafka/bin/$tool" --bootstrap-server localhost:9092 "$@"
}

container_state() { # health (or status, without a healthcheck) and exit code of a service
  local id
  id=$(compose ps -q "$1" 2>/dev/null | head -n1)
  [ -n "$id" ] || { echo "missing -"; return; }
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}} {{.State.ExitCode}}' "$id"
}

wait_for() { # wait_for DESCRIPTION COMMAND...: retry COMMAND every 3s until it succeeds
  local what=$1; shift
  local deadline=$((SECONDS + wait_seconds))
  printf '  waiting for %s ' "$what"
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo " timed out after ${wait_seconds}s"
      return 1
    fi
    printf .
    sleep 3
  done
  echo " ok"
}

is_healthy() { [ "$(container_state "$1" | cut -d' ' -f1)" = healthy ]; }
is_done() { [ "$(container_state "$1")" = "exited 0" ]; }

end_offsets() { # sum of the topic's log-end offsets
  kafka_bin kafka-get-offsets.sh --topic "$topic" --time -1 |
    awk -F: 'NF == 3 && $3 ~ /^[0-9]+$/ { s += $3 } END { print s + 0 }'
}

committed() { # the group's committed offsets on the topic: "SUM PARTITIONS"
  kafka_bin kafka-consumer-groups.sh --describe --group "$group" 2>/dev/null |
    awk -v t="$topic" '$2 == t && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ { s += $4; n++ } END { print s + 0, n + 0 }'
}

loaded_all() { # the group has committed every offset up to $1 on all partitions
  local sum parts
  read -r sum parts < <(committed)
  echo "  committed ${sum:-0} of $1 offsets on ${parts:-0} partitions"
  [ "${parts:-0}" -gt 0 ] && [ "${sum:-0}" -ge "$1" ]
}

loader_alive() {
  local s
  s=$(container_state loader)
  case "$s" in running*) return 0 ;; esac
  echo "  the loader is not running ($s); its last log lines:" >&2
  compose logs --tail=40 loader >&2 || true
  return 1
}

step "starting the stack (${compose_cmd[*]})"
build=(--build)
[ -n "${NO_BUILD:-}" ] && build=()
compose up -d "${build[@]}"

step "waiting for the services"
for s in kafka namenode datanode; do
  wait_for "$s to be healthy" is_healthy "$s" || { compose logs --tail=60 "$s"; die "$s did not become healthy"; }
done
for s in init-kafka init-hdfs; do
  wait_for "$s to finish" is_done "$s" || { compose logs --tail=60 "$s"; die "$s did not exit 0"; }
done
loader_alive || die "the loader stopped"

step "topic $topic"
# init-kafka created it; creating again is a no-op, and covers a stack started some other way.
kafka_bin kafka-topics.sh --create --if-not-exists --topic "$topic" --partitions 6 --replication-factor 1
kafka_bin kafka-topics.sh --describe --topic "$topic" | head -n1

step "producing $records sample events"
before=$(end_offsets)
if [ "$producer" = auto ]; then
  producer=console
  command -v kcat >/dev/null 2>&1 && producer=kcat
fi
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT
case "$producer" in
  kcat)
    echo "  with kcat on the host, to localhost:29092"
    "$K2H_ROOT/scripts/compose-events.sh" "$records" "$bad_every" "$span_hours" 2>"$stats" |
      kcat -b localhost:29092 -t "$topic" -P -K '|'
    ;;
  console)
    echo "  with kafka-console-producer.sh in the kafka container (install kcat to produce from the host)"
    "$K2H_ROOT/scripts/compose-events.sh" "$records" "$bad_every" "$span_hours" 2>"$stats" |
      compose exec -T kafka /opt/kafka/bin/kafka-console-producer.sh --bootstrap-server localhost:9092 \
        --topic "$topic" --property parse.key=true --property key.separator='|'
    ;;
  *) die "PRODUCER must be auto, kcat or console, not '$producer'" ;;
esac
sed 's/^/  /' "$stats"
after=$(end_offsets)
echo "  topic end offsets: $before -> $after"
[ $((after - before)) -eq "$records" ] || die "expected $records new records in $topic, found $((after - before))"

step "waiting for the loader to commit offset $after (rotation.max_age is 1m)"
deadline=$((SECONDS + wait_seconds))
until loaded_all "$after"; do
  loader_alive || die "the loader stopped"
  [ $SECONDS -lt $deadline ] || die "the loader did not commit everything within ${wait_seconds}s; see: ${compose_cmd[*]} logs loader"
  sleep 10
done
compose logs --tail=8 loader

step "output in HDFS ($root)"
listing=$(compose exec -T namenode hdfs dfs -ls -R "$root")
# Published files only: _staging holds files in flight.
echo "$listing" | awk '$1 ~ /^-/ && $NF !~ /\/_staging\// { print "  " $5 "\t" $NF }' | sort -k2 | head -n 40
echo "  ..."
compose exec -T namenode hdfs dfs -count -h "$root/$topic" "$root/_errors" |
  awk '{ size = ""; for (i = 3; i < NF; i++) size = size (i > 3 ? " " : "") $i
         printf "  %s: %s directories, %s files, %s\n", $NF, $1, $2, size }'

step "check"
# <topic>+<partition>+<start>+<end>.parquet: every file of a flush carries the flush's offset range,
# so the distinct ranges per partition must tile 0..end-1 with no gap or overlap. Row counts need a
# Parquet reader (docs/docker-compose.md); the names are enough to see that nothing is missing.
echo "$listing" | awk -v t="$topic" -v want="$after" '
  $1 ~ /^-/ && $NF !~ /\/_staging\// && $NF ~ /\.parquet$/ {
    n = split($NF, path, "/"); name = path[n]; sub(/\.parquet$/, "", name)
    if (split(name, f, "+") != 4 || f[1] != t) next
    key = f[2] "+" f[3] "+" f[4]
    if (!(key in seen)) { seen[key] = 1; p = f[2] + 0; s = f[3] + 0; e = f[4] + 0
      cnt[p]++; lo[p, cnt[p]] = s; hi[p, cnt[p]] = e; parts[p] = 1; if (p > maxp) maxp = p }
  }
  END {
    bad = 0; total = 0
    for (p = 0; p <= maxp; p++) {
      if (!(p in parts)) continue
      # sort this partition'"'"'s ranges by start (insertion sort; a few hundred at most)
      for (i = 2; i <= cnt[p]; i++) { s = lo[p, i]; e = hi[p, i]
        for (j = i - 1; j >= 1 && lo[p, j] > s; j--) { lo[p, j + 1] = lo[p, j]; hi[p, j + 1] = hi[p, j] }
        lo[p, j + 1] = s; hi[p, j + 1] = e }
      next_off = 0
      for (i = 1; i <= cnt[p]; i++) {
        if (lo[p, i] > next_off) { printf "  partition %d: offsets %d..%d are in no file\n", p, next_off, lo[p, i] - 1; bad++ }
        if (lo[p, i] < next_off) { printf "  partition %d: offsets %d..%d are in two flushes\n", p, lo[p, i], (hi[p, i] < next_off ? hi[p, i] : next_off - 1); bad++ }
        if (hi[p, i] + 1 > next_off) next_off = hi[p, i] + 1
      }
      printf "  partition %d: offsets 0..%d in %d flushes\n", p, next_off - 1, cnt[p]
      total += next_off
    }
    printf "  offsets covered by published files: %d; in the topic: %d\n", total, want
    if (bad || total != want) { print "  check: FAILED"; exit 1 }
    print "  check: OK, every record of the topic is in exactly one flush"
  }' || die "the output does not cover the topic exactly"

cat <<EOF

Still running. Next:
  web UI of the namenode     http://localhost:9870  (Utilities > Browse the file system > $root)
  loader metrics             http://localhost:9464/metrics
  loader logs                ${compose_cmd[*]} logs -f loader
  HDFS from the host         HADOOP_NAMENODE=localhost:8020 hdfs ls -R $root   (colinmarc/hdfs CLI)
  stop and delete it all     scripts/compose-down.sh
EOF
