# syntax=docker/dockerfile:1
#
# sfu-gateway image: the compiled executable alone on a distroless Debian 12 base (glibc, no shell,
# no package manager), running as a non-root user.
#
#   docker build -t sfu-gateway .
#   docker run --rm -p 8071:8071 \
#     -e SFU_GATEWAY_KEY="$ODOO_SFU_SERVER_KEY" \
#     -v "$PWD/secrets.toml:/etc/sfu-gateway/secrets.toml:ro" \
#     sfu-gateway
#
# The SFU list comes from /etc/sfu-gateway/secrets.toml (the default path, relative to the working
# directory below) or from SFU_GATEWAY_NODES. The gateway runs as uid 65532: the mounted file must
# be readable by that user, and by no one else (chmod 600, owned by 65532). Check a configuration:
#   docker run --rm -e SFU_GATEWAY_KEY=... -v ... sfu-gateway --check

# --- build: the exact packages of package-lock.json, then `bun build --compile` -----------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
# swagger-ui-dist depends on @scarf/scarf, whose install script would send usage statistics.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
# Install scripts stay off (npm releases before the allowScripts field run every one); the only one
# the build needs is bun's, which puts this platform's bun executable in place.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node node_modules/bun/install.js \
 && node_modules/.bin/bun --version
COPY bunfig.toml tsconfig.json ./
COPY src ./src
RUN npm run build \
 && ./dist/sfu-gateway --version

# --- runtime: the binary and nothing else ----------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/sfu-gateway /usr/local/bin/sfu-gateway
WORKDIR /etc/sfu-gateway
ENV SFU_GATEWAY_BIND=0.0.0.0 \
    SFU_GATEWAY_PORT=8071
EXPOSE 8071
# The image has no shell and no curl: the health check runs the binary itself (exec form), which
# asks /health on SFU_GATEWAY_BIND/PORT (0.0.0.0 is asked on 127.0.0.1) and exits 0, or 1 with one
# line saying why. Liveness only: readiness (SFUs usable) is GET /ready, for the load balancer.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/sfu-gateway", "--healthcheck"]
# SIGTERM stops gracefully: no new connections, requests in flight finish (each within its SFU
# deadline, 2.5 s by default; at most SFU_GATEWAY_STOP_TIMEOUT_MS), exit 0. SIGHUP reloads the
# secrets file (docker kill --signal HUP).
STOPSIGNAL SIGTERM
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sfu-gateway"]
