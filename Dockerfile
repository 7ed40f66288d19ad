# syntax=docker/dockerfile:1
# The operator image: the SDK builds, the .NET runtime runs, nothing else ships.
# Framework-dependent on runtime (not self-contained on runtime-deps): the operator is a generic host with no web
# framework (its probes and metrics are served by HttpListener), the shared framework layer is reused by every .NET
# image on a node and is patched by rebuilding on a newer base, and the publish output stays small (about the
# operator and its packages).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1
WORKDIR /src

# Restore with only the build settings and project files, so source edits reuse the restored layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/BlueGreenOperator/BlueGreenOperator.csproj src/BlueGreenOperator/
RUN dotnet restore src/BlueGreenOperator/BlueGreenOperator.csproj

COPY src/BlueGreenOperator/ src/BlueGreenOperator/
RUN dotnet publish src/BlueGreenOperator/BlueGreenOperator.csproj -c Release --no-restore -p:UseAppHost=false -o artifacts/publish

FROM mcr.microsoft.com/dotnet/runtime:10.0 AS final
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
ENTRYPOINT ["dotnet", "/app/bluegreen-operator.dll"]
