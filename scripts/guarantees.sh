#!/usr/bin/env bash
# Runs the fault suite (and the crash, HDFS and membership e2e tests) with the race detector and
# writes the measured guarantees table to docs/guarantees.md (or the path given as $1).
#
#   scripts/guarantees.sh                  # CI-sized scenarios, about 3-4 minutes on 2 cores
#   K2H_SOAK=1 scripts/guarantees.sh       # the soak: more kills, longer storms, more rounds
#   K2H_SEED=123 scripts/guarantees.sh     # replay the random schedules of a logged seed
#
# The page is written even when a scenario fails (its row then says so); the script exits with
# go test's status.
set -uo pipefail

cd "$(dirname "$0")/.."
out=${1:-docs/guarantees.md}
case $out in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$(dirname "$out")"

timeout=20m
if [ "${K2H_SOAK:-}" = 1 ]; then timeout=120m; fi
run='Fault|Kill|HDFS|Members'
cmd="go test -race -count=1 ./e2e -run '$run'"
if [ "${K2H_SOAK:-}" = 1 ]; then cmd="K2H_SOAK=1 $cmd"; fi

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "running: $cmd" >&2
K2H_GUARANTEES=$tmp K2H_GUARANTEES_CMD="$cmd" \
	go test -race -count=1 -timeout "$timeout" ./e2e -run "$run"
status=$?
if [ -s "$tmp" ]; then
	cp "$tmp" "$out"
	echo "wrote $out" >&2
else
	echo "no table was written (the test binary did not get to TestMain's end)" >&2
	[ $status -eq 0 ] && status=1
fi
exit $status
