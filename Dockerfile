# vsetd as a sidecar container: `docker build -t vsetd . && docker run -p 6379:6379 -v vsetd-data:/data vsetd`
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
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 6379
# Listen on every interface inside the container. Clients reach it through Docker's network, never
# its loopback interface, so protected mode (on by default, as in Redis) would refuse them all while
# the default user has no password: this CMD turns it off. On a shared network give a password
# instead, which keeps protected mode on and lets authenticated clients in (arguments replace CMD):
#   docker run -p 6379:6379 vsetd --bind 0.0.0.0 --dir /data --requirepass secret
# or mount a config file with ACL users (see README, Security).
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--bind", "0.0.0.0", "--dir", "/data", "--protected-mode", "no"]
