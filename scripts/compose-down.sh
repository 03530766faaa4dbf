#!/usr/bin/env bash
# Stops the docker-compose stack and deletes its volumes (Kafka's log, the HDFS namenode and
# datanode directories), so the next scripts/compose-demo.sh starts from nothing.
#
#   scripts/compose-down.sh              stop, remove containers and volumes
#   scripts/compose-down.sh --keep-data  stop and remove containers, keep the volumes
#
# The loader gets SIGTERM first and up to stop_grace_period (90s) to flush and commit.
set -euo pipefail
# shellcheck source=scripts/compose-lib.sh
. "$(dirname "$0")/compose-lib.sh"

case "${1:-}" in
  "") compose down --volumes --remove-orphans ;;
  --keep-data) compose down --remove-orphans ;;
  *) die "usage: $0 [--keep-data]" ;;
esac
