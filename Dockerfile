# prbox: one image for `prbox start` (the default), `prbox server`, `prbox worker` and every CLI
# verb (`docker run IMAGE render -f ...`). docs/adr/0010-image-and-chart.md explains the layout.
#
# Every stage starts from the same official Node image, pinned to the Node version the lockfile's
# `node` devDependency gives the tests (24.21.0), on Debian bookworm, slim variant.

# --- helm: the pinned binary, installed by the same script the tests and CI use -------------------
FROM node:24.21.0-bookworm-slim AS helm
WORKDIR /src
COPY scripts/install-helm scripts/unzip-member.mjs scripts/
RUN PRBOX_CACHE=/opt/prbox scripts/install-helm

# --- build: bundle dist/ ---------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would bundle before the sources are copied, and the `node`
# devDependency's install script would download a second Node that the build does not need
# (esbuild runs from its platform package without its install script).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/
COPY src src
RUN npm run build

# --- deps: production dependencies only ------------------------------------------------------------
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency left after --omit=dev needs an install script (package.json's allowScripts names
# only esbuild and node, both development tools).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------------------------------
FROM node:24.21.0-bookworm-slim
# The root filesystem is read-only in the chart: everything that writes (helm, the sources of a
# deploy, Node's and helm's caches) goes to /tmp, an emptyDir there.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_CONFIG_HOME=/tmp/.config \
    XDG_DATA_HOME=/tmp/.local/share \
    HELM_BIN=/usr/local/bin/helm \
    HELM_CACHE_HOME=/tmp/.cache/helm \
    HELM_CONFIG_HOME=/tmp/.config/helm \
    HELM_DATA_HOME=/tmp/.local/share/helm
WORKDIR /app
COPY --from=helm /opt/prbox/helm-v4.1.4/helm /usr/local/bin/helm
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json app.yml ./
COPY bin bin
# The base image's `node` user, by number so that runAsNonRoot can verify it. The files above stay
# owned by root: the app cannot change its own code.
USER 1000:1000
EXPOSE 3000
# Exec form: node is PID 1 and receives SIGTERM itself; `start`, `server` and `worker` handle it by
# finishing the running jobs and closing the server (Node has no default SIGTERM action as PID 1,
# so the handler is what makes it stop).
ENTRYPOINT ["node", "/app/bin/prbox.js"]
CMD ["start"]
