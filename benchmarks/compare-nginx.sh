#!/usr/bin/env bash
# The edge against nginx, Varnish and a bare Kestrel app on this machine, serving the same files:
#   1. hits: a 2 KB manifest, 64 KB, 512 KB and 2 MB segments, and a mix over 2,000 distinct 64 KB objects,
#      keep-alive, at each of $CONNECTIONS, over each of $PROTOCOLS (http: HTTP/1.1; https: HTTP/1.1 over TLS 1.3;
#      h2: HTTP/2 over TLS 1.3), with wrk (HTTP/1.1) and h2load (HTTP/2);
#   2. the CPU cost of one 1 Gb/s player session (one connection, 2 MB segments at 125 MB/s, edge-load), per server;
#   3. a cold-cache miss storm through the edge and nginx (proxy_cache + proxy_cache_lock) against one origin.
# Prints ratios against nginx, measured in the same run. Needs: apt-get install -y nginx varnish wrk nghttp2-client curl openssl
#
# Settings (environment): DURATION (10s) and WARM (5s) per run; PROTOCOL_WARM (10s: the mix, per server, before each protocol's rows); CONNECTIONS ("32 256"); PROTOCOLS ("http https h2");
# OBJECTS ("manifest.m3u8 seg64k.m4s seg512k.m4s seg2m.m4s mix"); SERVERS ("edge nginx varnish kestrel");
# REPEAT (1: with 3, each figure is the median of 3 runs taken in turn with the other servers'); SESSION (1: the
# 1 Gb/s session's CPU cost); STORM (1); EDGE_ARGS (extra edge settings, e.g. to measure one setting against
# another: EDGE_ARGS="--Edge:Transport:InlineScheduling=true"; the bare Kestrel app takes its Edge:Transport:*).
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${DURATION:-10s}"
warm="${WARM:-5s}"
protocol_warm="${PROTOCOL_WARM:-10s}"
connections="${CONNECTIONS:-32 256}"
protocols="${PROTOCOLS:-http https h2}"
objects="${OBJECTS:-manifest.m3u8 seg64k.m4s seg512k.m4s seg2m.m4s mix}"
servers="${SERVERS:-edge nginx varnish kestrel}"
repeat="${REPEAT:-1}"
read -r -a edge_args <<<"${EDGE_ARGS:-}"
cores="$(nproc)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  nginx -p "$work" -c nginx.conf -s stop 2>/dev/null || true
  [ -f "$work/varnish.pid" ] && kill "$(cat "$work/varnish.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
seconds() { awk -v d="$1" 'BEGIN { n = d + 0; if (d ~ /ms$/) n /= 1000; else if (d ~ /m$/) n *= 60; print n }'; }

echo "preparing files in $work ..." >&2
mkdir -p "$work/files/t" "$work/files/mix" "$work/files/storm" "$work/logs" "$work/ngcache"
head -c 2048 /dev/urandom > "$work/files/t/manifest.m3u8"
head -c 65536 /dev/urandom > "$work/files/t/seg64k.m4s"
head -c 524288 /dev/urandom > "$work/files/t/seg512k.m4s"
head -c 2097152 /dev/urandom > "$work/files/t/seg2m.m4s"
head -c $((2000 * 65536)) /dev/urandom | split -b 65536 -d -a 4 --additional-suffix=.m4s - "$work/files/mix/obj"
head -c $((200 * 524288)) /dev/urandom | split -b 524288 -d -a 3 --additional-suffix=.m4s - "$work/files/storm/obj"

# One certificate for every TLS server: ECDSA P-256, as a CDN's usually is.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

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

  # nginx serving the files (and the origin of the edge and Varnish for the hit runs), over HTTP and HTTPS.
  ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
  ssl_protocols TLSv1.3; ssl_session_cache shared:SSL:10m; ssl_session_timeout 1h; ssl_buffer_size 16k;
  server { listen 127.0.0.1:18081; listen 127.0.0.1:18441 ssl http2; root $work/files; }

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
dotnet build benchmarks/Edge.Bare -c Release -v quiet -nologo >/dev/null
load=(dotnet benchmarks/Edge.Load/bin/Release/net10.0/edge-load.dll)
tls=(--Kestrel:Certificates:Default:Path="$work/cert.pem" --Kestrel:Certificates:Default:KeyPath="$work/key.pem")

