# The peer of a pulled golang image (Docker Hub is not reachable here): Debian trixie
# slim + Debian's Go 1.24 (golang-1.24-go, on PATH). Context: *.crt, the host's extra
# CAs (the HTTPS proxy's), so `go mod download` reaches the Go module proxy. Built
# once per machine and kept; `apt-get clean` as debian:*-slim does.
ARG DEBIAN
FROM ${DEBIAN}
COPY *.crt /usr/local/share/ca-certificates/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates golang-1.24-go git \
 && update-ca-certificates -f \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/go-1.24/bin:$PATH GOTOOLCHAIN=local
