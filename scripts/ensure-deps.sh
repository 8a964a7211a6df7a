#!/usr/bin/env bash
# Installs what Edge's demo and tests need on Debian (ffmpeg; mount for the disk-full test), or says exactly what to install.
set -euo pipefail

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
# The disk-full test mounts a small tmpfs.
command -v mount >/dev/null 2>&1 || missing+=(mount)
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
