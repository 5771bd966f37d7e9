# The image runs exactly the bundle that test/bundle.test.ts runs, dist/ (the entry irsa-issuer.mjs and
# the chunks it loads), on Node 24,
# and nothing else: no npm, no shell, no node_modules. test/image/ runs what this file says the image
# runs (ENTRYPOINT, CMD, USER, WORKDIR, the one COPY) without a Docker engine: keep ENTRYPOINT and
# CMD in exec form (JSON arrays; there is no shell) and USER as uid:gid.

# The bundle is plain JavaScript, so build it once on the builder's own platform even for a
# multi-platform image.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: this stage has its own Node 24, so the devDependency `node` (which fetches a
# second Node at install) is not needed; esbuild runs from its optional platform package.
# --omit=peer: peers only the test tooling pulls in (aws-cdk-lib, ~160 MB, from the package that
# ships Helm). The bundle built this way is byte-identical to `npm run build`'s.
RUN npm ci --no-fund --no-audit --ignore-scripts --omit=peer
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/undici-absent.mjs scripts/
COPY src src
RUN node scripts/build.mjs

# distroless: Node 24 and CA certificates only; its entrypoint is /nodejs/bin/node and `node` is
# not on PATH. :nonroot runs as 65532 already; USER below states it numerically, so the kubelet can
# check runAsNonRoot against the image itself.
FROM gcr.io/distroless/nodejs24-debian12:nonroot
# docker build --build-arg VERSION=$(node -p 'require("./package.json").version') --build-arg SOURCE=<repository URL>
# The default is package.json's version (test/release/version.test.ts checks it).
ARG VERSION=0.1.0
ARG SOURCE=
LABEL org.opencontainers.image.title="irsa-issuer" \
      org.opencontainers.image.description="Publish a Kubernetes cluster's service-account issuer so AWS IAM (IRSA) trusts it" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# Owned by root: the user 65532 can read the bundle, not change it. Node's compile cache goes to /tmp
# (the chart's emptyDir): a daemon compiles once, and a read-only /tmp only leaves the cache off.
COPY --from=build /src/dist/ /app/
# Nothing is written outside /tmp (the chart mounts an emptyDir there), so the root filesystem can
# be read-only.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/irsa-issuer.mjs"]
CMD ["sync"]
