#!/usr/bin/env bash
# Offline checks of the docker-compose stack, for CI and for anyone without a container engine:
# nothing is pulled, built into an image or started. Installs Debian's docker-compose (1.29) with
# apt-get when no Compose is on the machine.
#
#   scripts/compose-validate.sh
#
# Checks:
#   1. docker-compose.yml passes `docker-compose config -q` (Compose v1's schema and loader), and
#      `docker compose config -q` too when the v2 plugin is installed;
#   2. it loads with compose-go, the loader inside `docker compose` v2, when Go is on PATH
#      (a throwaway program built in a temporary module: the repository's go.mod is not touched);
#   3. the files the stack mounts exist, the shell scripts parse, the Hadoop XML is well-formed;
#   4. the Dockerfile's Go image is at least go.mod's `go` version (the golang images set
#      GOTOOLCHAIN=local, so an older one fails the build);
#   5. scripts/compose-events.sh prints valid JSON of the schema's types, malformed where it says.
# With VALIDATE_LOADER_CONFIG=1 it also builds the loader and runs `kafka2hdfs validate` on
# deploy/kafka2hdfs.yaml (off by default: it needs the HDFS sink's output.hdfs keys in the binary).
#
# Exit 0 when every check passed; the last line counts them.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
export PATH="$PATH:/usr/local/go/bin"

COMPOSE_GO_VERSION=v2.16.2
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "ok    $*"; passed=$((passed + 1)); }
fail() { echo "FAIL  $*"; failed=$((failed + 1)); }
skip() { echo "skip  $*"; }
# check NAME COMMAND...: run COMMAND quietly; on failure show its output.
check() {
  local name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/      /' "$tmp/out" | tail -n 30; fi
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# --- 1. Compose v1 (and v2 when present) -----------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "installing docker-compose (Debian package) ..."
  if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends docker-compose; } >"$tmp/apt.log" 2>&1; then
    tail -n 20 "$tmp/apt.log"
  fi
fi
if command -v docker-compose >/dev/null 2>&1; then
  v1=$(docker-compose version --short 2>/dev/null || docker-compose version | head -n1)
  check "docker-compose $v1 config -q" docker-compose -f docker-compose.yml config -q
else
  fail "docker-compose is not installed and could not be installed with apt-get"
fi
if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  check "docker compose $(docker compose version --short 2>/dev/null) config -q" docker compose -f docker-compose.yml config -q
else
  skip "docker compose (v2 plugin) config -q: plugin not installed"
fi

