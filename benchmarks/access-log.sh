#!/usr/bin/env bash
# What the access log costs a hit. Two edges serving the same cached files from one nginx origin, one with its
# access log off and one writing it to a file (its default format, rotated at 100 MiB), and, for reference, nginx
# serving the files with its access log off and on (its default combined format, to a file). wrk takes turns on
# each pair, keep-alive, so both sides of a pair see the same machine. Prints requests per second and on/off.
# Needs: apt-get install -y nginx wrk curl
# Settings (environment): DURATION (5s) per run; PAIRS (3); CONNECTIONS ("32 256"); OBJECTS ("manifest.m3u8 seg64k.m4s");
# PORT (18500; the servers take PORT to PORT+4).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-5s}"
pairs="${PAIRS:-3}"
connections="${CONNECTIONS:-32 256}"
objects="${OBJECTS:-manifest.m3u8 seg64k.m4s}"
port="${PORT:-18500}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/files/t" "$work/logs"
head -c 2048 /dev/urandom > "$work/files/t/manifest.m3u8"
head -c 65536 /dev/urandom > "$work/files/t/seg64k.m4s"
cat > "$work/nginx.conf" <<CONF
worker_processes $(nproc);
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 8192; }
http {
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
  expires 1h;
  server { listen 127.0.0.1:$port; root $work/files; access_log off; }
  server { listen 127.0.0.1:$((port + 3)); root $work/files; access_log $work/logs/nginx-access.log; }
}
CONF
chmod -R a+rX "$work"
nginx -p "$work" -c nginx.conf

dotnet build EdgeServer -c Release -v quiet -nologo >/dev/null
start_edge() { # port name args...
  local p="$1" name="$2"; shift 2
  dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$p" --Edge:CacheDirectory="$work/cache-$name" \
    --Edge:OriginUrl="http://127.0.0.1:$port" --Edge:NodeId="edge-$name" --Edge:Limits:MaxConnectionsPerClient=0 \
    --Logging:LogLevel:Default=Warning "$@" >"$work/logs/edge-$name.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 150); do curl -fs -o /dev/null "http://127.0.0.1:$p/healthz" && return; sleep 0.1; done
  echo "edge $name did not start" >&2; exit 1
}
start_edge $((port + 1)) off --AccessLog:Enabled=false
start_edge $((port + 2)) on --AccessLog:Path="$work/logs/edge-access.log"

rps() { wrk -t2 -c"$2" -d"$duration" --latency "$1" | awk '/Requests\/sec/ { print $2 }'; }
echo "requests/s, the median of $pairs alternated $duration runs; on/off is the median of the pairs' ratios"
printf '%-8s %-14s %6s %12s %12s %8s\n' server object conns off on on/off
for object in $objects; do
  for c in $connections; do
    for server in edge nginx; do
      if [ "$server" = edge ]; then off=$((port + 1)); on=$((port + 2)); else off=$port; on=$((port + 3)); fi
      # Warm both (the edges fill and keep the object in memory).
      wrk -t2 -c"$c" -d1s "http://127.0.0.1:$off/t/$object" >/dev/null; wrk -t2 -c"$c" -d1s "http://127.0.0.1:$on/t/$object" >/dev/null
      offs=(); ons=(); ratios=()
      for _ in $(seq 1 "$pairs"); do
        a=$(rps "http://127.0.0.1:$off/t/$object" "$c"); b=$(rps "http://127.0.0.1:$on/t/$object" "$c")
        offs+=("$a"); ons+=("$b"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')")
      done
      median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
      printf '%-8s %-14s %6s %12s %12s %8s\n' "$server" "$object" "$c" "$(median "${offs[@]}")" "$(median "${ons[@]}")" "$(median "${ratios[@]}")"
    done
  done
done
echo
echo "edge access log: $(wc -l < "$work/logs/edge-access.log") lines in $(du -h "$work/logs/edge-access.log" | cut -f1); dropped: $(curl -fs "http://127.0.0.1:$((port + 2))/metrics" | awk '/^edge_access_log_dropped_total/ { print $2 }')"
