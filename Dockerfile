# vsetd as a sidecar container:
#   docker build -t vsetd . && docker run -p 6379:6379 -v vsetd-data:/data vsetd
# Options: arguments after the image name (`vsetd --requirepass secret`), a mounted config file
# as the first argument (`vsetd /conf/vsetd.conf`), or VSETD_<OPTION> environment variables
# (`-e VSETD_APPENDONLY=yes`); arguments win over the file, the file over the environment.

# Build stage: the full image has the compilers that dev dependencies with native code need.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY bench ./bench
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's defaults, as environment variables: the weakest source, so a mounted config file
# or an argument overrides them. Listen on every interface inside the container (publish the
# port only where you need it); data in /data. Clients reach the server through Docker's network,
# never its loopback interface, so protected mode (on by default, as in Redis) would refuse them
# all while the default user has no password: the image turns it off. On a shared network give a
# password (`docker run … vsetd --requirepass secret`) or mount a config file with ACL users
# (README, Security); `-e VSETD_PROTECTED_MODE=yes` turns it back on.
ENV VSETD_BIND=0.0.0.0 \
    VSETD_DIR=/data \
    VSETD_PROTECTED_MODE=no
# The node image's unprivileged user, by number: Kubernetes' runAsNonRoot can only verify a
# numeric user. /data is its own so that snapshots, the AOF and CONFIG REWRITE can write.
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME /data
EXPOSE 6379
# vsetd saves (when save points are set) and exits 0 on SIGTERM, within shutdown-timeout plus the
# save; a second signal exits at once. Give `docker stop -t` that long.
STOPSIGNAL SIGTERM
# PING with the server's own options (found from its command line and environment), AUTH and
# TLS included; -LOADING while a large dataset loads counts as not yet healthy, which the start
# period allows for. No extra tool: the check is a small Node script.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "dist/src/healthcheck.js"]
ENTRYPOINT ["node", "dist/src/main.js"]
