# syntax=docker/dockerfile:1
# Cairn server image: the built server, the built web UI it serves, production dependencies only.
#
#   docker build -t cairn .
#   docker run -p 8642:8642 -v cairn-data:/data cairn                      # embedded PGlite in /data
#   docker run -p 8642:8642 -e CAIRN_DATABASE_URL=postgres://… cairn       # external PostgreSQL
#
# Configuration is by CAIRN_* environment variables only (see docker-compose.yml).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- base: Node 20 with the npm that wrote package-lock.json (packageManager in package.json) ---
FROM ${NODE_IMAGE} AS base
RUN npm install -g npm@11.19.1 --no-audit --no-fund && npm cache clean --force

# --- manifests: every package.json + the lockfile, so `npm ci` stays cached until they change ---
FROM base AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && find . -path ./node_modules -prune -o -path '*/node_modules' -prune -o \
      \( -name package.json -o -name package-lock.json -o -name .npmrc \) -type f -print0 \
    | tar --null -cf - -T - | tar -xf - -C /out

# --- build: all dependencies, then build core, sdk, server and web (turbo builds dependencies first) ---
FROM base AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1
COPY --from=manifests /out/ ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx turbo run build --filter=@cairn/server --filter=@cairn/web
# Collect what the runtime needs: each workspace's manifest plus the files it declares it ships
# ("files" in its package.json: dist, migrations, openapi.json, …).
RUN set -eu; mkdir -p /deploy; \
    for pkg in core server web; do \
      dir="packages/$pkg"; mkdir -p "/deploy/$dir"; \
      for f in $(node -p "(require('./$dir/package.json').files ?? ['dist']).join(' ')"); do \
        if [ -e "$dir/$f" ]; then cp -a "$dir/$f" "/deploy/$dir/"; fi; \
      done; \
    done; \
    test -f /deploy/packages/server/dist/main.js; \
    test -f /deploy/packages/web/dist/index.html

# --- runtime: production dependencies of the server only ---
FROM base AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=manifests /out/ ./
RUN npm ci --omit=dev --workspace @cairn/server --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data && chown node:node /data
COPY --from=build /deploy/ ./

USER node
ENV CAIRN_HOST=0.0.0.0 CAIRN_DATA_DIR=/data
VOLUME /data
EXPOSE 8642
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.CAIRN_PORT || 8642}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "packages/server/dist/main.js"]
