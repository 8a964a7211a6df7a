#!/usr/bin/env bash
# Makes this deployment's secrets once, in deploy/compose/.env (read by docker compose, kept out of git):
# the operator token, the control planes' node key, and each edge's heartbeat token, hex(HMAC-SHA256(key, id)).
# Prints the operator token; run again with --force to make new ones.
set -euo pipefail
cd "$(dirname "$0")"
if [ -e .env ] && [ "${1:-}" != --force ]; then
  echo "edge: deploy/compose/.env exists; keeping its secrets (--force makes new ones)" >&2
  exit 0
fi

command -v openssl >/dev/null 2>&1 || { echo "edge: openssl is needed to make the secrets" >&2; exit 1; }
key=$(openssl rand -hex 32)
admin=$(openssl rand -hex 32)
token() { printf %s "$1" | openssl dgst -sha256 -hmac "$key" -r | cut -d' ' -f1; }
umask 077
{
  echo "EDGE_ADMIN_TOKEN=$admin"
  echo "EDGE_NODE_KEY=$key"
  for n in 1 2 3; do echo "EDGE_${n}_NODE_TOKEN=$(token "edge-$n")"; done
} > .env.tmp
mv .env.tmp .env
echo "edge: operator token $admin (also in deploy/compose/.env)"
