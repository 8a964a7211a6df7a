#!/usr/bin/env bash
# Brings up a local CDN: a generated sample title (or the source file named as the first argument), an origin
# serving it, a control plane and three edge nodes in two sites that report to it, the edges filled with the
# title; then prints the player and operator pages. Stops everything it started on Ctrl+C.
# Operator endpoints need a token made for this run (printed once), and each edge reports with its own node
# token, derived from a key made for this run: the demo runs as safely as a real deployment should.
# With --live (or DEMO_LIVE=1) the origin also runs a live title, "live": a test pattern encoded in real time as
# low-latency HLS (DEMO_LIVE_LADDER, default 1280x720@3000k,640x360@1000k), played through the same edges.
# Settings (environment): ORIGIN_PORT (8000), EDGE_PORT (8081, then the next two), EDGE_HOSTS (the edges'
# loopback addresses, "127.0.0.1 127.0.0.2 127.0.0.3"), CONTROL_PORT (8090),
# DEMO_DIR (.demo), DEMO_SOURCE_SECONDS (20), DEMO_CONFIGURATION (Release), DEMO_NO_BUILD=1 to use the existing build.
set -euo pipefail
cd "$(dirname "$0")/.."
live="${DEMO_LIVE:-0}"
positional=()
for arg in "$@"; do
  if [ "$arg" = --live ]; then live=1; else positional+=("$arg"); fi
done
set -- "${positional[@]+"${positional[@]}"}"
bash scripts/ensure-deps.sh

work="${DEMO_DIR:-.demo}"
source_seconds="${DEMO_SOURCE_SECONDS:-20}"
configuration="${DEMO_CONFIGURATION:-Release}"
origin_port="${ORIGIN_PORT:-8000}"
edge_port="${EDGE_PORT:-8081}"
control_port="${CONTROL_PORT:-8090}"
# Each edge on a loopback address of its own, as real nodes have hosts of their own: a player that sets a failing
# host aside (Shaka Player does) must not set every edge aside with it.
read -r -a edge_hosts <<<"${EDGE_HOSTS:-127.0.0.1 127.0.0.2 127.0.0.3}"
mkdir -p "$work/logs" "$work/run"

# One demo per folder: a second would fight the first for its ports, caches and pid files.
if [ -f "$work/run/demo.pid" ] && other="$(cat "$work/run/demo.pid")" && [ -n "$other" ] && kill -0 "$other" 2>/dev/null; then
  echo "edge: a demo is already running in $work (process $other); stop it first (Ctrl+C in its terminal, or kill $other), or set DEMO_DIR to another folder" >&2
  exit 1
fi
echo $$ >"$work/run/demo.pid"

# Every port must be free before anything starts: a process that cannot listen would leave the demo half up.
port_in_use() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
check_port() {
  if port_in_use "$2" "${4:-}"; then
    echo "edge: port $2${4:+ on $4}, which the $1 needs, is already in use; stop what listens there or set $3 to another port" >&2
    rm -f "$work/run/demo.pid"
    exit 1
  fi
}
check_port origin "$origin_port" ORIGIN_PORT
check_port control-plane "$control_port" CONTROL_PORT
for offset in 0 1 2; do check_port "edge-$((offset + 1))" "$((edge_port + offset))" "EDGE_PORT (edges use it and the next two)" "${edge_hosts[$offset]}"; done

if [ "${DEMO_NO_BUILD:-}" != 1 ]; then
  echo "edge: building ($configuration)"
  dotnet build Edge.sln -c "$configuration" -v quiet -nologo >/dev/null
fi

# The sample title: a source file given as the first argument, else a generated 20 s 720p test pattern with a
# tone, encoded by our encoder (Apple's ladder cut at 720p, CMAF HLS + DASH) and published atomically.
if [ ! -f "$work/origin/sample/title.json" ]; then
  source="${1:-}"
  if [ -z "$source" ]; then
    source="$work/source.mp4"
    echo "edge: generating a ${source_seconds} s 720p source"
    ffmpeg -hide_banner -nostdin -loglevel error -y \
      -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=$source_seconds" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$source_seconds" \
      -c:v libx264 -preset ultrafast -crf 16 -pix_fmt yuv420p -c:a aac -shortest "$source"
  fi
  echo "edge: encoding the sample title from $source"
  rm -rf "$work/origin/sample"
  dotnet Encoder/bin/$configuration/net10.0/Encoder.dll encode --input "$source" --output "$work/origin/sample" \
    --segment-duration 2 --preset veryfast --progress bar
else
  echo "edge: using the title already in $work/origin/sample (remove that folder to encode again)"
fi


