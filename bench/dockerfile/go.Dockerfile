# A Go app's Dockerfile, written the usual good way: modules first (`go mod download`
# on go.mod + go.sum, so a code-only change reuses them), a static, reproducible
# build (CGO_ENABLED=0, -trimpath, empty build id) in a build stage on the golang
# image, then the binary alone on Debian slim, USER 1000.
ARG BUILD
ARG RUNTIME

FROM ${BUILD} AS build
ENV CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags=-buildid= -o /out/app .

FROM ${RUNTIME}
ENV PORT=8080
COPY --from=build /out/app /app
USER 1000
EXPOSE 8080
CMD ["/app"]
