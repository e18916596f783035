# syntax=docker/dockerfile:1
# Production image: one static binary without the embedded Temporal server
# (built with -tags nodevserver), for the api, worker and feed services.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -tags nodevserver -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/stocking ./cmd/stocking

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stocking /stocking
USER nonroot:nonroot
EXPOSE 5100
ENV STOCKING_ENV=production PORT=5100
ENTRYPOINT ["/stocking"]
CMD ["serve"]