# Secrets of this run: the operator token and the key each node's heartbeat token is derived from.
secret() { openssl rand -hex 32; }
node_token() { printf %s "$1" | openssl dgst -sha256 -hmac "$node_key" -r | cut -d' ' -f1; }
admin_token="$(secret)"
node_key="$(secret)"
(umask 077 && printf 'Authorization: Bearer %s\n' "$admin_token" >"$work/run/operator.header")
auth=(-H "@$work/run/operator.header")
if [ -z "$admin_token" ] || [ -z "$(node_token check)" ]; then echo "edge: openssl could not make this run's tokens" >&2; exit 1; fi

pids=()
names=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$work"/run/*.pid "$work/run/operator.header"
  echo "edge: stopped"
}

# A process that ended: which one, how, and the end of its log.
report_exit() {
  local name="$1" status="$2" how
  if [ "$status" -gt 128 ]; then how="was killed by signal $((status - 128))"; else how="exited with status $status"; fi
  echo "edge: $name $how; the last lines of $work/logs/$name.log:" >&2
  tail -n 15 "$work/logs/$name.log" 2>/dev/null | sed 's/^/  | /' >&2
}
# Ctrl+C (or a TERM) is the normal way to stop: exit 0 after cleaning up. Any other exit keeps its status.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

# Waits until process NAME (pid PID) listens on PORT (of HOST); if it ends or never listens, the demo stops everything.
wait_for_port() {
  local name="$1" pid="$2" port="$3" host="${4:-127.0.0.1}" status
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      report_exit "$name" "$status"
      echo "edge: $name did not start (port $port); stopping everything the demo started" >&2
      exit 1
    fi
    if port_in_use "$port" "$host"; then return 0; fi
    sleep 0.2
  done
  echo "edge: $name (process $pid) does not listen on port $port after 60 s; see $work/logs/$name.log; stopping everything" >&2
  exit 1
}

# Two sites on this machine: loopback clients belong to "local-a", which falls back to "local-b".
edge_ports=("$edge_port" "$((edge_port + 1))" "$((edge_port + 2))")
edge_sites=(local-a local-a local-b)
cat >"$work/topology.json" <<JSON
{
  "sites": [
    {"id": "local-a", "location": {"lat": 52.37, "lon": 4.90}, "prefixes": ["127.0.0.0/8", "::1/128"], "fallback": ["local-b"]},
    {"id": "local-b", "location": {"lat": 50.11, "lon": 8.68}, "prefixes": []}
  ],
  "nodes": [
    {"id": "edge-1", "site": "local-a", "url": "http://${edge_hosts[0]}:${edge_ports[0]}", "capacityBps": 1000000000},
    {"id": "edge-2", "site": "local-a", "url": "http://${edge_hosts[1]}:${edge_ports[1]}", "capacityBps": 1000000000},
    {"id": "edge-3", "site": "local-b", "url": "http://${edge_hosts[2]}:${edge_ports[2]}", "capacityBps": 1000000000}
  ]
}
JSON

# Each process's id goes to $work/run/NAME.pid, for operators (and tests) that stop one node on purpose.
started() {
  names+=("$1")
  pids+=("$2")
  echo "$2" >"$work/run/$1.pid"
}

if [ "$live" = 1 ]; then
  # The live encoder is the origin: it serves the live title and, like serve, every published title.
  dotnet Encoder/bin/$configuration/net10.0/Encoder.dll live --content "$work/origin" --title live --replace \
    --ladder "${DEMO_LIVE_LADDER:-1280x720@3000k,640x360@1000k}" --urls "http://127.0.0.1:$origin_port" >"$work/logs/origin.log" 2>&1 &
else
  dotnet Encoder/bin/$configuration/net10.0/Encoder.dll serve --content "$work/origin" --urls "http://127.0.0.1:$origin_port" >"$work/logs/origin.log" 2>&1 &
fi
started origin $!
# Secrets go in the environment, which other users cannot read, not on command lines, which they can.
ControlPlane__AdminTokens__0="$admin_token" ControlPlane__NodeKeys__0="$node_key" \
  dotnet ControlPlane/bin/$configuration/net10.0/ControlPlane.dll --urls "http://127.0.0.1:$control_port" \
  --ControlPlane:TopologyFile="$work/topology.json" --AccessLog:Path="$work/logs/control-plane.access.log" \
  >"$work/logs/control-plane.log" 2>&1 &
started control-plane $!
for i in 0 1 2; do
  n=$((i + 1))
  mkdir -p "$work/cache-$n"
  Edge__AdminTokens__0="$admin_token" Edge__ControlPlaneToken="$(node_token "edge-$n")" \
  dotnet EdgeServer/bin/$configuration/net10.0/EdgeServer.dll --urls "http://${edge_hosts[$i]}:${edge_ports[$i]}" \
    --Edge:CacheDirectory="$work/cache-$n" --Edge:OriginUrl="http://127.0.0.1:$origin_port" \
    --Edge:NodeId="edge-$n" --Edge:CacheMaxBytes=1073741824 \
    --Edge:ControlPlaneUrls:0="http://127.0.0.1:$control_port" \
    --Edge:AdminCorsOrigins:0="http://127.0.0.1:$control_port" --Edge:AdminCorsOrigins:1="http://localhost:$control_port" \
    --AccessLog:Path="$work/logs/edge-$n.access.log" >"$work/logs/edge-$n.log" 2>&1 &
  started "edge-$n" $!
