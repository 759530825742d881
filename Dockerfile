# The supertrace proxy image:
#   docker build -t supertrace-proxy .
#   docker run -p 8080:8080 -e SUPERTRACE_UPSTREAM=http://app:3000 -e SUPERTRACE_REDIS_URL=redis://redis:6379 supertrace-proxy
#
# Its RUN steps are the same commands the test suite runs: `npm ci` (whose
# `prepare` script is `npm run build`), `npm ci --omit=dev --ignore-scripts`,
# and `node dist/proxy/cli.js health` (the health check: GET /healthz on the admin port).

FROM node:26-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY core/ core/
COPY proxy/ proxy/
COPY instrumentation/ instrumentation/
COPY index.ts ./
# Installs every dependency and compiles the TypeScript into dist/ (the prepare script).
RUN npm ci

FROM node:26-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only; no install scripts (none is needed at run time).
RUN npm ci --omit=dev --ignore-scripts
COPY --from=build /app/dist/ dist/
USER node
# 8080: the proxy; 9901: its admin server (/healthz, /readyz, /metrics), for the platform only.
EXPOSE 8080 9901
ENV SUPERTRACE_HOST=0.0.0.0 SUPERTRACE_PORT=8080 SUPERTRACE_ADMIN_PORT=9901
# Asks http://127.0.0.1:$SUPERTRACE_ADMIN_PORT/healthz, bounded at 2 s.
HEALTHCHECK CMD ["node", "dist/proxy/cli.js", "health"]
ENTRYPOINT ["node", "dist/proxy/cli.js"]
CMD ["proxy"]
