#!/usr/bin/env bash
# Runs every test of the solution after installing what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --tests
dotnet test Edge.sln -c Release --logger "console;verbosity=normal" "$@"