wait_up() { # url name
  for _ in $(seq 1 150); do curl -kfs -o /dev/null "$1" && return; sleep 0.1; done
  echo "$2 did not start" >&2; exit 1
}
# wrk opens all its connections from one address at once; with the per-client half-open limit (64), the edge would
# close the rest before it had read their first requests, and wrk would count read errors and reconnect.
start_edge() { # port tls-port origin-port cache-dir
  dotnet EdgeServer/bin/Release/net10.0/EdgeServer.dll --urls "http://127.0.0.1:$1;https://127.0.0.1:$2" "${tls[@]}" \
    --Edge:CacheDirectory="$4" --Edge:OriginUrl="http://127.0.0.1:$3" --Edge:NodeId="bench-$1" \
    --Edge:Limits:MaxConnectionsPerClient=0 --Edge:Limits:MaxHalfOpenConnectionsPerClient=0 --AccessLog:Enabled=false --Logging:LogLevel:Default=Warning "${edge_args[@]}" >"$work/logs/edge-$1.log" 2>&1 &
  pids+=("$!")
  wait_up "http://127.0.0.1:$1/healthz" "edge on $1"
}
start_edge 18082 18442 18081 "$work/cache"
dotnet benchmarks/Edge.Bare/bin/Release/net10.0/bare-kestrel.dll --root "$work/files" \
  --urls "http://127.0.0.1:18087;https://127.0.0.1:18447" "${tls[@]}" "${edge_args[@]/#--Edge:/--}" >"$work/logs/kestrel.log" 2>&1 &
pids+=("$!")
wait_up "http://127.0.0.1:18087/t/manifest.m3u8" "bare Kestrel"
if [[ " $servers " == *" varnish "* ]]; then
  # Varnish caching the same nginx, in memory, with as many thread pools as cores. It has no TLS of its own.
  mkdir -p "$work/varnish" && chmod 777 "$work/varnish"
  varnishd -a 127.0.0.1:18086 -b 127.0.0.1:18081 -s malloc,2G -n "$work/varnish" -P "$work/varnish.pid" \
    -p thread_pools="$cores" >"$work/logs/varnish.log" 2>&1
  wait_up "http://127.0.0.1:18086/t/manifest.m3u8" "Varnish"
fi

port() { # server protocol
  case "$1:$2" in
    edge:http) echo 18082 ;; edge:*) echo 18442 ;;
    nginx:http) echo 18081 ;; nginx:*) echo 18441 ;;
    kestrel:http) echo 18087 ;; kestrel:*) echo 18447 ;;
    varnish:http) echo 18086 ;; *) echo "" ;;
  esac
}
scheme() { [ "$1" = http ] && echo http || echo https; }

cat > "$work/mix.lua" <<'LUA'
math.randomseed(os.time())
request = function()
  return wrk.format("GET", string.format("/mix/obj%04d.m4s", math.random(0, 1999)))
end
LUA
# h2load takes its URLs in turn; a shuffled list of the 2,000 objects stands for the random mix.
for i in $(seq -f %04g 0 1999); do echo "/mix/obj$i.m4s"; done | shuf --random-source=<(yes) > "$work/mix.paths"

