# tusk container image: build a release binary, then ship it on a slim Debian as a non-root user.
#   docker build -t tusk .
#   docker run -d -p 5432:5432 -e TUSK_PASSWORD=secret -v tusk-data:/var/lib/tusk tusk
# The server takes its settings from TUSK_* environment variables (TUSK_PORT, TUSK_PASSWORD, ...).

FROM rust:1-bookworm AS builder
WORKDIR /src
# the whole build context, minus what .dockerignore leaves out (target/, .git/, data dirs, logs)
COPY . .
RUN cargo build --release --locked \
 && install -m 0755 target/release/tusk /usr/local/bin/tusk

FROM debian:bookworm-slim
# a fixed, non-root uid/gid so that volume ownership is predictable
RUN groupadd --system --gid 999 tusk \
 && useradd --system --uid 999 --gid tusk --home-dir /var/lib/tusk --no-create-home --shell /usr/sbin/nologin tusk \
 && mkdir -p /var/lib/tusk \
 && chown tusk:tusk /var/lib/tusk \
 && chmod 0700 /var/lib/tusk
COPY --from=builder /usr/local/bin/tusk /usr/local/bin/tusk
ENV TUSK_DATA_DIR=/var/lib/tusk \
    TUSK_LISTEN_ADDRESSES=0.0.0.0 \
    TUSK_METRICS_LISTEN=0.0.0.0:9187
VOLUME /var/lib/tusk
WORKDIR /var/lib/tusk
# 5432: PostgreSQL wire protocol; 9187: Prometheus metrics
EXPOSE 5432 9187
USER tusk
# SIGINT is tusk's fast shutdown; docker stop sends it instead of SIGTERM
STOPSIGNAL SIGINT
# `tusk ping` exits 0 when the server accepts connections (port from TUSK_PORT, default 5432)
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["tusk", "ping"]
ENTRYPOINT ["tusk"]
