# corebind's container image, built with Docker:
#
#     docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) -t corebind:0.1.0 .
#
# `./build.sh image` builds the same image — same files, user, ports,
# entrypoint and labels — without a container engine and reproducibly (its
# digest depends only on the commit, the Go toolchain and the CA bundle);
# e2e/image_test.go keeps the final stage below in step with it. As CoreDNS's
# own image: a static binary allowed to bind port 53 as a non-root user, the CA
# certificates, nothing else. Pin the golang image by digest for repeatable
# Docker builds.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
# setcap: the non-root user binds port 53 through this file capability; the
# Kubernetes Deployment adds NET_BIND_SERVICE to the container for it.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG REVISION=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.commit=${REVISION}" -o /coredns . \
 && setcap cap_net_bind_service=+ep /coredns

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /coredns /coredns
USER 65532:65532
WORKDIR /
EXPOSE 53 53/udp
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="corebind" \
      org.opencontainers.image.description="CoreDNS v1.15.0 with corebind's plugins: querylog, recursionacl, rfc2317, stubzones, chaosmask, rrl" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/corebind/corebind"
ENTRYPOINT ["/coredns"]
CMD ["-conf", "/etc/coredns/Corefile"]