# Each measurement prints "req/s bytes/s p99_ms".
run_wrk() { # url connections seconds [script]
  local script=()
  [ -n "${4:-}" ] && script=(-s "$4")
  wrk -t2 -c"$2" -d"$3" --latency "${script[@]}" "$1" | awk '
    function bytes(v) { n = v + 0; if (v ~ /GB/) n *= 1073741824; else if (v ~ /MB/) n *= 1048576; else if (v ~ /KB/) n *= 1024; return n }
    function ms(v) { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; return n }
    /Requests\/sec/ { r = $2 } /Transfer\/sec/ { t = bytes($2) } / 99%/ { p = ms($2) }
    END { printf "%.0f %.0f %.3f\n", r, t, p }'
}
run_h2() { # base-url object connections seconds
  local urls=("$1/t/$2")
  [ "$2" = mix ] && mapfile -t urls < <(sed "s|^|$1|" "$work/mix.paths")
  rm -f "$work/h2.log"
  h2load -c"$3" -m1 -t2 -D"$(seconds "$4")" --log-file="$work/h2.log" "${urls[@]}" >"$work/h2.out" 2>&1 || true
  local rps bps
  rps=$(awk '/^finished in/ { gsub(",", "", $4); print $4 }' "$work/h2.out")
  bps=$(awk '/^traffic:/ { gsub(/[()]/, "", $3); print $3 }' "$work/h2.out")
  local secs; secs=$(seconds "$4")
  local p99; p99=$(awk '{ print $3 }' "$work/h2.log" 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.5); if (i < 1) i = 1; if (NR) printf "%.3f", v[i] / 1000; else print 0 }')
  printf "%.0f %.0f %s\n" "${rps:-0}" "$(awk -v b="${bps:-0}" -v s="$secs" 'BEGIN { print b / s }')" "${p99:-0}"
}
measure() { # server protocol object connections seconds
  local p; p=$(port "$1" "$2")
  if [ -z "$p" ]; then echo "- - -"; return; fi
  local base; base="$(scheme "$2")://127.0.0.1:$p"
  if [ "$2" = h2 ]; then
    run_h2 "$base" "$3" "$4" "$5"
  elif [ "$3" = mix ]; then
    run_wrk "$base/" "$4" "$5" "$work/mix.lua"
  else
    run_wrk "$base/t/$3" "$4" "$5"
  fi
}
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0 || v[1] == "-") print "-"; else print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }

# Every object, the mix's too, is stored by the edge and Varnish before it is measured (the edge stores on the 2nd
# request and holds it in memory from the 3rd).
for s in edge varnish; do
  p=$(port "$s" http)
  [[ " $servers " == *" $s "* ]] || continue
  : > "$work/warm.curl"
  for path in /t/manifest.m3u8 /t/seg64k.m4s /t/seg512k.m4s /t/seg2m.m4s $(cat "$work/mix.paths"); do
    printf 'url = "http://127.0.0.1:%s%s"\noutput = "/dev/null"\n' "$p" "$path" >> "$work/warm.curl"
  done
  for _ in 1 2 3; do curl -fs -K "$work/warm.curl"; done
done

echo
# Loopback TCP's congestion control decides the large-object rows (BBR paces some connections down to tens of Mbit/s
# on loopback; nginx does 1.3 to 1.5 times as many 512 KB and 2 MB requests a second under cubic): it is printed.
cc="$(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo unknown)"
echo "Hits, $cores cores, TCP congestion control $cc, $duration per run after $warm of warm-up, median of $repeat; req/s and p99 (ms); ratios against nginx:"
echo
header="| proto | object | conns |"; rule="|---|---|---:|"
for s in $servers; do
  header+=" $s req/s |"; rule+="---:|"
  [ "$s" != nginx ] && { header+=" $s/nginx |"; rule+="---:|"; }
done
for s in $servers; do header+=" $s p99 |"; rule+="---:|"; done
echo "$header"; echo "$rule"
for proto in $protocols; do
  # Each server first serves the mix over this protocol for $PROTOCOL_WARM: .NET compiles a hot path again, optimized,
  # only after seconds under load, and a fresh edge served manifests over TLS at 0.85 of its later rate in its first
  # 5 s. Without this the first row of each protocol measured the edge's compiler.
  for s in $servers; do
    [ -n "$(port "$s" "$proto")" ] && measure "$s" "$proto" mix 32 "$protocol_warm" >/dev/null
  done
  for object in $objects; do
    for c in $connections; do
      declare -A rps=() p99s=()
      for _ in $(seq 1 "$repeat"); do
        for s in $servers; do
          [ -z "$(port "$s" "$proto")" ] && continue
          measure "$s" "$proto" "$object" "$c" "$warm" >/dev/null
          read -r r _ p <<<"$(measure "$s" "$proto" "$object" "$c" "$duration")"
          rps[$s]+="$r "; p99s[$s]+="$p "
        done
      done
      line="| $proto | $object | $c |"
      nginx_r=$(echo "${rps[nginx]:-}" | median)
      for s in $servers; do
        r=$(echo "${rps[$s]:-}" | median)
        line+=" $r |"
        [ "$s" != nginx ] && line+=" $(ratio "$r" "$nginx_r") |"
      done
      for s in $servers; do line+=" $(echo "${p99s[$s]:-}" | median) |"; done
      echo "$line"
      unset rps p99s
    done
  done
