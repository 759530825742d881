# syntax=docker/dockerfile:1
# The supertrace proxy: put it in front of your app. (Apps get the instrumentation from the
# npm package, `node --import supertrace/register`, not from this image.)
#
#   docker build -t supertrace-proxy .
#   docker run -p 8080:8080 -e SUPERTRACE_UPSTREAM=http://app:3000 -e SUPERTRACE_REDIS_URL=redis://redis:6379 supertrace-proxy
#
# Behind a TLS-inspecting proxy, hand npm your CA bundle for the build:
#   docker build --secret id=extra-ca-certs,src="$NODE_EXTRA_CA_CERTS" \
#     --build-arg NODE_EXTRA_CA_CERTS=/run/secrets/extra-ca-certs -t supertrace-proxy .
#
# `npm run test:image` builds this file with buildah and runs the image in front of a test app,
# and as deploy/docker-compose.yml and the Pod in deploy/kubernetes/ run it.

ARG NODE_IMAGE=node:26-bookworm-slim

# Every dependency, to compile the TypeScript into dist/; then only what the proxy loads at run time
# is copied to /runtime (the instrumentation's dependencies, OpenTelemetry above all, are not the proxy's).
# `--ignore-scripts`: no install script is needed, and it skips the `node` devDependency's download of a
# second Node; the base image's Node runs the compiler.
FROM ${NODE_IMAGE} AS build
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=extra-ca-certs \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json index.ts cli.ts ./
COPY core/ core/
COPY proxy/ proxy/
COPY ingest/ ingest/
COPY storage/ storage/
COPY instrumentation/ instrumentation/
COPY deploy/image/ deploy/image/
RUN node_modules/.bin/tsc -p tsconfig.json && node deploy/image/runtime-files.ts /runtime

FROM ${NODE_IMAGE}
# Set by whoever builds a release: --build-arg VERSION=… --build-arg REVISION=$(git rev-parse HEAD)
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="supertrace-proxy" \
      org.opencontainers.image.description="The full debug page of a failed request, for superusers only, in front of any app" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production \
    SUPERTRACE_HOST=0.0.0.0 SUPERTRACE_PORT=8080 SUPERTRACE_ADMIN_PORT=9901
WORKDIR /app
# dist/ and the node_modules files it loads, with package.json (it says they are ES modules).
# Owned by root: the proxy writes nothing, and could not change its own code.
COPY --from=build /runtime/ ./
# The base image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
# 8080: the proxy; 9901: its admin server (/healthz, /readyz, /metrics), for the platform only.
EXPOSE 8080 9901
# Asks http://127.0.0.1:$SUPERTRACE_ADMIN_PORT/healthz, bounded at 2 s.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["node", "dist/cli.js", "health"]
# The proxy is PID 1 itself (no npm or shell in between): SIGTERM makes it stop taking connections,
# finish the requests in flight within SUPERTRACE_SHUTDOWN_GRACE_MS, and exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["proxy"]
