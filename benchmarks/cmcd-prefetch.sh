#!/usr/bin/env bash
# Next-segment prefetch from CMCD on a cold edge. An nginx origin serving synthetic HLS titles (three renditions,
# 4 s segments) at 20 MB/s per connection, as a distant origin is; one edge in front of it with an empty cache; and
# edge-load's viewers sending CMCD as hls.js does (the next segment in nor), one viewer per title so that no viewer
# finds another's segments. Run twice, each time on a fresh cache: prefetch on (the default), then off. Prints, for
# each, the video segments' hit ratio at the edge, the segment fetch times the viewers saw, their rebuffering, and
# the origin requests (from nginx's log) with the edge's prefetch counts: prefetch must not fetch what nobody asks.
# Needs: apt-get install -y nginx curl
# Settings (environment): TITLES (12; one viewer each), DURATION (40s), RAMP (6s), BUFFER (12s), SEGMENTS (40 per rendition),
# RATE (20m: nginx's limit_rate per origin connection), PORT (18400; the edge is PORT+1).
set -euo pipefail
cd "$(dirname "$0")/.."
titles="${TITLES:-12}"
duration="${DURATION:-40s}"
ramp="${RAMP:-6s}"
buffer="${BUFFER:-12s}"
segments="${SEGMENTS:-40}"
rate="${RATE:-20m}"
port="${PORT:-18400}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "preparing $titles titles in $work ..." >&2
mkdir -p "$work/files/title" "$work/logs"
{
  echo "#EXTM3U"
  echo "#EXT-X-VERSION:7"
} > "$work/files/title/master.m3u8"
for rung in "640x360 800000" "1280x720 2000000" "1920x1080 4500000"; do
  read -r size bandwidth <<<"$rung"
  dir="$work/files/title/${size#*x}p"
  mkdir -p "$dir"
  echo "#EXT-X-STREAM-INF:BANDWIDTH=$bandwidth,RESOLUTION=$size,CODECS=\"avc1.64001f\"" >> "$work/files/title/master.m3u8"
  echo "${size#*x}p/index.m3u8" >> "$work/files/title/master.m3u8"
  {
    echo "#EXTM3U"; echo "#EXT-X-VERSION:7"; echo "#EXT-X-TARGETDURATION:4"; echo "#EXT-X-PLAYLIST-TYPE:VOD"
    for i in $(seq -f "%05g" 1 "$segments"); do echo "#EXTINF:4.000,"; echo "seg_$i.m4s"; done
    echo "#EXT-X-ENDLIST"
  } > "$dir/index.m3u8"
  head -c $((bandwidth / 2 * segments)) /dev/urandom | split -b $((bandwidth / 2)) -d -a 5 --numeric-suffixes=1 --additional-suffix=.m4s - "$dir/seg_"
done
masters=()
for t in $(seq -f "%02g" 1 "$titles"); do
  ln -s title "$work/files/t$t"
  masters+=(--master "http://127.0.0.1:$((port + 1))/t$t/master.m3u8")
done

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 4096; }
http {
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
  expires 1h;
  log_format path '\$uri';
  server { listen 127.0.0.1:$port; root $work/files; limit_rate $rate; access_log $work/logs/origin.log path; }
}
CONF
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

dotnet build EdgeServer -c Release -v quiet -nologo >/dev/null
dotnet build benchmarks/Edge.Load -c Release -v quiet -nologo >/dev/null

run() { # name extra-edge-args...
  local name="$1"; shift
  rm -rf "$work/cache" && mkdir -p "$work/cache"
  : > "$work/logs/origin.log"
  dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$((port + 1))" \
    --Edge:CacheDirectory="$work/cache" --Edge:OriginUrl="http://127.0.0.1:$port" --Edge:NodeId=edge-prefetch \
    --AccessLog:Enabled=false --Logging:LogLevel:Default=Warning "$@" >"$work/logs/edge-$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$((port + 1))/healthz" && break; sleep 0.1; done
  dotnet benchmarks/Edge.Load/bin/Release/net10.0/edge-load.dll players "${masters[@]}" --viewers "$titles" \
    --duration "$duration" --ramp "$ramp" --buffer "$buffer" --cmcd --json "$work/$name.json" --quiet >/dev/null
  curl -fs "http://127.0.0.1:$((port + 1))/metrics" > "$work/$name.metrics"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local origin; origin=$(grep -c '\.m4s$' "$work/logs/origin.log" || true)
  local prefetched; prefetched=$(awk '/^edge_prefetch_total\{result="started"/ { print $2 }' "$work/$name.metrics")
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const l = r.segmentLatency;
    const f = x => x.toFixed(1).padStart(7);
    console.log(process.argv[2].padEnd(13) + (100 * r.segmentHitRatio).toFixed(1).padStart(8) + "%" + f(l.p50Ms) + f(l.p90Ms) + f(l.p99Ms)
      + String(r.rebuffers).padStart(10) + String(process.argv[3]).padStart(16) + String(process.argv[4] || 0).padStart(12));
  ' "$work/$name.json" "$name" "$origin" "$prefetched"
}

echo "$titles viewers (one per title), $duration each, ramp $ramp, buffer $buffer, origin at $rate/s per connection"
echo "run          seg hits  p50_ms  p90_ms  p99_ms  rebuffers  origin_segments  prefetched"
run prefetch-on
run prefetch-off --Edge:Prefetch:Enabled=false