done

# The CPU a server spends on one player pulling 2 MB segments at 1 Gb/s over one keep-alive connection: CPU
# seconds of all its processes (from /proc) over the bytes sent, in nanoseconds and in cycles at the TSC rate.
cpu_ticks() { # pid...
  local total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  echo "$total"
}
server_pids() {
  case "$1" in
    edge) echo "${pids[0]}" ;;
    kestrel) echo "${pids[1]}" ;;
    nginx) pgrep -f "nginx: (master|worker) process" | tr '\n' ' ' ;;
    varnish) pgrep -x varnishd | tr '\n' ' '; pgrep -x cache-main | tr '\n' ' ' ;;
  esac
}
if [ "${SESSION:-1}" = 1 ]; then
  mhz=$(awk -F: '/^cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
  hz=$(getconf CLK_TCK)
  rate=$(awk 'BEGIN { printf "%.2f", 125000000 / 2097152 }')
  echo
  echo "One 1 Gb/s player session (2 MB segments at $rate a second over one keep-alive connection, $duration), CPU of the server; ${mhz} MHz:"
  echo
  echo "| proto | server | MB/s delivered | CPU % of one core | ns per byte | cycles per byte | against nginx |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  for proto in $protocols; do
    declare -A cpb=()
    for s in nginx $servers; do
      [ -n "${cpb[$s]:-}" ] && continue
      p=$(port "$s" "$proto"); [ -z "$p" ] && continue
      flags=(); [ "$proto" != http ] && flags+=(--insecure); [ "$proto" = h2 ] && flags+=(--http2)
      # shellcheck disable=SC2046
      before=$(cpu_ticks $(server_pids "$s"))
      "${load[@]}" http --url "$(scheme "$proto")://127.0.0.1:$p/t/seg2m.m4s" --connections 1 --rate "$rate" \
        --duration "$duration" "${flags[@]}" --quiet --json "$work/session.json" >/dev/null
      # shellcheck disable=SC2046
      after=$(cpu_ticks $(server_pids "$s"))
      read -r secs bytes <<<"$(tr -d ' \n' < "$work/session.json" | sed -E 's/.*"seconds":([0-9.]+),.*"bytes":([0-9]+),.*/\1 \2/')"
      read -r mbs pct nspb cycles <<<"$(awk -v t=$((after - before)) -v hz="$hz" -v b="$bytes" -v w="$secs" -v mhz="$mhz" \
        'BEGIN { cpu = t / hz; printf "%.0f %.1f %.3f %.3f\n", b / w / 1e6, 100 * cpu / w, cpu * 1e9 / b, cpu * mhz * 1e6 / b }')"
      cpb[$s]=$cycles
      echo "| $proto | $s | $mbs | $pct | $nspb | $cycles | $(ratio "$cycles" "${cpb[nginx]}") |"
    done
    unset cpb
  done
fi

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
if [ "${STORM:-1}" = 1 ]; then
  start_edge 18085 18445 18084 "$work/cache-storm"
  echo
  echo "Cold-cache miss storm: 200 distinct 512 KB objects, 16 concurrent requests for each, 256 connections, origin at 20 MB/s per connection:"
  echo
  echo "| cache | origin requests | client requests | p50 ms | p99 ms | max ms | seconds | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  storm 18085 edge
  storm 18083 "nginx proxy_cache_lock"
fi
