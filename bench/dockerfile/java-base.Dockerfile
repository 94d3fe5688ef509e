# The peers of a pulled JDK + Maven build image and a JRE runtime image (Docker Hub is
# not reachable here), both Debian trixie slim + Debian's OpenJDK 21 as dockless
# installs it: target `jdk` (openjdk-21-jdk-headless + maven, for the build stage) and
# target `jre` (openjdk-21-jre-headless, the runtime). Built once per machine and kept.
# Context: *.crt, the host's extra CAs (the HTTPS proxy's), trusted in the jdk image
# only so Maven can reach Maven Central; the runtime image has Debian's CAs alone.
# /usr/share/man/man1: the slim excludes drop it, and the JDK's update-alternatives
# links (man pages) fail without it. `apt-get clean`: the downloaded .debs stay out
# of the layers, as debian:*-slim's /etc/apt/apt.conf.d/docker-clean (which this
# minbase lacks) ensures.
ARG DEBIAN

FROM ${DEBIAN} AS jre
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

FROM ${DEBIAN} AS jdk
COPY *.crt /usr/local/share/ca-certificates/
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates openjdk-21-jdk-headless maven \
 && update-ca-certificates -f \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
