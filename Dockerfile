# Edge node image. Build: docker build -t edge-server .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files and props first so the restore layer is cached across source edits.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY EdgeServer/EdgeServer.csproj EdgeServer/
RUN dotnet restore EdgeServer/EdgeServer.csproj
COPY EdgeServer/ EdgeServer/
RUN dotnet publish EdgeServer/EdgeServer.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /var/cache/edge && chown app:app /var/cache/edge
ENV ASPNETCORE_URLS=http://+:8080 \
    Edge__CacheDirectory=/var/cache/edge
EXPOSE 8080
VOLUME ["/var/cache/edge"]
USER app
ENTRYPOINT ["dotnet", "EdgeServer.dll"]
