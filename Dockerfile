# skill-sync receiver image: Node 24, non-root, /data prepared at start (Railway mounts volumes root-owned).
# Build: docker build -t skill-sync .   Run: docker run -v data:/data -e SKILL_SYNC_PUBLIC_KEYS=... -p 8787:8787 skill-sync

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core core
COPY receiver receiver
COPY cli cli
COPY action action
COPY bench bench
COPY scripts scripts
COPY schemas schemas
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends gosu tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production DATA_DIR=/data PORT=8787
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/lib lib
COPY package.json ./
COPY bin bin
COPY schemas schemas
COPY docker/entrypoint.sh /usr/local/bin/skill-sync-entrypoint
RUN chmod 0755 /usr/local/bin/skill-sync-entrypoint bin/skill-sync.js \
  && ln -s /app/bin/skill-sync.js /usr/local/bin/skill-sync
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["tini", "--", "skill-sync-entrypoint"]
# --expose-gc at launch: the receiver's garbage budget collects only then (docs/decisions.md, "Performance layer").
CMD ["node", "--expose-gc", "/app/bin/skill-sync.js", "receiver"]
