#!/usr/bin/env bash
# The real test environment: unmodified Apache Kafka (KRaft, one combined broker+controller) and
# Apache HDFS (MiniDFSCluster: a real NameNode and three DataNodes), on loopback, in the
# background, plus a Parquet reference reader (parquet-mr). See docs/real-env.md.
#
#   scripts/real-env.sh up [--kafka 4|3] [--secure] [--registry]  start (or report) everything; prints the env
#                                               (--secure: SASL_SSL, SASL_PLAINTEXT and mTLS listeners too;
#                                                --registry or REAL_ENV_REGISTRY=1: also the schema registry)
#   scripts/real-env.sh down                    stop everything, delete the state dir
#   scripts/real-env.sh status                  processes, HDFS DataNodes, Kafka cluster
#   scripts/real-env.sh kill-datanode N         stop DataNode N (0, 1 or 2)
#   scripts/real-env.sh restart-datanode N      start it again on the same ports
#   scripts/real-env.sh restart-namenode        restart the NameNode on the same port
#   scripts/real-env.sh restart-kafka [--kill]  stop the broker (SIGTERM, or SIGKILL) and start it again
#   scripts/real-env.sh restart-secure-hdfs     the Kerberized HDFS of --secure afresh (REAL_ENV_HDFS_PROTECTION)
#   scripts/real-env.sh create-topic NAME PARTITIONS
#   scripts/real-env.sh produce TOPIC N [PREFIX]   N string records (key-i, PREFIX-i)
#   scripts/real-env.sh consume TOPIC N            print the first N records (partition, offset, key, value)
#   scripts/real-env.sh parquet-check ROOT [--values] [--errors] [--merge]
#   scripts/real-env.sh parquet-sample OUT [ROWS]  write a small Parquet file covering many types
#   scripts/real-env.sh fetch [--registry]      only download/resolve and compile (for CI caches)
#   scripts/real-env.sh stop-registry [--kill]  stop the schema registry (SIGTERM, or SIGKILL)
#   scripts/real-env.sh start-registry          start it again (same port, same schemas)
#   scripts/real-env.sh registry-produce ARGS   testenv/registry/produce.py (Confluent serializers)
#
# Environment:
#   REAL_ENV_DIR       state dir (default .real-env at the repo root): configs, data, logs, env
#   REAL_ENV_CACHE     resolved classpaths and compiled classes (default ~/.cache/kafka2hdfs-real-env)
#   REAL_ENV_TIMEOUT   seconds to wait for readiness (default 120)
#   REAL_ENV_HADOOP    Hadoop version for hadoop-client-minicluster (default: testenv/pom.xml's)
#   REAL_ENV_HDFS_CONF extra HDFS settings for MiniHdfs, "key=value key=value" (e.g. dfs.blocksize=1048576)
#   REAL_ENV_HDFS_PROTECTION  the secure HDFS's RPC and data transfer protection (default privacy)
#   MAVEN_ARGS_EXTRA   extra arguments for mvn (e.g. -o, -s settings.xml)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${REAL_ENV_DIR:-$ROOT/.real-env}
case "$STATE" in /*) ;; *) STATE=$PWD/$STATE ;; esac
STATE=${STATE%/}
CACHE=${REAL_ENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafka2hdfs-real-env}
POM=$ROOT/testenv/pom.xml
TIMEOUT=${REAL_ENV_TIMEOUT:-120}
MARK="-Dkafka2hdfs.realenv=$STATE" # on every server JVM's command line: `down` checks it before killing

die() { echo "real-env: $*" >&2; exit 1; }
# The schema registry's functions and commands live in a file of their own.
. "$ROOT/scripts/real-env-registry.sh"
die_up() { die "$* (what did start is still running: scripts/real-env.sh down cleans up)"; }
say() { echo "real-env: $*" >&2; }

# shellcheck source=scripts/real-env-secure.sh
. "$ROOT/scripts/real-env-secure.sh"

need() {
  command -v java >/dev/null || die "java not found: install a JDK 17+ (Kafka 4 brokers need Java 17)"
  command -v javac >/dev/null || die "javac not found: install a JDK (not only a JRE), 17+"
  command -v mvn >/dev/null || die "mvn not found: install Maven 3.6+ (it resolves Kafka, Hadoop and Parquet from Maven Central)"
}

sha() { sha256sum | cut -c1-16; }

kafka_stack() { # 4|3 -> maven profile and version
  case "$1" in
    4) echo "kafka4 4.4.0" ;;
    3) echo "kafka3 3.9.1" ;;
    *) die "--kafka must be 4 or 3, not '$1'" ;;
  esac
}

mvn_args() {
  local a=(-B -q -f "$POM")
  [ -n "${REAL_ENV_HADOOP:-}" ] && a+=("-Dhadoop.version=$REAL_ENV_HADOOP")
  # shellcheck disable=SC2206
  [ -n "${MAVEN_ARGS_EXTRA:-}" ] && a+=($MAVEN_ARGS_EXTRA)
  printf '%s\n' "${a[@]}"
}

# classpath STACK [force]: prints the path of a file holding STACK's classpath (kafka4, kafka3,
# hdfs), resolved by Maven once per pom content and kept in $CACHE while all its jars exist.
classpath() {
  local stack=$1 force=${2:-} key file tmp
  key=$( (cat "$POM"; echo "$stack ${REAL_ENV_HADOOP:-}") | sha)
  file=$CACHE/cp-$stack-$key.txt
  if [ -z "$force" ] && [ -s "$file" ]; then
    local ok=1 j
    IFS=: read -r -a jars <"$file" || true
    for j in "${jars[@]}"; do [ -f "$j" ] || { ok=; break; }; done
    [ -n "$ok" ] && { echo "$file"; return; }
  fi
  mkdir -p "$CACHE"
  tmp=$(mktemp "$CACHE/cp-$stack.XXXXXX")
  local args
  mapfile -t args < <(mvn_args)
  if ! mvn "${args[@]}" dependency:build-classpath "-Dstack=$stack" "-Dmdep.outputFile=$tmp" >"$tmp.log" 2>&1 || [ ! -s "$tmp" ]; then
    cat "$tmp.log" >&2
    rm -f "$tmp" "$tmp.log"
    die "mvn could not resolve the $stack classpath (see above)"
  fi
  rm -f "$tmp.log"
  mv "$tmp" "$file"
  echo "$file"
}

# classes SET CPFILE: compiles testenv/SET/*.java against CPFILE once per content into $CACHE;
# prints the directory.
classes() {
  local set=$1 cpf=$2 key dir tmp
  key=$( (cat "$ROOT"/testenv/"$set"/*.java "$cpf"; javac -version 2>&1) | sha)
  dir=$CACHE/classes/$set-$key
  if [ ! -f "$dir/.ok" ]; then
    mkdir -p "$CACHE/classes"
    tmp=$(mktemp -d "$CACHE/classes/$set.XXXXXX")
    javac -nowarn -Xlint:none -encoding UTF-8 -d "$tmp" -cp "$(cat "$cpf")" "$ROOT"/testenv/"$set"/*.java >&2 ||
      { rm -rf "$tmp"; die "javac failed for testenv/$set"; }
    touch "$tmp/.ok"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  echo "$dir"
}

# install_classes NAME SET CPFILE: testenv/SET compiled against CPFILE, in the state dir as
# classes/NAME (copied from the cache, skipped if unchanged), its classpath in classes/NAME.cp.
install_classes() {
  local name=$1 src
  src=$(classes "$2" "$3")
  if [ "$(cat "$STATE/classes/$name/.src" 2>/dev/null)" != "$src" ]; then
    rm -rf "$STATE/classes/$name"
    mkdir -p "$STATE/classes"
    cp -r "$src" "$STATE/classes/$name"
    echo "$src" >"$STATE/classes/$name/.src"
  fi
  cp "$3" "$STATE/classes/$name.cp"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() { # pick_ports N: N distinct ports nothing listens on, below the usual ephemeral range
  local p i picked=" "
  for i in $(seq 400); do
    p=$((20000 + RANDOM % 12000))
    case "$picked" in *" $p "*) continue ;; esac
    port_busy "$p" && continue
    picked="$picked$p "
    [ "$(wc -w <<<"$picked")" -ge "$1" ] && { echo $picked; return; }
  done
  die "no free ports found"
}

alive() { # alive NAME: the recorded pid runs and is ours
  local f=$STATE/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$MARK" || return 1
  fi
}

stop() { # stop NAME [KILL]: SIGTERM (or SIGKILL), SIGKILL after 30 s
  local name=$1 sig=${2:-TERM} pid i
  alive "$name" || { rm -f "$STATE/$name.pid"; return 0; }
  pid=$(cat "$STATE/$name.pid")
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$i" = 300 ] && { say "$name (pid $pid) still running after 30 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; }
    sleep 0.1
  done
  rm -f "$STATE/$name.pid"
}

load_state() { [ -f "$STATE/state" ] && . "$STATE/state"; }

save_state() {
  cat >"$STATE/state" <<EOF
KAFKA_MAJOR=$KAFKA_MAJOR
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
HDFS_NN_PORT=$HDFS_NN_PORT
HDFS_CONTROL_PORT=$HDFS_CONTROL_PORT
EOF
  secure_state >>"$STATE/state"
}

env_text() {
  local v
  v=$(kafka_stack "$KAFKA_MAJOR" | cut -d' ' -f2)
  cat <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
KAFKA_VERSION=$v
HDFS_NAMENODE=127.0.0.1:$HDFS_NN_PORT
HDFS_CONTROL=127.0.0.1:$HDFS_CONTROL_PORT
REAL_ENV_DIR=$STATE
EOF
  secure_env_text
}

tail_log() { say "last lines of $1:"; tail -n "${2:-40}" "$1" >&2 2>/dev/null || true; }

# ---- Kafka ----

kafka_tool_jvm() { # java command line prefix for KafkaTool / StorageTool with quiet logging
  local cfg
  if [ "$KAFKA_MAJOR" = 4 ]; then
    cfg=(-Dlog4j2.configurationFile="$STATE/kafka/tools-log4j2.properties")
  else
    cfg=(-Dlog4j.configuration="file:$STATE/kafka/tools-log4j.properties")
  fi
  printf '%s\n' java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${cfg[@]}" \
    -cp "$STATE/classes/kafka$KAFKA_MAJOR:$(cat "$STATE/classes/kafka$KAFKA_MAJOR.cp")"
}

kafka_tool() {
  local cmd
  mapfile -t cmd < <(kafka_tool_jvm)
  "${cmd[@]}" KafkaTool "$@"
}

kafka_configs() {
  local d=$STATE/kafka
  mkdir -p "$d/data" "$STATE/logs"
  cat >"$d/server.properties" <<EOF
# Written by scripts/real-env.sh: one KRaft node, broker and controller in one process.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
# Test data carries fixed event times (2026-11-22...) as its record timestamps; time retention
# (168 h by default) would delete it seconds after the broker's first retention check (30 s
# after start), which the loader rightly reports as offsets lost to retention. Keep everything.
log.retention.ms=-1
EOF
  [ "${SECURE:-}" = 1 ] && secure_kafka_props >>"$d/server.properties"
  if [ "$KAFKA_MAJOR" = 4 ]; then
    cat >>"$d/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
    cat >"$d/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $STATE/logs/kafka-server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
    cat >"$d/tools-log4j2.properties" <<EOF
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %c: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
logger.netclient.name = org.apache.kafka.clients.NetworkClient
logger.netclient.level = ERROR
EOF
  else
    cat >"$d/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$STATE/logs/kafka-server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
EOF
    cat >"$d/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, err
log4j.appender.err=org.apache.log4j.ConsoleAppender
log4j.appender.err.Target=System.err
log4j.appender.err.layout=org.apache.log4j.PatternLayout
log4j.appender.err.layout.ConversionPattern=%p %c: %m%n
log4j.logger.org.apache.kafka.clients.NetworkClient=ERROR
EOF
  fi
}

kafka_start() { # formats the log dir if new, then starts kafka.Kafka in the background
  local d=$STATE/kafka cp cmd cid logcfg scram kjvm
  kafka_configs
  cp=$(cat "$STATE/classes/kafka$KAFKA_MAJOR.cp")
  if [ ! -f "$d/data/meta.properties" ]; then
    # A Kafka Uuid: 16 random bytes, URL-safe base64 without padding.
    cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    mapfile -t cmd < <(kafka_tool_jvm)
    mapfile -t scram < <(secure_format_args)
    "${cmd[@]}" kafka.tools.StorageTool format -t "$cid" -c "$d/server.properties" "${scram[@]}" >"$STATE/logs/kafka-format.log" 2>&1 ||
      { tail_log "$STATE/logs/kafka-format.log"; die "kafka storage format failed"; }
  fi
  if [ "$KAFKA_MAJOR" = 4 ]; then
    logcfg=-Dlog4j2.configurationFile="$d/log4j2.properties"
  else
    logcfg=-Dlog4j.configuration="file:$d/log4j.properties"
  fi
  mapfile -t kjvm < <(secure_kafka_jvm)
  # No job control here, so the JVM stays in this script's process group unless setsid moves it
  # (setsid execs without forking when the caller is not a group leader: $! is the JVM).
  setsid java "$MARK" "${kjvm[@]}" -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dkafka.logs.dir="$STATE/logs" "$logcfg" \
    -cp "$cp" kafka.Kafka "$d/server.properties" >>"$STATE/logs/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/kafka.pid"
}

# ---- HDFS ----

# hdfs_webapps: the NameNode's and DataNodes' web apps (webapps/ of hadoop-client-minicluster),
# unpacked once into the cache; first on MiniHdfs's classpath, Jetty serves them from there instead
# of extracting them from the 55 MB jar at every (re)start, which takes seconds per server on a
# loaded machine. Same files, same servlets.
hdfs_webapps() {
  local jar dir tmp
  jar=$(tr ':' '\n' <"$STATE/classes/hdfs.cp" | grep '/hadoop-client-minicluster-[^/]*\.jar$' | head -n1)
  [ -n "$jar" ] || return 0
  dir=$CACHE/webapps-$(basename "$jar" .jar)
  if [ ! -f "$dir/.ok" ]; then
    tmp=$(mktemp -d "$CACHE/webapps.XXXXXX")
    (cd "$tmp" && jar xf "$jar" webapps/) || { rm -rf "$tmp"; return 0; }
    touch "$tmp/.ok"
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  echo "$dir:"
}

hdfs_start() {
  local d=$STATE/hdfs fmt=() kv webapps
  mkdir -p "$d" "$STATE/logs" "$STATE/hadoop-conf"
  compgen -G "$d/data/name*" >/dev/null && fmt=(--no-format) # formatted before: keep the namespace
  for kv in ${REAL_ENV_HDFS_CONF:-}; do fmt+=(--conf "$kv"); done
  webapps=$(hdfs_webapps)
  cat >"$d/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$STATE/logs/hdfs.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
EOF
  cat >"$STATE/hadoop-conf/core-site.xml" <<EOF
<?xml version="1.0"?>
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://127.0.0.1:$HDFS_NN_PORT</value></property>
</configuration>
EOF
  setsid java "$MARK" -Xms128m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$d/log4j.properties" \
    -cp "$webapps$STATE/classes/hdfs:$(cat "$STATE/classes/hdfs.cp")" \
    MiniHdfs --base "$d/data" --nn-port "$HDFS_NN_PORT" --control-port "$HDFS_CONTROL_PORT" "${fmt[@]}" \
    >>"$STATE/logs/hdfs.out" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/hdfs.pid"
}

hdfs_ready() { curl -sf -m 5 "http://127.0.0.1:$HDFS_CONTROL_PORT/status" >/dev/null 2>&1; }

control() { # control METHOD PATH: the MiniHdfs control server; prints the answer, fails on non-2xx
  local out code
  out=$(curl -sS -m 300 -X "$1" -w '\n%{http_code}' "http://127.0.0.1:$HDFS_CONTROL_PORT$2") || die "HDFS control server not reachable (is it up?)"
  code=${out##*$'\n'}
  echo "${out%$'\n'*}"
  case "$code" in 2*) ;; *) die "HDFS control: $1 $2 answered $code" ;; esac
}

# wait_ready [kafka] [hdfs]: bounded by $TIMEOUT; on failure, the log tails and exit 1.
wait_ready() {
  local want_kafka= want_hdfs= rpid= deadline kdone= hdone= rc
  for w in "$@"; do case $w in kafka) want_kafka=1 ;; hdfs) want_hdfs=1 ;; esac; done
  deadline=$((SECONDS + TIMEOUT))
  if [ -n "$want_kafka" ]; then
    kafka_tool ready "127.0.0.1:$KAFKA_PORT" "$TIMEOUT" >"$STATE/logs/kafka-ready.log" 2>&1 &
    rpid=$!
  else
    kdone=1
  fi
  [ -n "$want_hdfs" ] || hdone=1
  while [ -z "$kdone" ] || [ -z "$hdone" ]; do
    if [ -z "$kdone" ] && ! kill -0 "$rpid" 2>/dev/null; then
      rc=0
      wait "$rpid" || rc=$?
      if [ "$rc" != 0 ]; then
        tail_log "$STATE/logs/kafka-ready.log" 5
        tail_log "$STATE/logs/kafka-server.log"
        die_up "Kafka did not become ready"
      fi
      kdone=1
      say "kafka ready after $((SECONDS - deadline + TIMEOUT)) s"
    fi
    if [ -z "$kdone" ] && ! alive kafka; then
      kill "$rpid" 2>/dev/null || true
      tail_log "$STATE/logs/kafka.out"
      tail_log "$STATE/logs/kafka-server.log"
      die_up "Kafka exited during startup (logs in $STATE/logs)"
    fi
    if [ -z "$hdone" ]; then
      if hdfs_ready; then
        hdone=1
        say "hdfs ready after $((SECONDS - deadline + TIMEOUT)) s"
      elif ! alive hdfs; then
        [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
        tail_log "$STATE/logs/hdfs.out"
        tail_log "$STATE/logs/hdfs.log"
        die_up "HDFS exited during startup (logs in $STATE/logs)"
      fi
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
      [ -z "$kdone" ] && tail_log "$STATE/logs/kafka-server.log"
      [ -z "$hdone" ] && tail_log "$STATE/logs/hdfs.log"
      die_up "not ready after $TIMEOUT s (REAL_ENV_TIMEOUT)"
    fi
    { [ -n "$kdone" ] && [ -n "$hdone" ]; } || sleep 0.5
  done
}

write_env() {
  { env_text; registry_env_text; } >"$STATE/env.tmp"
  mv "$STATE/env.tmp" "$STATE/env"
  cat "$STATE/env"
}

# prepare MAJOR: classpaths resolved and classes compiled into the state dir.
prepare() {
  local stack kcp hcp pk ph
  stack=$(kafka_stack "$1" | cut -d' ' -f1)
  mkdir -p "$STATE/logs" "$CACHE"
  # Both Maven runs at once (a few seconds each when everything is in ~/.m2).
  classpath "$stack" >"$STATE/.cp-kafka" & pk=$!
  classpath hdfs >"$STATE/.cp-hdfs" & ph=$!
  wait "$pk" || die "resolving the Kafka classpath failed"
  wait "$ph" || die "resolving the HDFS classpath failed"
  kcp=$(cat "$STATE/.cp-kafka")
  hcp=$(cat "$STATE/.cp-hdfs")
  rm -f "$STATE/.cp-kafka" "$STATE/.cp-hdfs"
  install_classes "$stack" kafka "$kcp"
  install_classes hdfs hdfs "$hcp"
}

lock() { # one real-env.sh at a time per state dir (go test runs packages in parallel)
  command -v flock >/dev/null || return 0
  mkdir -p "$(dirname "$STATE")"
  exec 9>"$STATE.lock"
  flock 9
}

cmd_up() {
  local major=4 start=$SECONDS want=() secure= registry=${REAL_ENV_REGISTRY:-}
  [ "$registry" = 0 ] && registry=
  while [ $# -gt 0 ]; do
    case "$1" in
      --secure) secure=1; shift ;;
      --registry) registry=1; shift ;;
      --kafka) [ $# -ge 2 ] || die "--kafka needs 4 or 3"; major=$2; shift 2 ;;
      --kafka=*) major=${1#--kafka=}; shift ;;
      *) die "up: unknown argument '$1' (usage: up [--kafka 4|3] [--secure] [--registry])" ;;
    esac
  done
  kafka_stack "$major" >/dev/null
  need
  lock
  if load_state; then
    registry_on && registry=1
    if alive kafka && alive hdfs && [ "$KAFKA_MAJOR" = "$major" ] && [ -f "$STATE/env" ] &&
      { [ -z "$secure" ] || [ "${SECURE:-}" = 1 ]; } && { [ "${SECURE:-}" != 1 ] || secure_complete; } &&
      { [ -z "$registry" ] || alive registry; }; then
      say "already up ($STATE)"
      cat "$STATE/env"
      return
    fi
    if [ "$KAFKA_MAJOR" != "$major" ]; then
      say "switching Kafka from $KAFKA_MAJOR to $major: stopping it and deleting its data"
      stop kafka
      rm -rf "$STATE/kafka"
    elif [ -n "$secure" ] && [ "${SECURE:-}" != 1 ]; then
      # The SCRAM users are written when the storage is formatted: start Kafka afresh.
      say "adding the secure listeners: stopping Kafka and deleting its data"
      stop kafka
      rm -rf "$STATE/kafka"
    fi
  else
    rm -rf "$STATE"
    mkdir -p "$STATE"
    read -r KAFKA_PORT KAFKA_CONTROLLER_PORT HDFS_NN_PORT HDFS_CONTROL_PORT <<<"$(pick_ports 4)"
  fi
  KAFKA_MAJOR=$major
  # Secure is sticky: an `up` without --secure (switching the Kafka version, say) keeps it.
  [ -n "$secure" ] && SECURE=1
  if [ "${SECURE:-}" = 1 ]; then
    secure_ports
    secure_pki
    secure_oauth_keys
    secure_kdc
  fi
  prepare "$major"
  say "classpaths and classes ready in $((SECONDS - start)) s"
  save_state
  if ! alive kafka; then
    [ -f "$STATE/kafka/data/meta.properties" ] && say "Kafka was not running: starting it on its data"
    kafka_start
    want+=(kafka)
  fi
  if ! alive hdfs; then
    [ -d "$STATE/hdfs/data" ] && say "HDFS was not running: starting it on its data"
    hdfs_start
    want+=(hdfs)
  fi
  local secure_hdfs=
  if [ "${SECURE:-}" = 1 ] && ! alive hdfs-secure; then
    secure_hdfs_start
    secure_hdfs=1
  fi
  wait_ready "${want[@]}"
  [ -n "$secure_hdfs" ] && secure_hdfs_wait
  [ -n "$registry" ] && registry_up
  say "up in $((SECONDS - start)) s (logs in $STATE/logs)"
  write_env
}

cmd_down() {
  lock
  if [ -d "$STATE" ]; then
    load_state || true
    # Both at once: SIGTERM, SIGKILL after 30 s.
    stop kdc & local k=$!
    stop kafka & local a=$!
    stop hdfs & local b=$!
    stop registry & local c=$!
    stop hdfs-secure & local s=$!
    wait "$a" "$b" "$k" "$c" "$s" || true
    rm -rf "$STATE"
    say "down: stopped and removed $STATE"
  else
    say "down: nothing to do ($STATE does not exist)"
  fi
}

require_up() {
  load_state || die "not up ($STATE/state missing): run scripts/real-env.sh up"
}

cmd_status() {
  require_up
  local rc=0
  if [ -f "$STATE/env" ]; then
    cat "$STATE/env"
  else
    echo "no env yet: an up is in progress, or the last one failed"
  fi
  if alive kafka; then
    echo "kafka: pid $(cat "$STATE/kafka.pid"), $(kafka_tool ready "127.0.0.1:$KAFKA_PORT" 10 2>&1 | tail -n1)"
  else
    echo "kafka: NOT RUNNING"; rc=1
  fi
  if alive hdfs; then
    echo "hdfs: pid $(cat "$STATE/hdfs.pid"), $(curl -sf -m 5 "http://127.0.0.1:$HDFS_CONTROL_PORT/status" || echo 'control server not answering')"
  else
    echo "hdfs: NOT RUNNING"; rc=1
  fi
  if [ "${SECURE:-}" = 1 ]; then
    if alive hdfs-secure; then
      echo "hdfs-secure: pid $(cat "$STATE/hdfs-secure.pid"), $(curl -sf -m 5 "http://127.0.0.1:$HDFS_SECURE_CONTROL_PORT/status" || echo 'control server not answering')"
    else
      echo "hdfs-secure: NOT RUNNING"; rc=1
    fi
  fi
  if registry_on; then
    if alive registry; then
      echo "registry: pid $(cat "$STATE/registry.pid"), $(registry_url) $(registry_ready && echo answers || echo 'NOT ANSWERING')"
    else
      echo "registry: NOT RUNNING"; rc=1
    fi
  fi
  return $rc
}

cmd_restart_kafka() {
  require_up
  local sig=TERM start=$SECONDS
  case "${1:-}" in "") ;; --kill) sig=KILL ;; *) die "usage: restart-kafka [--kill]" ;; esac
  lock
  stop kafka "$sig"
  kafka_start
  wait_ready kafka
  say "kafka restarted in $((SECONDS - start)) s"
}

# hdfs_java CLASS ARGS: a tool on the Hadoop classpath, fs.defaultFS the mini HDFS when up.
hdfs_java() {
  local cls cp conf=
  if [ -d "$STATE/classes/hdfs" ] && [ -f "$STATE/classes/hdfs.cp" ]; then
    cls=$STATE/classes/hdfs
    cp=$(cat "$STATE/classes/hdfs.cp")
  else
    need
    local f
    f=$(classpath hdfs)
    cls=$(classes hdfs "$f")
    cp=$(cat "$f")
  fi
  [ -f "$STATE/hadoop-conf/core-site.xml" ] && conf=$STATE/hadoop-conf:
  local log4j=$CACHE/tools-log4j.properties
  [ -f "$log4j" ] || {
    mkdir -p "$CACHE"
    printf '%s\n' 'log4j.rootLogger=WARN, err' 'log4j.appender.err=org.apache.log4j.ConsoleAppender' \
      'log4j.appender.err.Target=System.err' 'log4j.appender.err.layout=org.apache.log4j.PatternLayout' \
      'log4j.appender.err.layout.ConversionPattern=%p %c: %m%n' \
      'log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR' >"$log4j"
  }
  java -Xmx512m -XX:+UseSerialGC -Dlog4j.configuration="file:$log4j" -cp "$conf$cls:$cp" "$@"
}

cmd_fetch() {
  need
  local s f start=$SECONDS
  for s in kafka4 kafka3 hdfs kdc; do
    f=$(classpath "$s" force)
    case $s in kafka*) classes kafka "$f" >/dev/null ;; hdfs) classes hdfs "$f" >/dev/null ;; esac
    say "$s: $(tr ':' '\n' <"$f" | grep -c .) jars resolved, sources compiled"
  done
  say "fetch done in $((SECONDS - start)) s (Maven repository: ~/.m2, cache: $CACHE)"
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill-datanode | restart-datanode)
    [ $# = 1 ] || die "usage: $cmd N"
    require_up
    control POST "/$cmd?n=$1"
    ;;
  restart-namenode) require_up; control POST /restart-namenode ;;
  restart-kafka) cmd_restart_kafka "$@" ;;
  restart-secure-hdfs) cmd_restart_secure_hdfs ;;
  create-topic)
    [ $# = 2 ] || die "usage: create-topic NAME PARTITIONS"
    require_up
    kafka_tool create-topic "127.0.0.1:$KAFKA_PORT" "$1" "$2"
    ;;
  produce)
    [ $# -ge 2 ] || die "usage: produce TOPIC N [PREFIX]"
    require_up
    kafka_tool produce "127.0.0.1:$KAFKA_PORT" "$@"
    ;;
  consume)
    [ $# = 2 ] || die "usage: consume TOPIC N"
    require_up
    kafka_tool consume "127.0.0.1:$KAFKA_PORT" "$1" "$2"
    ;;
  parquet-check)
    [ $# -ge 1 ] || die "usage: parquet-check ROOT [--values] [--errors] [--merge]"
    hdfs_java ParquetCheck "$@"
    ;;
  parquet-sample)
    [ $# -ge 1 ] || die "usage: parquet-sample OUT [ROWS]"
    hdfs_java ParquetSample "$@"
    ;;
  fetch)
    if [ "${1:-}" = --registry ]; then need; cmd_fetch; cmd_fetch_registry; else cmd_fetch; fi
    ;;
  stop-registry) cmd_stop_registry "$@" ;;
  start-registry) cmd_start_registry ;;
  registry-produce) cmd_registry_produce "$@" ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$cmd' (try --help)" ;;
esac