# --- 2. compose-go ---------------------------------------------------------------------------
compose_go_check() ( # a subshell: it changes directory
  mkdir -p "$tmp/composego" && cd "$tmp/composego" || exit 1
  cat >main.go <<'EOF'
// Loads a compose file the way `docker compose config` does: interpolation, schema validation,
// normalization. Built by scripts/compose-validate.sh in a temporary module.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithName("kafka2hdfs"))
	if err == nil {
		var p interface{ ServiceNames() []string }
		p, err = opts.LoadProject(context.Background())
		if err == nil {
			fmt.Println("services:", p.ServiceNames())
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
EOF
  printf 'module composegocheck\n\ngo 1.24\n' >go.mod
  GOFLAGS=-mod=mod go get "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" &&
    GOFLAGS=-mod=mod go build -o composego . &&
    cd "$repo" &&
    "$tmp/composego/composego" docker-compose.yml
)
if command -v go >/dev/null 2>&1; then
  check "compose-go $COMPOSE_GO_VERSION (docker compose v2's loader) loads docker-compose.yml" compose_go_check
else
  skip "compose-go load: Go is not installed"
fi

# --- 3. files, shell, XML --------------------------------------------------------------------
mounted_files_exist() {
  local f missing=0
  for f in Dockerfile deploy/kafka2hdfs.yaml deploy/hadoop/core-site.xml deploy/hadoop/hdfs-site.xml deploy/hdfs-init.sh; do
    [ -f "$f" ] || { echo "missing: $f"; missing=1; }
  done
  return $missing
}
check "files the stack builds from and mounts exist" mounted_files_exist
shell_parses() {
  local f
  for f in scripts/compose-*.sh deploy/hdfs-init.sh; do bash -n "$f" || return 1; done
}
check "shell scripts parse (bash -n)" shell_parses
check "deploy/hadoop/*.xml are well-formed" python3 -c '
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    root = ET.parse(f).getroot()
    assert root.tag == "configuration", f + ": root element is not <configuration>"
    for p in root.findall("property"):
        assert p.findtext("name") and p.find("value") is not None, f + ": a property without name or value"
' deploy/hadoop/core-site.xml deploy/hadoop/hdfs-site.xml

# --- 4. Go version of the builder image ------------------------------------------------------
go_versions_agree() {
  local image mod
  image=$(sed -n 's/^ARG GO_VERSION=\([0-9][0-9.]*\).*/\1/p' Dockerfile | head -n1)
  mod=$(sed -n 's/^go \([0-9][0-9.]*\).*/\1/p' go.mod | head -n1)
  echo "Dockerfile GO_VERSION=$image, go.mod go $mod"
  [ -n "$image" ] && [ -n "$mod" ] || return 1
  # Compare major.minor only: golang:1.26 is the newest 1.26.x, which satisfies go 1.26.N.
  awk -v a="$image" -v b="$mod" 'BEGIN { split(a, x, "."); split(b, y, ".")
    exit !((x[1] + 0 > y[1] + 0) || (x[1] + 0 == y[1] + 0 && x[2] + 0 >= y[2] + 0)) }'
}
check "Dockerfile's golang image is new enough for go.mod" go_versions_agree

# --- 5. the event generator ------------------------------------------------------------------
events_valid() {
  scripts/compose-events.sh 3000 100 6 7 >"$tmp/events" 2>"$tmp/events.stats" || return 1
  python3 - "$tmp/events" "$tmp/events.stats" <<'EOF'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
stats = open(sys.argv[2]).read()
n, bad = map(int, re.match(r"events: (\d+) records, (\d+) malformed", stats).groups())
assert len(lines) == n == 3000, (len(lines), n)
invalid = 0
for line in lines:
    key, sep, value = line.partition("|")
    assert sep and key.startswith("user-"), line[:80]
    try:
        e = json.loads(value)
    except ValueError:
        invalid += 1
        continue
    if not isinstance(e.get("user", {}).get("id"), int):
        invalid += 1
        continue
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]) and e["day"] == e["ts"][:10], e["ts"]
    assert isinstance(e["device"]["mobile"], bool) and isinstance(e["page"]["url"], str)
    if "cart" in e:
        assert isinstance(e["cart"]["quantity"], int) and isinstance(e["cart"]["price"], (int, float))
assert invalid == bad == 30, (invalid, bad)
print("%d events, %d malformed as announced" % (n, bad))
EOF
}
check "scripts/compose-events.sh prints the sample schema's events" events_valid

# --- optional: the loader's own validation of deploy/kafka2hdfs.yaml --------------------------
if [ "${VALIDATE_LOADER_CONFIG:-1}" = 1 ]; then
  loader_config_valid() {
    # In the container the Hadoop config is at /etc/hadoop/conf; here it is deploy/hadoop.
    sed "s|hadoop_conf_dir: /etc/hadoop/conf|hadoop_conf_dir: $repo/deploy/hadoop|" deploy/kafka2hdfs.yaml >"$tmp/config.yaml" &&
      CGO_ENABLED=0 go build -o "$tmp/kafka2hdfs" ./cmd/kafka2hdfs &&
      "$tmp/kafka2hdfs" validate --offline -c "$tmp/config.yaml"
  }
  check "kafka2hdfs validate deploy/kafka2hdfs.yaml" loader_config_valid
else
  skip "kafka2hdfs validate deploy/kafka2hdfs.yaml: set VALIDATE_LOADER_CONFIG=1 (needs the HDFS sink's output.hdfs keys)"
fi

echo "compose-validate: $passed passed, $failed failed"
[ "$failed" = 0 ]
