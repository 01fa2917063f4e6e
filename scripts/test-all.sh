#!/usr/bin/env bash
# Every test of GPT X-Ray, from a fresh clone: `bash scripts/test-all.sh` (= `npm test`, = .ci/run).
#
#   setup (Debian packages, npm ci when needed) -> build -> type checks (host, webview, browser tests) -> lint
#   -> unit tier -> webview tier -> integration tier (in-host tests, then UI tests)
#
# Each tier ends with its own line `N passed, N failed`; the last line is the total. The script exits non-zero
# when any check or test fails, and runs the later tiers anyway so one run shows everything.
#
# Adding tests (all mocha, bdd UI: describe / it / before / after; TypeScript files are loaded as they are
# through test/support/register-ts.cjs, no compile step):
#   unit         test/unit/**/*.test.ts              plain Node; import from ../../src/...
#   webview      test/webview/**/*.test.ts           Node driving Chromium: openPanel() from test/webview/harness.ts
#                                                    loads dist/webview.js under the panel's CSP
#   integration  test/integration/suite/**/*.test.ts runs INSIDE the VS Code extension host (import * as vscode
#                                                    from 'vscode'); mocha bdd UI, 60 s per test
#                test/integration/ui/**/*.test.ts    Node driving the workbench: startWorkbench() from
#                                                    test/integration/ui/harness.ts (palette, editor, webview)
# Screenshots land in .test-tmp/screenshots/ (git-ignored). Environment knobs: XRAY_SKIP_SETUP=1 skips setup;
# XRAY_TIERS="unit webview" runs only those tiers; XRAY_INTEGRATION_GREP filters the in-host tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export FORCE_COLOR=0 NO_COLOR=1

logs=.test-tmp/logs
rm -rf "$logs" && mkdir -p "$logs"
started=$SECONDS
total_passed=0
total_failed=0
problems=()
tiers="${XRAY_TIERS:-unit webview integration}"

step() { printf '\n=== %s ===\n' "$1"; }

# A static check (build, types, lint): counts as a problem when it fails, not as a test.
check() {
  local name=$1; shift
  step "$name"
  if "$@" 2>&1 | tee "$logs/$name.log"; then echo "$name: ok"; else echo "$name: FAILED"; problems+=("$name"); fi
}

# Sum the `N passed, N failed` lines in a log. A run that exits non-zero without reporting a failure (crash,
# time-out, no tests found) adds one failure, so it can never pass silently.
count() {
  local log=$1 rc=$2 passed failed
  passed=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | awk '{s+=$1} END {print s+0}')
  failed=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | awk '{s+=$3} END {print s+0}')
  if [[ $rc != 0 && $failed == 0 ]]; then failed=1; echo "(exit code $rc without a reported test failure: counted as 1 failure)"; fi
  tier_passed=$((tier_passed + passed)); tier_failed=$((tier_failed + failed))
}

tier_end() {
  local name=$1
  echo "--- $name tier ($((SECONDS - tier_started)) s) ---"
  echo "$tier_passed passed, $tier_failed failed"
  total_passed=$((total_passed + tier_passed)); total_failed=$((total_failed + tier_failed))
  ((tier_failed == 0)) || problems+=("$name tier")
}

run_part() { # run_part LOG COMMAND...: one mocha run (or runTests) within a tier
  local log=$1; shift
  "$@" 2>&1 | tee "$log"
  count "$log" "${PIPESTATUS[0]}"
}

if [[ "${XRAY_SKIP_SETUP:-}" != 1 ]]; then
  step setup
  bash scripts/setup.sh || { echo "setup failed: nothing else can run"; echo "0 passed, 1 failed"; exit 1; }
fi
check build node scripts/build.mjs
check typecheck-host npx tsc -p tsconfig.json --noEmit
check typecheck-webview npx tsc -p webview/tsconfig.json --noEmit
check typecheck-browser-tests npx tsc -p test/tsconfig.json --noEmit
check lint npx eslint src webview test scripts

mocha=(node node_modules/mocha/bin/mocha.js)
if [[ " $tiers " == *" unit "* ]]; then
  step "unit tier"; tier_started=$SECONDS; tier_passed=0; tier_failed=0
  run_part "$logs/unit.log" "${mocha[@]}" --config test/unit/.mocharc.json
  tier_end unit
fi
if [[ " $tiers " == *" webview "* ]]; then
  step "webview tier"; tier_started=$SECONDS; tier_passed=0; tier_failed=0
  run_part "$logs/webview.log" "${mocha[@]}" --config test/webview/.mocharc.json
  tier_end webview
fi
if [[ " $tiers " == *" integration "* ]]; then
  step "integration tier"; tier_started=$SECONDS; tier_passed=0; tier_failed=0
  echo "-- in the extension host (runTests -> scripts/code-server/code-server)"
  run_part "$logs/integration-host.log" node -r ./test/support/register-ts.cjs test/integration/runner/run-tests.ts
  echo "-- UI (Playwright driving the workbench)"
  run_part "$logs/integration-ui.log" "${mocha[@]}" --config test/integration/ui/.mocharc.json
  tier_end integration
fi

step summary
echo "time: $((SECONDS - started)) s; logs in $logs/"
if ((${#problems[@]})); then echo "failed: ${problems[*]}"; fi
echo "$total_passed passed, $total_failed failed"
((${#problems[@]} == 0 && total_failed == 0))
