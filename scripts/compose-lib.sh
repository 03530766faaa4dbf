# Sourced by scripts/compose-*.sh: finds Docker Compose (v2 `docker compose` or v1
# `docker-compose`) and runs it on the repository's docker-compose.yml.
# shellcheck shell=bash

K2H_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COMPOSE_FILE=${COMPOSE_FILE:-$K2H_ROOT/docker-compose.yml}

compose_cmd=()
find_compose() {
  if [ ${#compose_cmd[@]} -gt 0 ]; then return 0; fi
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose_cmd=(docker-compose)
  else
    echo "$(basename "$0"): need Docker Compose: the 'docker compose' plugin (v2) or 'docker-compose' (v1.29+)" >&2
    return 127
  fi
}

compose() {
  find_compose || return
  "${compose_cmd[@]}" -f "$COMPOSE_FILE" "$@"
}

step() { printf '\n== %s\n' "$*"; }
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
