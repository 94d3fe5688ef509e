# The app's Dockerfile, written the cache-friendly way: the lockfile first so a
# code-only change reuses the `npm ci` layer, production dependencies only, the
# npm cache dropped in the same layer, a numeric non-root user.
ARG BASE
FROM ${BASE}
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
USER 1000
EXPOSE 8080
CMD ["node", "hello.js"]
