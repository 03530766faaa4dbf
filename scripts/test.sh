#!/usr/bin/env bash
# Runs every check and test: formatting, go vet, staticcheck, the whole test suite under the
# race detector (unit tests, fuzz seeds, and the end-to-end runs against an in-process Kafka and
# the real binary being SIGKILLed), then the real tier (scripts/real-tier.sh: Apache Kafka and
# Apache HDFS, started from Maven Central's artifacts) when Java and Maven are installed. This is
# the command the README and CI run.
#
#   scripts/test.sh              everything
#   scripts/test.sh -run Kill    extra arguments go to `go test` (the real tier is then skipped)
#
#   K2H_REQUIRE_REAL=1   a missing JDK or Maven fails instead of skipping the real tier (CI)
#   K2H_SKIP_REAL=1      skip the real tier
#   K2H_REAL_COUNT=N     run each real-tier scenario N times in a row
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
command -v go >/dev/null || { echo "scripts/test.sh: Go is not installed (need Go >= 1.25 at /usr/local/go or on PATH)" >&2; exit 1; }
# The release 2026.2.2 is module version v0.8.2; the proxy serves it only by the module version.
STATICCHECK_RELEASE=2026.2.2
STATICCHECK_MODULE=v0.8.2

echo "== gofmt"
# third_party/ too: its copies are gofmt-ed (third_party/*/PATCHES.md).
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...
go vet -tags failpoints ./...   # internal/failpoint is compiled only with this tag

echo "== staticcheck"
if ! command -v staticcheck >/dev/null || ! staticcheck -version 2>/dev/null | grep -q "$STATICCHECK_RELEASE"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_MODULE"
fi
staticcheck ./...
staticcheck -tags failpoints ./...

echo "== go test -race -tags failpoints"
go test -race -tags failpoints -timeout 20m "$@" ./...

if [ $# -gt 0 ] || [ "${K2H_SKIP_REAL:-}" = 1 ]; then
  echo "== real tier SKIPPED (${K2H_SKIP_REAL:+K2H_SKIP_REAL=1}${1:+arguments given})"
  exit 0
fi
if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
  if [ "${K2H_REQUIRE_REAL:-}" = 1 ]; then
    echo "== real tier: java, javac or mvn is missing and K2H_REQUIRE_REAL=1" >&2
    exit 1
  fi
  echo "== real tier SKIPPED: it needs a JDK 17+ (java, javac) and Maven on PATH (see docs/real-env.md)"
  exit 0
fi
scripts/real-tier.sh
