# callflow image: one image for both processes. The default command runs the ingress;
# the worker runs from the same image with `tsx src/main-worker.ts`.
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first so source edits do not invalidate the install layer.
# package.json sets allowScripts to false for every package with an install script
# (@swc/core, esbuild, protobufjs); none is needed at run time, so they are skipped here too. The image has
# Node 24 itself, so the Node binary package that machines without it install is dropped.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts \
 && rm -rf node_modules/node-linux-* node_modules/.bin/node \
 && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY scripts ./scripts
COPY agents ./agents

# The workflow code bundled once, with and without the tracing interceptors: workers start in a second or two
# instead of bundling at every start, and take the bundle that matches OTEL_EXPORTER_OTLP_ENDPOINT.
RUN tsx scripts/build-workflows.ts --all -o /app/dist
ENV CALLFLOW_WORKFLOW_BUNDLE=/app/dist

# The code stays root-owned and read-only for the runtime user; only the data
# directory (embedded store when DATABASE_URL is unset) is writable.
RUN mkdir -p /app/.data \
 && chown node:node /app/.data

USER node

EXPOSE 3000
# tsx runs as PID 1 and relays SIGTERM to the service, which drains before exiting.
# `npx tsx ...` also works in this image, but npx exits on SIGTERM without passing it on,
# so `docker stop` would kill the service instead of stopping it gracefully.
CMD ["tsx", "src/main-ingress.ts"]
