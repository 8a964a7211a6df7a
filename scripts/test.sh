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
if [ "$#" -gt 0 ]; then
  dotnet test Edge.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
else
  # Tests that hold a live player to real time run last and alone: the test projects run side by side, and on two
  # cores an encode or a load test beside them starves the live encoder and the browser, which a player sees as a stall.
  dotnet test Edge.sln -c Release --logger "console;verbosity=normal" --filter "Category!=RealTime" 2>&1 | tee "$log" || status=$?
  dotnet test tests/ControlPlane.Tests -c Release --no-build --logger "console;verbosity=normal" --filter "Category=RealTime" 2>&1 | tee -a "$log" || status=$?
fi
if [ "$status" != 0 ]; then
  echo
  echo "edge: the test run failed (exit $status); what failed:"
  grep -E -A 12 '^\s+Failed [A-Za-z]|error [A-Z]+[0-9]+:|Test Run Aborted|The active test run was aborted' "$log" | cut -c1-400 | tail -n 150 || true
fi
exit "$status"
