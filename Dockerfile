# Edge images. Edge node (default): docker build -t edge-server .
# Control plane: docker build --target control-plane -t edge-control-plane .
# Encoder and origin: docker build --target encoder -t edge-encoder .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# npm fetches the control plane's player packages (hls.js, dash.js), pinned by package-lock.json.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
# Project files and props first so the restore layer is cached across source edits.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Contracts/Edge.Contracts.csproj Contracts/
COPY EdgeServer/EdgeServer.csproj EdgeServer/
COPY ControlPlane/ControlPlane.csproj ControlPlane/
COPY Encoder/Encoder.csproj Encoder/
RUN dotnet restore EdgeServer/EdgeServer.csproj && dotnet restore ControlPlane/ControlPlane.csproj \
 && dotnet restore Encoder/Encoder.csproj
COPY Contracts/ Contracts/
COPY EdgeServer/ EdgeServer/
COPY ControlPlane/ ControlPlane/
COPY Encoder/ Encoder/
RUN dotnet publish EdgeServer/EdgeServer.csproj -c Release --no-restore -o /app/edge \
 && dotnet publish ControlPlane/ControlPlane.csproj -c Release --no-restore -o /app/control-plane \
 && dotnet publish Encoder/Encoder.csproj -c Release --no-restore -o /app/encoder

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS control-plane
WORKDIR /app
COPY --from=build /app/control-plane ./
ENV ASPNETCORE_URLS=http://+:8090 \
    ControlPlane__TopologyFile=/etc/edge/topology.json
EXPOSE 8090
USER app
ENTRYPOINT ["dotnet", "ControlPlane.dll"]

# ffmpeg from the distribution's packages; encode jobs and the origin share this image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS encoder
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/encoder ./
EXPOSE 8000
USER app
ENTRYPOINT ["dotnet", "Encoder.dll"]
CMD ["serve", "--content", "/srv/content", "--urls", "http://+:8000"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS edge
WORKDIR /app
COPY --from=build /app/edge ./
RUN mkdir -p /var/cache/edge && chown app:app /var/cache/edge
ENV ASPNETCORE_URLS=http://+:8080 \
    Edge__CacheDirectory=/var/cache/edge
EXPOSE 8080
VOLUME ["/var/cache/edge"]
USER app
ENTRYPOINT ["dotnet", "EdgeServer.dll"]
