# saldo's container image: a static binary on distroless, run as a non-root user.
#
#   docker build -t saldo .
#   docker run -p 8080:8080 -v saldo-data:/data saldo                 # embedded SQLite in /data
#   docker run -p 8080:8080 -e SALDO_DATABASE_URL=postgres://… \
#              -e SALDO_SECRET_KEY_FILE=/run/secrets/saldo-key … saldo  # PostgreSQL
#
# This project's machines have a Docker client but no Docker engine, so the image has never
# been built here. The file was checked by reading it, and the same `go build` command was run
# outside Docker.
#
# Stop the container with a grace period longer than saldo's 30 s shutdown:
# `docker stop -t 40`, `stop_grace_period: 40s` in Compose, or
# `terminationGracePeriodSeconds: 40` or more in Kubernetes. Docker's default is 10 s.
# See docs/operations.md.

# go.mod says `go 1.26.8`. The official images set GOTOOLCHAIN=local, so the build stops if
# the image's Go is older than that. golang:1.26 follows the newest 1.26.x release. To make
# builds reproducible, pin a patch release (--build-arg GO_VERSION=1.26.8) or a digest.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src

# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
# The Go client is a module of its own, which the server's go.mod replaces with ./client.
COPY client/go.mod client/go.mod
RUN go mod download

COPY . .
# Pure Go (modernc.org/sqlite needs no cgo), so the binary is static.
# .git is not in the build context, so the binary carries no VCS stamp and
# `saldo version` prints "saldo (devel)".
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/saldo ./cmd/saldo \
 && mkdir /out/data

# distroless/static has CA certificates (for sslmode=verify-full), tzdata and an /etc/passwd
# with the user nonroot (65532). It has no shell or package manager.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/saldo /saldo
# An empty /data owned by the runtime user. /data doesn't exist in the base image, so COPY
# creates it, and --chown applies to the created directory too (both BuildKit and the
# classic builder do this; WORKDIR would create it owned by root). A named volume mounted
# here copies this ownership. A bind-mounted host directory keeps the host's ownership, so
# make it writable by uid 65532.
COPY --from=build --chown=65532:65532 /out/data /data

# The embedded default database is sqlite:saldo.db, relative to the working directory. Here
# that is /data/saldo.db, and the generated secret key is /data/saldo.db.key (used when no
# SALDO_SECRET_KEY or SALDO_SECRET_KEY_FILE is given). Both must live in the volume.
WORKDIR /data
VOLUME ["/data"]

# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 65532:65532

EXPOSE 8080
# There is no HEALTHCHECK because the image has no HTTP client to run one. Let the
# orchestrator or load balancer probe GET /healthz (liveness) and GET /readyz (readiness).
ENTRYPOINT ["/saldo"]
# saldo listens on 127.0.0.1:8080 by default, which can't be reached from outside a container.
# A flag beats its environment variable, so with this CMD, SALDO_ADDR has no effect.
# The other settings (SALDO_DATABASE_URL, SALDO_SECRET_KEY[_FILE],
# SALDO_RETIRED_SECRET_KEYS[_FILE], SALDO_LOG_FORMAT,
# SALDO_LOG_LEVEL, SALDO_RATE_LIMIT, SALDO_RATE_BURST) can be passed as environment.
# One-off commands run the same binary, e.g. `docker exec CONTAINER /saldo ecommerce list`.
CMD ["serve", "--addr", "0.0.0.0:8080"]
