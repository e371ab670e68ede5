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
# Listen on every interface inside the container; publish the port only where you need it and set
# --requirepass when the network is shared.
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["--bind", "0.0.0.0", "--dir", "/data"]
