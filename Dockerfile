# The image runs exactly the bundle that test/bundle.test.ts runs: dist/irsa-issuer.mjs, on Node 24.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-fund --no-audit
COPY scripts/build.mjs scripts/build.mjs
COPY tsconfig.json ./
COPY src src
RUN node scripts/build.mjs

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /src/dist/irsa-issuer.mjs /app/irsa-issuer.mjs
# No shell needed, no root needed: the job reads the API server and writes to S3/IAM over HTTPS.
USER 65532:65532
ENTRYPOINT ["node", "/app/irsa-issuer.mjs"]
CMD ["--help"]
