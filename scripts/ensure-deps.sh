#!/usr/bin/env bash
# Installs what Edge's demo needs on Debian (ffmpeg; Node.js and npm, which fetch the player pages' packages at
# build time), and with --tests what the tests need too (Chromium for the page tests; mount for the disk-full
# test), or says exactly what to install.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# The demo makes its tokens and derives each node's heartbeat token with openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${1:-}" = --tests ]; then
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  # The disk-full test mounts a small tmpfs.
  command -v mount >/dev/null 2>&1 || missing+=(mount)
  # The monitoring tests check the alert rules with promtool and run a real Prometheus.
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
fi
if ((${#missing[@]} == 0)); then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "edge: please install: ${missing[*]}" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "edge: please run as root or install: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "edge: installing ${missing[*]} with apt-get" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
