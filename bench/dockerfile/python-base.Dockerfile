# The peer of a pulled python:3.13-slim (Docker Hub is not reachable here): Debian
# trixie slim + Debian's CPython 3.13 and its venv module, the Python dockless
# installs. Context: *.crt, the host's extra CAs (the HTTPS proxy's), so pip reaches
# PyPI. Built once per machine and kept; `apt-get clean` as debian:*-slim does.
ARG DEBIAN
FROM ${DEBIAN}
COPY *.crt /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3.13 python3.13-venv \
 && update-ca-certificates -f \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
