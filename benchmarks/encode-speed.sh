#!/usr/bin/env bash
# Encode speed of the default ladder (Apple's H.264 ladder cut at 720p, 7 renditions + AAC) for a 720p source:
# our encoder next to the same ladder as one hand-written ffmpeg command, in multiples of real time. The two run in
# alternated pairs (the order swapped each pair) and the median ratio is reported, since two runs of the same
# ffmpeg command on this machine differ by several percent.
# usage: benchmarks/encode-speed.sh [seconds=60] [preset=fast] [pairs=3]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
preset="${2:-fast}"
pairs="${3:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dotnet build Encoder -c Release -v quiet -nologo >/dev/null
ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=$seconds" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$seconds" \
  -c:v libx264 -preset ultrafast -crf 14 -pix_fmt yuv420p -c:a aac -shortest "$work/source.mp4"

now() { date +%s.%N; }

# The same rungs, rates, GOPs and audio, as one would write it by hand with ffmpeg's HLS muxer.
rungs=("416:234:145k:30" "640:360:365k:30" "768:432:730k:30" "768:432:1100k:30" "960:540:2000k:30" "1280:720:3000k:30" "1280:720:4500k:30")
graph="[0:v]split=${#rungs[@]}"
for i in "${!rungs[@]}"; do graph+="[s$i]"; done
args=()
map=""
for i in "${!rungs[@]}"; do
  IFS=: read -r w h rate fps <<<"${rungs[$i]}"
  graph+=";[s$i]scale=$w:$h,setsar=1[v$i]"
  kbps=${rate%k}
  args+=(-map "[v$i]" -c:v:$i libx264 -b:v:$i "$rate" -maxrate:v:$i "$((kbps * 3 / 2))k" -bufsize:v:$i "$((kbps * 2))k")
  map+="v:$i,agroup:aud "
done
encoder_run() {
  rm -rf "$work/origin"
  start=$(now)
  dotnet Encoder/bin/Release/net10.0/Encoder.dll encode --input "$work/source.mp4" --output "$work/origin/ours" \
    --preset "$preset" --segment-duration 6 >/dev/null
  echo "$(now) - $start" | bc -l
}

hand_run() {
  rm -rf "$work/hand"
  mkdir -p "$work/hand"
  start=$(now)
  ffmpeg -hide_banner -nostdin -loglevel error -y -i "$work/source.mp4" -filter_complex "$graph" "${args[@]}" \
    -map 0:a:0 -c:a aac -b:a 128k -ac 2 -ar 48000 \
    -preset "$preset" -profile:v high -pix_fmt yuv420p -g 60 -keyint_min 60 -sc_threshold 0 -force_key_frames "expr:gte(t,n_forced*2)" \
    -f hls -hls_time 6 -hls_playlist_type vod -hls_segment_type fmp4 -master_pl_name master.m3u8 \
    -var_stream_map "${map}a:0,agroup:aud" -hls_segment_filename "$work/hand/%v/seg_%05d.m4s" "$work/hand/%v/index.m3u8"
  echo "$(now) - $start" | bc -l
}

ratios=()
ours_all=()
hand_all=()
for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) = 1 ]; then ours=$(encoder_run); hand=$(hand_run); else hand=$(hand_run); ours=$(encoder_run); fi
  ours_all+=("$ours")
  hand_all+=("$hand")
  ratios+=("$(echo "$hand / $ours" | bc -l)")
  printf "pair %d: encoder %.1f s, ffmpeg %.1f s, ratio %.3f\n" "$pair" "$ours" "$hand" "${ratios[-1]}"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(median "${ours_all[@]}")
hand=$(median "${hand_all[@]}")

printf "source: %s s of 1280x720 at 30 fps, preset %s, 7 video renditions + AAC\n" "$seconds" "$preset"
printf "%-28s %8s %10s\n" "" "seconds" "x realtime"
printf "%-28s %8.1f %10.2f\n" "encoder (encode command)" "$ours" "$(echo "$seconds / $ours" | bc -l)"
printf "%-28s %8.1f %10.2f\n" "one hand-written ffmpeg" "$hand" "$(echo "$seconds / $hand" | bc -l)"
printf "median ratio of %d pairs (encoder / ffmpeg speed): %.3f\n" "$pairs" "$(median "${ratios[@]}")"
