#!/usr/bin/env bash
# The edge against nginx on this machine, serving the same files from the same disk:
#   1. hits: a 2 KB manifest, 64 KB, 512 KB and 2 MB segments, and a mix over 2,000 distinct 64 KB objects,
#      keep-alive, at each of $CONNECTIONS, with wrk and with edge-load;
#   2. a cold-cache miss storm through each (nginx proxy_cache + proxy_cache_lock) against one origin.
# Prints edge/nginx ratios. Needs: apt-get install -y nginx wrk
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-5s}"
warm="${WARM:-3s}"
connections="${CONNECTIONS:-32 256}"
cores="$(nproc)"
work="$(mktemp -d)"
edge_pids=()
cleanup() {
  for pid in "${edge_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "preparing files in $work ..." >&2
mkdir -p "$work/files/t" "$work/files/mix" "$work/files/storm" "$work/logs" "$work/ngcache"
head -c 2048 /dev/urandom > "$work/files/t/manifest.m3u8"
head -c 65536 /dev/urandom > "$work/files/t/seg64k.m4s"
head -c 524288 /dev/urandom > "$work/files/t/seg512k.m4s"
head -c 2097152 /dev/urandom > "$work/files/t/seg2m.m4s"
head -c $((2000 * 65536)) /dev/urandom | split -b 65536 -d -a 4 --additional-suffix=.m4s - "$work/files/mix/obj"
head -c $((200 * 524288)) /dev/urandom | split -b 524288 -d -a 3 --additional-suffix=.m4s - "$work/files/storm/obj"

cat > "$work/nginx.conf" <<CONF
worker_processes $cores;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  open_file_cache max=10000 inactive=60s; open_file_cache_valid 60s;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
  # An origin states lifetimes; without them a cache would revalidate files only seconds old.
  expires 1h;

  # nginx serving the files (and the origin of the edge for the hit runs).
  server { listen 127.0.0.1:18081; root $work/files; }

  # The storm's origin: 20 MB/s per connection, as a distant origin is; its log counts origin requests.
  server { listen 127.0.0.1:18084; root $work/files; limit_rate 20m; access_log $work/logs/origin.log; }

  # nginx as a cache in front of that origin.
  proxy_cache_path $work/ngcache levels=1:2 keys_zone=edge:64m max_size=10g inactive=1h use_temp_path=off;
  upstream origin { server 127.0.0.1:18084; keepalive 64; }
  server {
    listen 127.0.0.1:18083;
    location / {
      proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_cache edge; proxy_cache_lock on; proxy_cache_lock_timeout 30s; proxy_cache_valid 200 1h;
    }
  }
}
CONF
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

dotnet build EdgeServer -c Release -v quiet -nologo >/dev/null
dotnet build benchmarks/Edge.Load -c Release -v quiet -nologo >/dev/null
load=(dotnet benchmarks/Edge.Load/bin/Release/net10.0/edge-load.dll)

start_edge() { # port origin-port cache-dir
  dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$1" \
    --Edge:CacheDirectory="$3" --Edge:OriginUrl="http://127.0.0.1:$2" --Edge:NodeId="bench-$1" \
    --Logging:LogLevel:Default=Warning >"$work/logs/edge-$1.log" 2>&1 &
  edge_pids+=("$!")
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$1/healthz" && return; sleep 0.1; done
  echo "edge on $1 did not start" >&2; exit 1
}
start_edge 18082 18081 "$work/cache"

cat > "$work/mix.lua" <<'LUA'
math.randomseed(os.time())
request = function()
  return wrk.format("GET", string.format("/mix/obj%04d.m4s", math.random(0, 1999)))
end
LUA
for i in $(seq -f %04g 0 1999); do echo "http://127.0.0.1:PORT/mix/obj$i.m4s"; done > "$work/mix.urls"

# wrk: "req/s bytes/s p99_ms"
run_wrk() { # url connections [script]
  local script=()
  [ -n "${3:-}" ] && script=(-s "$3")
  wrk -t2 -c"$2" -d"$duration" --latency "${script[@]}" "$1" | awk '
    function bytes(v) { n = v + 0; if (v ~ /GB/) n *= 1073741824; else if (v ~ /MB/) n *= 1048576; else if (v ~ /KB/) n *= 1024; return n }
    function ms(v) { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; return n }
    /Requests\/sec/ { r = $2 } /Transfer\/sec/ { t = bytes($2) } / 99%/ { p = ms($2) }
    END { printf "%.0f %.0f %.3f\n", r, t, p }'
}
warm_wrk() { wrk -t2 -c"$2" -d"$warm" ${3:+-s "$3"} "$1" >/dev/null; }

