#!/usr/bin/env bash
# Serves the same files from nginx and from a warmed edge node, runs the same wrk load against
# each, and prints edge/nginx ratios. Needs: apt-get install -y nginx wrk
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-32}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/files/t" "$work/cache" "$work/logs"
head -c 2048 /dev/urandom > "$work/files/t/manifest.m3u8"
head -c 65536 /dev/urandom > "$work/files/t/seg64k.m4s"
head -c 524288 /dev/urandom > "$work/files/t/seg512k.m4s"
head -c 2097152 /dev/urandom > "$work/files/t/seg2m.m4s"

cat > "$work/nginx.conf" <<CONF
worker_processes $(nproc);
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  open_file_cache max=10000 inactive=60s;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
  # An origin states lifetimes; without them the edge would revalidate files only seconds old.
  expires 1h;
  server { listen 127.0.0.1:18081; root $work/files; }
}
CONF
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

dotnet build EdgeServer -c Release -v quiet -nologo >/dev/null
dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls http://127.0.0.1:18082 \
  --Edge:CacheDirectory="$work/cache" --Edge:OriginUrl=http://127.0.0.1:18081 --Edge:NodeId=bench \
  --Logging:LogLevel:Default=Warning >"$work/logs/edge.log" 2>&1 &
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18082) 2>/dev/null && break; sleep 0.2; done

run() { wrk -t2 -c"$connections" -d"$duration" --latency "$1" | awk '/Requests\/sec/ {r=$2} /Transfer\/sec/ {t=$2} / 99%/ {p=$2} END {print r, t, p}'; }
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else print v*1000 }'; }

printf "%-15s %12s %12s %9s %10s %10s %9s\n" object edge_req/s nginx_req/s ratio edge_p99ms nginx_p99 p99_ratio
for object in manifest.m3u8 seg64k.m4s seg512k.m4s seg2m.m4s; do
  for _ in 1 2 3; do curl -fs -o /dev/null "http://127.0.0.1:18082/t/$object"; done   # warm: stored on the 2nd request, in memory on the 3rd
  read -r er _ ep <<<"$(run "http://127.0.0.1:18082/t/$object")"
  read -r nr _ np <<<"$(run "http://127.0.0.1:18081/t/$object")"
  ep=$(to_ms "$ep"); np=$(to_ms "$np")
  printf "%-15s %12s %12s %9.2f %10s %10s %9.2f\n" "$object" "$er" "$nr" "$(awk -v a="$er" -v b="$nr" 'BEGIN{print a/b}')" "$ep" "$np" "$(awk -v a="$ep" -v b="$np" 'BEGIN{print a/b}')"
done
