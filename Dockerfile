# syntax=docker/dockerfile:1
#
# kafka2hdfs: a static Go binary on distroless, running as a non-root user.
#
#   docker build -t kafka2hdfs:dev --build-arg VERSION=$(git describe --always --dirty) .
#   docker run --rm kafka2hdfs:dev validate -c /etc/kafka2hdfs/config.yaml   # with the file mounted
#
# docker-compose.yml builds this for its `loader` service. The cache mounts need BuildKit, the
# default builder of Docker Engine 23+ and of `docker compose` v2 (for docker-compose 1.29 set
# DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1; scripts/compose-demo.sh does).

# The official golang images set GOTOOLCHAIN=local, so this must be at least go.mod's `go` line
# (1.26.0): an older image refuses to build instead of downloading a toolchain.
# scripts/compose-validate.sh checks the two agree.
ARG GO_VERSION=1.26

# Build on the build machine's own architecture and cross-compile: no emulation for arm64/amd64.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 \
    GOFLAGS=-trimpath

# Modules first, so that editing code does not invalidate the download layer.
COPY go.mod go.sum ./
# go.mod replaces colinmarc/hdfs with this patched copy (third_party/colinmarc-hdfs/PATCHES.md).
COPY third_party ./third_party
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
# The commit for `kafka2hdfs version` (the build context has no .git for Go's VCS stamp).
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -ldflags "-s -w -X github.com/kafka2hdfs/kafka2hdfs/internal/loadercli.version=${VERSION} -X github.com/kafka2hdfs/kafka2hdfs/internal/loadercli.commit=${COMMIT}" -o /out/kafka2hdfs ./cmd/kafka2hdfs

# No shell, no package manager; CA certificates and tzdata included (the binary also embeds Go's
# zone database for partitioner.timezone). :nonroot runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kafka2hdfs /usr/local/bin/kafka2hdfs
USER nonroot:nonroot
# Prometheus metrics when metrics.addr is "0.0.0.0:9464" (":9464" binds 127.0.0.1, unreachable from
# outside the container).
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/kafka2hdfs"]
CMD ["run", "--config", "/etc/kafka2hdfs/config.yaml"]
