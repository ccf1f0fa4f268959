# syntax=docker/dockerfile:1
# One image per server binary of the workspace:
#   docker build -f deploy/docker/rust.Dockerfile --build-arg BIN=api-server -t chat/api-server .
#   docker build -f deploy/docker/rust.Dockerfile --build-arg BIN=ws-server  -t chat/ws-server .
# Build context: the repository root (see .dockerignore).
#
# Layer caching: the dependency graph is compiled once from the manifests and dummy sources;
# editing the real sources only recompiles the workspace crates. Keep the COPY lines of the
# manifests in step with the workspace members in Cargo.toml.

ARG RUST_VERSION=1
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
ARG BIN
RUN test -n "${BIN}" || { echo "build with --build-arg BIN=api-server|ws-server" >&2; exit 1; }
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# 1. Dependencies only: manifests + lock file + empty crate roots.
COPY Cargo.toml Cargo.lock ./
COPY shared/Cargo.toml shared/Cargo.toml
COPY api-server/Cargo.toml api-server/Cargo.toml
COPY ws-server/Cargo.toml ws-server/Cargo.toml
COPY e2e/loadgen/Cargo.toml e2e/loadgen/Cargo.toml
COPY e2e/smtp-sink/Cargo.toml e2e/smtp-sink/Cargo.toml
COPY e2e/oidc-provider/Cargo.toml e2e/oidc-provider/Cargo.toml
RUN mkdir -p shared/src api-server/src ws-server/src e2e/loadgen/src e2e/smtp-sink/src e2e/oidc-provider/src \
 && touch shared/src/lib.rs \
 && echo 'fn main() {}' > api-server/src/main.rs \
 && echo 'fn main() {}' > ws-server/src/main.rs \
 && echo 'fn main() {}' > e2e/loadgen/src/main.rs \
 && for c in smtp-sink oidc-provider; do touch e2e/$c/src/lib.rs && echo 'fn main() {}' > e2e/$c/src/main.rs; done
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo build --release --locked -p "${BIN}" \
 && rm -rf shared/src api-server/src ws-server/src e2e/loadgen/src e2e/smtp-sink/src e2e/oidc-provider/src

# 2. The real sources (migrations are embedded at compile time by the api-server).
COPY shared shared
COPY api-server api-server
COPY ws-server ws-server
COPY e2e/loadgen e2e/loadgen
COPY e2e/smtp-sink e2e/smtp-sink
COPY e2e/oidc-provider e2e/oidc-provider
COPY migrations migrations
# COPY keeps the files' old mtimes: touch them so cargo rebuilds the workspace crates over the
# dummy ones compiled above.
RUN find shared api-server ws-server e2e/loadgen e2e/smtp-sink e2e/oidc-provider -name '*.rs' -exec touch {} + \
 && touch shared/Cargo.toml api-server/Cargo.toml ws-server/Cargo.toml e2e/loadgen/Cargo.toml \
    e2e/smtp-sink/Cargo.toml e2e/oidc-provider/Cargo.toml
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    cargo build --release --locked -p "${BIN}" \
 && install -D -m 0755 "target/release/${BIN}" /out/app

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG BIN
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chat \
 && useradd --system --uid 10001 --gid chat --no-create-home --shell /usr/sbin/nologin chat \
 && mkdir -p /var/lib/chat/media \
 && chown -R chat:chat /var/lib/chat
COPY --from=build /out/app /usr/local/bin/app
RUN ln -s /usr/local/bin/app "/usr/local/bin/${BIN}"
ENV LOG_FORMAT=json \
    MEDIA_DIR=/var/lib/chat/media \
    RUST_LOG=info
USER chat:chat
WORKDIR /var/lib/chat
# api-server listens on API_ADDR (compose: 0.0.0.0:8080), ws-server on WS_ADDR (0.0.0.0:8090);
# both serve /healthz, /readyz and /metrics on that port. SIGTERM = graceful stop.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/app"]
