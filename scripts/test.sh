#!/usr/bin/env bash
# Runs every check and test: formatting, go vet, staticcheck, and the whole test suite under the
# race detector (unit tests, fuzz seeds, and the end-to-end runs against an in-process Kafka and
# the real binary being SIGKILLed). This is the command the README and CI run.
#
#   scripts/test.sh              everything
#   scripts/test.sh -run Kill    extra arguments go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
command -v go >/dev/null || { echo "scripts/test.sh: Go is not installed (need Go >= 1.25 at /usr/local/go or on PATH)" >&2; exit 1; }
STATICCHECK_VERSION=2026.2.2

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
if ! command -v staticcheck >/dev/null || ! staticcheck -version 2>/dev/null | grep -q "$STATICCHECK_VERSION"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
staticcheck ./...

echo "== go test -race"
go test -race -timeout 20m "$@" ./...
