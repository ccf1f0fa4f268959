# syntax=docker/dockerfile:1
# The web client (Nuxt, web/) built as a static SPA, shipped as files for nginx.
#   docker build -f deploy/docker/web.Dockerfile -t chat/web .
# Build context: the repository root (see .dockerignore).
#
# The final stage holds only the generated site in /dist. In docker compose the one-shot
# service `web` copies it into the `web_dist` volume that nginx serves read-only, then exits;
# a rebuild + `docker compose up -d` refreshes the site without rebuilding nginx.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY web/ ./
ENV NUXT_TELEMETRY_DISABLED=1
RUN npm run generate \
 && test -f .output/public/index.html
# CSP hashes of the inline scripts of index.html, read by deploy/nginx/render.sh.
COPY deploy/nginx/csp_hashes.py /tmp/csp_hashes.py
RUN python3 /tmp/csp_hashes.py .output/public > .output/public/.csp-script-hashes

FROM alpine:3.20 AS dist
COPY --from=build /web/.output/public /dist
# Replace the previous site in the mounted volume (nginx starts only after this exits 0).
CMD ["/bin/sh", "-c", "set -e; mkdir -p /srv/web; find /srv/web -mindepth 1 -maxdepth 1 -exec rm -rf {} +; cp -a /dist/. /srv/web/; echo \"web: $(find /srv/web -type f | wc -l) files copied to /srv/web\""]
