#!/usr/bin/env bash
# Brings up a local CDN: a generated sample title, an origin serving it, and an edge node in front.
# Stops everything it started on Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

work=".demo"
origin_port="${ORIGIN_PORT:-8000}"
edge_port="${EDGE_PORT:-8080}"
mkdir -p "$work/cache" "$work/logs"

if [ ! -f "$work/origin/sample/master.m3u8" ]; then
  echo "edge: encoding the sample title (10 s test pattern, two renditions)"
  tmp="$work/origin/.sample-$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  ffmpeg -hide_banner -nostdin -loglevel error \
    -f lavfi -i "testsrc2=size=640x360:rate=25:duration=10" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=10" \
    -filter_complex "[0:v]split=2[a][b];[b]scale=320:180[b2]" \
    -map "[a]" -map "[b2]" -map 1:a \
    -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 \
    -b:v:0 800k -b:v:1 300k -c:a aac -b:a 96k \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
    -master_pl_name master.m3u8 -var_stream_map "v:0,agroup:aud v:1,agroup:aud a:0,agroup:aud" \
    -hls_segment_filename "$tmp/v%v/seg_%03d.m4s" "$tmp/v%v/index.m3u8"
  # Published whole or not at all: the origin never sees a half-written title.
  mv "$tmp" "$work/origin/sample"
fi

dotnet build Edge.sln -c Release -v quiet -nologo >/dev/null

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "edge: stopped"
}
trap cleanup INT TERM EXIT

dotnet Encoder/bin/Release/net10.0/Encoder.dll serve --content "$work/origin" --urls "http://127.0.0.1:$origin_port" >"$work/logs/origin.log" 2>&1 &
pids+=($!)
dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$edge_port" \
  --Edge:CacheDirectory="$work/cache" --Edge:OriginUrl="http://127.0.0.1:$origin_port" \
  --Edge:NodeId=edge-1 --Edge:CacheMaxBytes=1073741824 >"$work/logs/edge.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$edge_port") 2>/dev/null; then break; fi
  sleep 0.2
done

url="http://127.0.0.1:$edge_port/sample/master.m3u8"
echo "edge: origin  http://127.0.0.1:$origin_port/sample/master.m3u8"
echo "edge: edge    $url"
echo "edge: metrics http://127.0.0.1:$edge_port/metrics"
echo "edge: try     ffplay $url   or   curl -sI $url"
if command -v ffprobe >/dev/null 2>&1; then
  ffprobe -v error -show_entries format=duration -of default=nw=1 "$url" | sed 's/^/edge: sample title read through the edge, /'
fi
echo "edge: logs in $work/logs; press Ctrl+C to stop"
wait
