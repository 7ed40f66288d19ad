# syntax=docker/dockerfile:1
# The operator image: the SDK compiles the operator ahead of time to one native program, which runs on the base that
# .NET's own native programs use (C library, OpenSSL, certificates; no .NET runtime). No JIT and no mapped framework:
# an idle operator holds about 48 MiB instead of 112 (docs/scale.md, "Runtime settings"). The base is patched by
# rebuilding on a newer one.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
WORKDIR /src
# The native compiler links with clang and zlib.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

# Restore with only the build settings and project files, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/BlueGreenOperator/BlueGreenOperator.csproj src/BlueGreenOperator/
RUN dotnet restore src/BlueGreenOperator/BlueGreenOperator.csproj -r linux-x64 -p:Native=true

COPY src/BlueGreenOperator/ src/BlueGreenOperator/
RUN dotnet publish src/BlueGreenOperator/BlueGreenOperator.csproj -c Release -r linux-x64 -p:Native=true --no-restore -o artifacts/publish

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS final
LABEL org.opencontainers.image.title="bluegreen-operator" \
      org.opencontainers.image.description="Blue-green rollouts for ML model servers on Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV Operator__Listen=http://0.0.0.0:8080 \
    DOTNET_gcServer=0 \
    DOTNET_GCConserveMemory=5 \
    DOTNET_RUNNING_IN_CONTAINER=true
WORKDIR /app
COPY --from=build --chown=0:0 /src/artifacts/publish/ /app/
# Files stay owned by root and read-only for the runtime user; the chart also mounts the root filesystem read-only.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/app/bluegreen-operator"]