# edge-load: "req/s bytes/s p99_ms"
run_load() { # connections urls...
  local c="$1"; shift
  local args=()
  for u in "$@"; do args+=(--url "$u"); done
  "${load[@]}" http "${args[@]}" --connections "$c" --duration "$duration" --quiet --json "$work/load.json" >/dev/null
  tr -d ' \n' < "$work/load.json" | sed -E 's/.*"requestsPerSecond":([0-9.]+),"bytesPerSecond":([0-9.]+),.*"p99Ms":([0-9.]+),.*/\1 \2 \3/'
}
run_load_file() { # connections file extra...
  local c="$1" file="$2"; shift 2
  "${load[@]}" http --urls-file "$file" --connections "$c" --duration "$duration" --quiet --json "$work/load.json" "$@" >/dev/null
  tr -d ' \n' < "$work/load.json" | sed -E 's/.*"requestsPerSecond":([0-9.]+),"bytesPerSecond":([0-9.]+),.*"p99Ms":([0-9.]+),.*/\1 \2 \3/'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mbps() { awk -v v="$1" 'BEGIN { printf "%.0f", v / 1048576 }'; }
row() { # tool object connections edge(r t p) nginx(r t p)
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$1" "$2" "$3" \
    "$4" "$7" "$(ratio "$4" "$7")" "$(mbps "$5")" "$(mbps "$8")" "$(ratio "$5" "$8")" "$6" "$9" "$(ratio "$6" "$9")"
}

echo
echo "Hits, $cores cores, $duration per run after $warm of warm-up (ratios are edge/nginx):"
echo
echo "| tool | object | conns | edge req/s | nginx req/s | ratio | edge MiB/s | nginx MiB/s | ratio | edge p99 ms | nginx p99 ms | ratio |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for object in manifest.m3u8 seg64k.m4s seg512k.m4s seg2m.m4s mix; do
  for c in $connections; do
    if [ "$object" = mix ]; then
      edge_url="http://127.0.0.1:18082/"; nginx_url="http://127.0.0.1:18081/"; script="$work/mix.lua"
    else
      edge_url="http://127.0.0.1:18082/t/$object"; nginx_url="http://127.0.0.1:18081/t/$object"; script=""
      for _ in 1 2 3; do curl -fs -o /dev/null "$edge_url"; done   # stored on the 2nd request, in memory on the 3rd
    fi
    warm_wrk "$edge_url" "$c" "$script"; read -r er et ep <<<"$(run_wrk "$edge_url" "$c" "$script")"
    warm_wrk "$nginx_url" "$c" "$script"; read -r nr nt np <<<"$(run_wrk "$nginx_url" "$c" "$script")"
    row wrk "$object" "$c" "$er" "$et" "$ep" "$nr" "$nt" "$np"
  done
done
for object in manifest.m3u8 seg64k.m4s mix; do
  c=32
  if [ "$object" = mix ]; then
    sed 's/PORT/18082/' "$work/mix.urls" > "$work/mix-edge.urls"; sed 's/PORT/18081/' "$work/mix.urls" > "$work/mix-nginx.urls"
    read -r er et ep <<<"$(run_load_file "$c" "$work/mix-edge.urls" --random)"
    read -r nr nt np <<<"$(run_load_file "$c" "$work/mix-nginx.urls" --random)"
  else
    read -r er et ep <<<"$(run_load "$c" "http://127.0.0.1:18082/t/$object")"
    read -r nr nt np <<<"$(run_load "$c" "http://127.0.0.1:18081/t/$object")"
  fi
  row edge-load "$object" "$c" "$er" "$et" "$ep" "$nr" "$nt" "$np"
done

# The storm: 200 cold 512 KB objects, each asked for by 16 clients at once (256 connections), one pass.
storm() { # port label
  for i in $(seq -f %03g 0 199); do for _ in $(seq 1 16); do echo "http://127.0.0.1:$1/storm/obj$i.m4s"; done; done > "$work/storm.urls"
  local before after
  before=$(grep -c ' /storm/' "$work/logs/origin.log" 2>/dev/null || true)
  "${load[@]}" http --urls-file "$work/storm.urls" --connections 256 --requests 3200 --duration 120s --timeout 60s --quiet --json "$work/storm.json" >/dev/null
  after=$(grep -c ' /storm/' "$work/logs/origin.log" 2>/dev/null || true)
  tr -d ' \n' < "$work/storm.json" | sed -E "s/.*\"seconds\":([0-9.]+),\"requests\":([0-9]+),.*\"p50Ms\":([0-9.]+),\"p90Ms\":[0-9.]+,\"p99Ms\":([0-9.]+),\"p999Ms\":[0-9.]+,\"maxMs\":([0-9.]+).*\"errors\":\{([^}]*)\}.*/| $2 | $((${after:-0} - ${before:-0})) | \2 | \3 | \4 | \5 | \1 | \6 |/"
  echo   # the JSON had no final newline
}
start_edge 18085 18084 "$work/cache-storm"
echo
echo "Cold-cache miss storm: 200 distinct 512 KB objects, 16 concurrent requests for each, 256 connections, origin at 20 MB/s per connection:"
echo
echo "| cache | origin requests | client requests | p50 ms | p99 ms | max ms | seconds | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
storm 18085 edge
storm 18083 "nginx proxy_cache_lock"
