#!/usr/bin/env bash
# Runs every test of the solution after installing what the tests need. The projects' output interleaves, so a
# failing run ends by repeating each failed test with its message, where the last lines of a log show it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --tests
mkdir -p TestResults
# The npm packages first: the build would fetch them too, but test projects start while others still build, and
# a test that runs node (hls-parser) must not find node_modules half written.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
log=TestResults/test-output.log
status=0
dotnet test Edge.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" != 0 ]; then
  echo
  echo "edge: the test run failed (exit $status); what failed:"
  grep -E -A 12 '^\s+Failed [A-Za-z]|error [A-Z]+[0-9]+:|Test Run Aborted|The active test run was aborted' "$log" | cut -c1-400 | tail -n 150 || true
fi
exit "$status"
