# The peer of a pulled Ruby image (Docker Hub is not reachable here): Debian trixie
# slim + Debian's Ruby 3.3 and Bundler, the packages dockless installs. Built once
# per machine and kept. `apt-get clean`: the downloaded .debs stay out of the
# layer, as debian:*-slim's /etc/apt/apt.conf.d/docker-clean (which this minbase
# lacks) ensures.
ARG DEBIAN
FROM ${DEBIAN}
RUN apt-get update \
 && apt-get install -y --no-install-recommends ruby3.3 ruby bundler \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
