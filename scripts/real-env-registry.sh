# shellcheck shell=bash
# The schema registry of the real test environment, sourced by scripts/real-env.sh (kept in a file of
# its own). Apicurio Registry 2.4.2.Final, its Confluent-compatible API at /apis/ccompat/v7, in-memory
# storage: assembled once from Maven Central by Quarkus's build step (testenv/registry/pom.xml) into
# $CACHE/registry-<hash>, started with `up --registry`. The producers (testenv/registry/produce.py,
# Confluent's confluent-kafka serializers) run in a venv under $CACHE. See docs/real-env.md.

REGISTRY_POM=$ROOT/testenv/registry/pom.xml
CONFLUENT_KAFKA_VERSION=2.16.1

registry_key() { (cat "$REGISTRY_POM" "$ROOT"/testenv/registry/src/main/java/kafka2hdfs/registry/*.java; java -version 2>&1) | sha; }

# registry_app: prints the directory holding the runnable registry (runner jar + lib/), building it
# with Maven once per pom/source content.
registry_app() {
  local dir tmp args
  dir=$CACHE/registry-$(registry_key)
  if [ ! -f "$dir/.ok" ]; then
    mkdir -p "$CACHE"
    tmp=$(mktemp -d "$CACHE/registry.XXXXXX")
    cp -r "$ROOT/testenv/registry/pom.xml" "$ROOT/testenv/registry/src" "$tmp/"
    args=(-B -q -f "$tmp/pom.xml")
    # shellcheck disable=SC2206
    [ -n "${MAVEN_ARGS_EXTRA:-}" ] && args+=($MAVEN_ARGS_EXTRA)
    say "building the schema registry (Apicurio Registry from Maven Central; first time: downloads ~250 MB)"
    if ! mvn "${args[@]}" package -DskipTests >"$tmp/build.log" 2>&1 || [ ! -f "$tmp/target/kafka2hdfs-registry-0-runner.jar" ]; then
      tail -n 40 "$tmp/build.log" >&2
      rm -rf "$tmp"
      die "building the schema registry failed (see above)"
    fi
    mkdir -p "$tmp/app"
    mv "$tmp/target/kafka2hdfs-registry-0-runner.jar" "$tmp/target/lib" "$tmp/app/"
    touch "$tmp/app/.ok"
    rm -rf "$dir"
    mv "$tmp/app" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

# registry_venv: prints the venv with confluent-kafka and its schema-registry extras, made once.
registry_venv() {
  local venv=$CACHE/registry-venv py=${REAL_ENV_PYTHON:-python3}
  if [ "$(cat "$venv/.ok" 2>/dev/null)" != "$CONFLUENT_KAFKA_VERSION" ]; then
    command -v "$py" >/dev/null || die "$py not found: the registry producers need Python 3.9+ (or set REAL_ENV_PYTHON)"
    mkdir -p "$CACHE"
    exec 7>"$venv.lock"
    flock 7
    if [ "$(cat "$venv/.ok" 2>/dev/null)" != "$CONFLUENT_KAFKA_VERSION" ]; then
      say "installing confluent-kafka $CONFLUENT_KAFKA_VERSION (avro, protobuf, json, schemaregistry) into $venv"
      rm -rf "$venv"
      "$py" -m venv "$venv" >&2 || die "python -m venv failed (Debian: apt-get install python3-venv)"
      "$venv/bin/pip" install -q --disable-pip-version-check \
        "confluent-kafka[avro,protobuf,json,schemaregistry]==$CONFLUENT_KAFKA_VERSION" >&2 ||
        { rm -rf "$venv"; die "pip install confluent-kafka failed"; }
      echo "$CONFLUENT_KAFKA_VERSION" >"$venv/.ok"
    fi
    flock -u 7
    exec 7>&-
  fi
  echo "$venv"
}

registry_on() { [ -f "$STATE/registry.port" ]; }
registry_port() { cat "$STATE/registry.port"; }
registry_url() { echo "http://127.0.0.1:$(registry_port)/apis/ccompat/v7"; }

# registry_enable: gives the registry a port of its own (kept across restarts, like Kafka's).
registry_enable() {
  registry_on || pick_ports 1 | tr -d ' \n' >"$STATE/registry.port"
}

# Apicurio's storage is H2 (its in-memory default, jdbc:h2:mem:) kept in a file under the state dir
# instead, so a registry that is stopped or killed comes back with its schemas and ids, as a real
# deployment's does; `down` deletes it with the rest.
registry_start() {
  local app
  app=$(registry_app)
  mkdir -p "$STATE/logs" "$STATE/registry"
  setsid java "$MARK" -Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$(registry_port)" \
    -Dquarkus.log.level=WARN -Dquarkus.log.category.\"io.apicurio\".level=INFO \
    -Dquarkus.datasource.jdbc.url="jdbc:h2:file:$STATE/registry/db" \
    -jar "$app/kafka2hdfs-registry-0-runner.jar" >>"$STATE/logs/registry.log" 2>&1 </dev/null 9>&- 7>&- &
  echo $! >"$STATE/registry.pid"
}

registry_ready() { curl -sf -m 5 "$(registry_url)/subjects" >/dev/null 2>&1; }

# registry_wait: until the ccompat API answers (bounded by $TIMEOUT).
registry_wait() {
  local deadline=$((SECONDS + TIMEOUT)) t0=$SECONDS
  until registry_ready; do
    if ! alive registry; then
      tail_log "$STATE/logs/registry.log"
      die_up "the schema registry exited during startup (log: $STATE/logs/registry.log)"
    fi
    [ "$SECONDS" -ge "$deadline" ] && { tail_log "$STATE/logs/registry.log"; die_up "the schema registry is not ready after $TIMEOUT s"; }
    sleep 0.5
  done
  say "schema registry ready after $((SECONDS - t0)) s"
}

registry_env_text() { registry_on && echo "SCHEMA_REGISTRY_URL=$(registry_url)"; return 0; }

# registry_up: called by `up --registry` after Kafka and HDFS are up.
registry_up() {
  registry_enable
  if ! alive registry; then
    registry_start
    registry_wait
  fi
  registry_venv >/dev/null
}

cmd_stop_registry() { # stop-registry [--kill]
  require_up
  registry_on || die "no registry in this environment (up --registry)"
  local sig=TERM
  case "${1:-}" in "") ;; --kill) sig=KILL ;; *) die "usage: stop-registry [--kill]" ;; esac
  stop registry "$sig"
  say "schema registry stopped (start-registry brings it back with its schemas)"
}

cmd_start_registry() {
  require_up
  registry_on || die "no registry in this environment (up --registry)"
  lock
  if alive registry; then say "schema registry already running"; return; fi
  registry_start
  registry_wait
}

cmd_registry_produce() { # registry-produce ARGS: testenv/registry/produce.py against this environment
  require_up
  registry_on || die "no registry in this environment (up --registry)"
  local venv
  venv=$(registry_venv)
  "$venv/bin/python" "$ROOT/testenv/registry/produce.py" --brokers "127.0.0.1:$KAFKA_PORT" --registry "$(registry_url)" "$@"
}

cmd_fetch_registry() {
  local start=$SECONDS
  registry_app >/dev/null
  registry_venv >/dev/null
  say "schema registry built and producers installed in $((SECONDS - start)) s"
}