done

ports=("$origin_port" "$control_port" "${edge_ports[@]}")
hosts=(127.0.0.1 127.0.0.1 "${edge_hosts[@]}")
for i in "${!names[@]}"; do wait_for_port "${names[$i]}" "${pids[$i]}" "${ports[$i]}" "${hosts[$i]}"; done

# Steering answers 503 until the edges' first heartbeats arrive.
cp="http://127.0.0.1:$control_port"
for _ in $(seq 1 50); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$cp/v1/steer/sample/master.m3u8")" = 302 ]; then break; fi
  sleep 0.2
done

# Every edge gets the whole title before the first viewer: a proactive fill, then its progress.
fills=()
for i in 0 1 2; do
  fills+=("$(curl -s -o /dev/null -w '%header{location}' -X POST -H 'content-type: application/json' "${auth[@]}" \
    -d '{"manifest":"/sample/master.m3u8"}' "http://${edge_hosts[$i]}:${edge_ports[$i]}/admin/fills")")
done
for _ in $(seq 1 300); do
  done_count=0
  for i in 0 1 2; do
    state="$(curl -s "${auth[@]}" "http://${edge_hosts[$i]}:${edge_ports[$i]}${fills[$i]}" | sed -n 's/.*"state":"\([a-z-]*\)".*/\1/p')"
    if [ "$state" = done ] || [ "$state" = failed ]; then done_count=$((done_count + 1)); fi
  done
  if [ "$done_count" = 3 ]; then break; fi
  sleep 0.2
done
for i in 0 1 2; do
  progress="$(curl -s "${auth[@]}" "http://${edge_hosts[$i]}:${edge_ports[$i]}${fills[$i]}" \
    | sed -n 's/.*"state":"\([a-z-]*\)".*"objectsTotal":\([0-9]*\),"objectsDone":\([0-9]*\).*"bytesDone":\([0-9]*\).*/\1, \3 of \2 objects, \4 bytes/p')"
  echo "edge: edge-$((i + 1)) proactive fill: $progress"
done

play="$cp/v1/play/sample/master.m3u8"
echo "edge: origin         http://127.0.0.1:$origin_port/sample/master.m3u8"
for i in 0 1 2; do
  echo "edge: edge-$((i + 1)) (${edge_sites[$i]})  http://${edge_hosts[$i]}:${edge_ports[$i]}/sample/master.m3u8"
done
echo "edge: operator token $admin_token   (Authorization: Bearer, for /admin on the edges and /v1/nodes, /v1/topology, /v1/explain)"
echo "edge: control plane  $cp/v1/nodes   $cp/v1/topology   $cp/metrics"
echo "edge: steer          $cp/v1/steer/sample/master.m3u8   (302 to the chosen edge; ?format=json for the ranked list)"
echo "edge: play           $play   (content-steered master playlist)"
echo "edge: explain        $cp/v1/explain?client=127.0.0.1&path=/sample/master.m3u8"
if command -v ffprobe >/dev/null 2>&1; then
  ffprobe -v fatal -show_entries format=duration -of default=nw=1 "$play" | sed 's/^/edge: sample title played through steering, /'
fi
echo "edge: player page   $cp/player?src=/sample/master.m3u8   (DASH: $cp/player?src=/sample/manifest.mpd)"
if [ "$live" = 1 ]; then
  for _ in $(seq 1 100); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$origin_port/live/master.m3u8")" = 200 ]; then break; fi
    sleep 0.2
  done
  echo "edge: live          $cp/player?src=/live/master.m3u8   (low-latency HLS, encoded now; origin http://127.0.0.1:$origin_port/live/master.m3u8)"
fi
echo "edge: operator page $cp/operator#token=$admin_token"
echo "edge: logs in $work/logs (access logs: *.access.log, one JSON line per request); press Ctrl+C to stop"

# Up and serving: a node that dies now (a crash, or a kill to watch players fail over) is reported, and the
# others go on; when none is left, the demo exits with an error.
alive=("${pids[@]}")
while [ "${#alive[@]}" -gt 0 ]; do
  status=0
  ended=
  wait -n -p ended "${alive[@]}" || status=$?
  [ -n "$ended" ] || break
  still=()
  for pid in "${alive[@]}"; do [ "$pid" = "$ended" ] || still+=("$pid"); done
  alive=("${still[@]+"${still[@]}"}")
  for i in "${!pids[@]}"; do
    if [ "${pids[$i]}" = "$ended" ]; then report_exit "${names[$i]}" "$status"; fi
  done
done
echo "edge: every process of the demo has ended" >&2
exit 1
