#!/usr/bin/env bash
# Low-latency live through one edge: the live encoder (a test pattern encoded now, LL-HLS, 2 s segments of 0.5 s
# parts) as the origin, one edge in front of it, and edge-load's low-latency viewers on the edge: blocking playlist
# reloads and every part, from the live edge. Prints edge-load's report (blocking reload and part fetch times, and
# how long after the encoder finished each part a viewer had it), then the origin requests per distinct URL from
# the origin's own log: one per part and per playlist version is the goal.
# Settings (environment): VIEWERS (500), DURATION (30s), RAMP (2s), LADDER (640x360@800k), PORT (18300; the edge is PORT+1).
set -euo pipefail
cd "$(dirname "$0")/.."
viewers="${VIEWERS:-500}"
duration="${DURATION:-30s}"
ramp="${RAMP:-2s}"
ladder="${LADDER:-640x360@800k}"
port="${PORT:-18300}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build Edge.sln -c Release -v quiet -nologo >/dev/null
mkdir -p "$work/content" "$work/cache"
dotnet Encoder/bin/Release/net10.0/Encoder.dll live --content "$work/content" --title ev --ladder "$ladder" \
  --urls "http://127.0.0.1:$port" --Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information >"$work/origin.log" 2>&1 &
pids+=($!)
dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$((port + 1))" --Edge:CacheDirectory="$work/cache" \
  --Edge:OriginUrl="http://127.0.0.1:$port" --Edge:NodeId=edge-live --Edge:Limits:MaxConnectionsPerClient=0 --AccessLog:Enabled=false \
  --Logging:LogLevel:Default=Warning >"$work/edge.log" 2>&1 &
pids+=($!)

height="${ladder%%@*}"; height="${height#*x}"
playlist="http://127.0.0.1:$((port + 1))/ev/${height}p/index.m3u8"
for _ in $(seq 1 150); do
  if curl -s "http://127.0.0.1:$port/ev/${height}p/index.m3u8" | grep -q '#EXTINF'; then break; fi
  sleep 0.2
done

echo "edge-load live: $viewers viewers for $duration on $playlist"
dotnet benchmarks/Edge.Load/bin/Release/net10.0/edge-load.dll live --playlist "$playlist" --viewers "$viewers" \
  --duration "$duration" --ramp "$ramp" --quiet

echo
echo "origin requests (from the origin's log), by how many times each distinct URL was asked for:"
grep "Request finished" "$work/origin.log" | sed -E 's/.*GET (http[^ ]+) .*/\1/' | sort | uniq -c \
  | awk '{ kind = ($2 ~ /_HLS_msn/) ? "playlist versions" : ($2 ~ /part[0-9]+\.m4s$/) ? "parts" : "other"; n[kind" asked "$1" time(s)"]++; total++ }
         END { for (k in n) print "  " k ": " n[k] " URLs"; print "  origin requests in all: " total }' | sort
