# herd-controller's image (manifests/kustomization.yaml names it once, under images:).
#
#   docker build -t ghcr.io/suse/herd-controller:0.1.0 .
#
# The build stage runs scripts/build-controller.sh: the Debian packages of scripts/install-deps.sh, a Release
# build with DT_RPATH $ORIGIN/lib, then the binary and every shared library it loads but
# glibc's staged in /out. CI runs that script's staging (herd-distribution-tests) because no Docker engine runs
# on the project's machines: the image itself is not built there.
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN ./scripts/build-controller.sh --build-dir /tmp/build --out /out

FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="herd-controller" \
      org.opencontainers.image.description="Herd's admission webhook and Stack reconciler" \
      org.opencontainers.image.source="https://github.com/suse/herd" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/ /opt/herd/
COPY LICENSE /usr/share/doc/herd-controller/LICENSE
# The Deployment runs as 65532 too (runAsNonRoot). No package is installed: /opt/herd/lib holds the libraries.
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/opt/herd/herd-controller"]
