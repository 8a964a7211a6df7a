#!/usr/bin/env bash
# Per-title ladder against the default (Apple) ladder on three content classes, by BD-rate on VMAF, PSNR and SSIM
# (negative: per-title needs that much less rate for the same quality), and the per-title analysis time against
# the default ladder's whole encode.
#
# VMAF needs an ffmpeg built with libvmaf (Debian's has none): VMAF_FFMPEG names one, VMAF_MODEL its model file.
# By default the static ffmpeg 4.1 with libvmaf 1.3 from the npm package @ffmpeg-installer/linux-x64 (a dev
# dependency, in node_modules after `npm ci`) and the v0.6.1 model in ../shared/vmaf are used when present.
#
# usage: benchmarks/per-title.sh [seconds=24] [height=1080] [classes="easy medium hard"]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-24}"
height="${2:-1080}"
classes="${3:-easy medium hard}"
width=$((height * 16 / 9 / 2 * 2))
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

export VMAF_FFMPEG="${VMAF_FFMPEG:-$PWD/node_modules/@ffmpeg-installer/linux-x64/ffmpeg}"
export VMAF_MODEL="${VMAF_MODEL:-$(cd .. && pwd)/shared/vmaf/vmaf_v0.6.1.pkl}"
[ -x "$VMAF_FFMPEG" ] || { echo "no ffmpeg with libvmaf at $VMAF_FFMPEG (npm ci installs one)" >&2; exit 2; }
[ -f "$VMAF_MODEL" ] || { echo "no VMAF model at $VMAF_MODEL" >&2; exit 2; }

dotnet build Encoder -c Release -v quiet -nologo >/dev/null
encoder=(dotnet Encoder/bin/Release/net10.0/Encoder.dll)

# easy: a still picture; medium: a moving test pattern with text, gradients and motion; hard: the same under
# moving film grain (noise that changes every frame, which no encoder can predict).
source_filter() {
  case "$1" in
    easy) echo "smptehdbars=size=${width}x${height}:rate=30:duration=$seconds" ;;
    medium) echo "testsrc2=size=${width}x${height}:rate=30:duration=$seconds" ;;
    hard) echo "testsrc2=size=${width}x${height}:rate=30:duration=$seconds,noise=alls=4:allf=t" ;;
  esac
}

now() { date +%s.%N; }
results=()
for class in $classes; do
  ffmpeg -hide_banner -nostdin -loglevel error -y -f lavfi -i "$(source_filter "$class")" \
    -c:v libx264 -preset veryfast -crf 8 -pix_fmt yuv420p "$work/$class.mp4"
  start=$(now)
  "${encoder[@]}" encode --input "$work/$class.mp4" --output "$work/out/$class-default" --progress json >/dev/null
  default_seconds=$(echo "$(now) - $start" | bc -l)
  start=$(now)
  "${encoder[@]}" encode --input "$work/$class.mp4" --output "$work/out/$class-per-title" --ladder per-title \
    --metric vmaf --progress json | while IFS= read -r line; do echo "$(now) $line"; done >"$work/$class-per-title.log"
  per_title_seconds=$(echo "$(now) - $start" | bc -l)
  # The ladder phase is the analysis: from the ladder event to the first encode progress.
  analysis=$(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)
      .map(l => ({ at: Number(l.slice(0, l.indexOf(" "))), ...JSON.parse(l.slice(l.indexOf(" ") + 1)) }));
    const ladder = lines.find(e => e.phase === "ladder"), encode = lines.find(e => e.phase === "encode");
    console.log(ladder && encode ? (encode.at - ladder.at).toFixed(1) : "");' "$work/$class-per-title.log")
  "${encoder[@]}" compare --source "$work/$class.mp4" --baseline "$work/out/$class-default" \
    --candidate "$work/out/$class-per-title" --vmaf-subsample "${VMAF_SUBSAMPLE:-24}" >"$work/$class-compare.json"
  results+=("$(node -e '
    const [file, cls, d, p, a] = process.argv.slice(1);
    const r = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const pct = v => v === null || v === undefined ? "n/a" : (v * 100).toFixed(1) + "%";
    const rungs = list => list.map(x => `${x.height}p@${Math.round(x.bitrate / 1000)}k=${x.scores.vmaf.toFixed(1)}`).join(" ");
    console.log([cls, pct(r.bdRate.vmaf), pct(r.bdRate.psnr), pct(r.bdRate["ssim-db"]), Number(d).toFixed(0), a || "?",
      a ? (Number(a) / Number(d)).toFixed(2) : "?", Number(p).toFixed(0)].join("|") + "\n    default:   " + rungs(r.baseline) + "\n    per-title: " + rungs(r.candidate));
  ' "$work/$class-compare.json" "$class" "$default_seconds" "$per_title_seconds" "$analysis")")
  [ -n "${KEEP:-}" ] && cp -r "$work" "$KEEP"
done

printf "sources: %s s of %sx%s at 30 fps; VMAF %s with %s\n" "$seconds" "$width" "$height" "$(basename "$VMAF_MODEL")" "$VMAF_FFMPEG"
printf "%-7s | %-9s | %-9s | %-9s | %-11s | %-10s | %-8s | %s\n" class "BD VMAF" "BD PSNR" "BD SSIM" "default s" "analysis s" "analysis/encode" "per-title s"
for row in "${results[@]}"; do
  head=${row%%$'\n'*}
  IFS='|' read -r c v p s d a r t <<<"$head"
  printf "%-7s | %-9s | %-9s | %-9s | %-11s | %-10s | %-8s | %s\n" "$c" "$v" "$p" "$s" "$d" "$a" "$r" "$t"
  echo "${row#*$'\n'}"
done
