# syntax=docker/dockerfile:1
# drift-detector image: build the TypeScript once, ship compiled JS with production dependencies only.
#   docker build -t drift-detector .
#   docker run -v $PWD/deploy/config.example.yaml:/etc/drift-detector/config.yaml:ro -p 9464:9464 drift-detector

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY deploy/docker/tsconfig.build.json deploy/docker/build-cli.mjs deploy/docker/
COPY src ./src
COPY schemas ./schemas
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# bin.js runs dist/cli/drift-detector.cjs (the bundled CLI, with its V8 code cache) when present; schemas/ is read at runtime (single source of truth for the contracts).
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/schemas ./schemas
COPY --from=build --chown=node:node /app/src/cli/bin.js ./src/cli/bin.js
COPY --chown=node:node deploy/config.example.yaml /etc/drift-detector/config.yaml
# the node image's unprivileged user (uid 1000)
USER node
EXPOSE 9464
# Kubernetes probes use GET /healthz and /readyz on the metrics port; a plain Docker healthcheck does too.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "src/cli/bin.js"]
CMD ["run", "--config", "/etc/drift-detector/config.yaml"]
