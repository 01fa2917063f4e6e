#!/usr/bin/env bash
# Runs GPT X-Ray as a person would: installs what is missing (scripts/setup.sh), builds and packages the
# extension (gpt-xray.vsix), installs the .vsix into a local VS Code (code-server), starts it on
# 127.0.0.1:${PORT:-8080} with the samples of media/samples open, and prints the address to open in a browser.
# Ctrl+C stops it. State (user data, extensions, a copy of the samples) lives in .test-tmp/product/.
#   PORT=9000 bash scripts/run-product.sh     another port
#   XRAY_PRODUCT_CHECK=1 bash scripts/run-product.sh   start, check in Chromium that the palette offers the
#                                                      GPT X-Ray commands (screenshot in .test-tmp/screenshots/product/), stop
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
port="${PORT:-8080}"
state="$root/.test-tmp/product"
entry="$root/node_modules/code-server/out/node/entry.js"

bash scripts/setup.sh
npm run --silent package
mkdir -p "$state/user-data/User" "$state/extensions" "$state/workspace"
cp -rn media/samples/. "$state/workspace/"   # -n: keep the person's edits from an earlier run

if ! node -e "const s=require('net').createServer().once('error',()=>process.exit(1)).listen($port,'127.0.0.1',()=>s.close())"; then
  echo "run-product: port $port on 127.0.0.1 is in use; choose another with PORT=NNNN bash scripts/run-product.sh" >&2
  exit 1
fi

cat > "$state/code-server.yaml" <<YAML
bind-addr: 127.0.0.1:$port
auth: none
cert: false
YAML
[[ -f "$state/user-data/User/settings.json" ]] || cat > "$state/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "readme",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON

export EXTENSIONS_GALLERY='{}'
http_ok() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
common=(--config "$state/code-server.yaml" --user-data-dir "$state/user-data" --extensions-dir "$state/extensions")
node "$entry" "${common[@]}" --force --install-extension "$root/gpt-xray.vsix" >/dev/null
echo "run-product: installed gpt-xray.vsix ($(du -k gpt-xray.vsix | cut -f1) KiB) into $state/extensions"

# Own process group (setsid), ended as a whole on exit: code-server leaves watcher processes otherwise.
setsid node "$entry" "${common[@]}" --auth none --bind-addr "127.0.0.1:$port" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override "$state/workspace" \
  > "$state/code-server.log" 2>&1 &
pid=$!
stop() { kill -TERM -- "-$pid" 2>/dev/null || true; sleep 1; kill -KILL -- "-$pid" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 240); do
  http_ok "http://127.0.0.1:$port/healthz" && break
  kill -0 "$pid" 2>/dev/null || { echo "run-product: code-server exited; its log:" >&2; tail -20 "$state/code-server.log" >&2; exit 1; }
  sleep 0.5
done
http_ok "http://127.0.0.1:$port/healthz" || { echo "run-product: code-server did not answer within 120 s" >&2; tail -20 "$state/code-server.log" >&2; exit 1; }

address="http://127.0.0.1:$port/?folder=$state/workspace"
echo
echo "GPT X-Ray is running in VS Code (code-server). Open this address in a browser:"
echo
echo "    $address"
echo
if [[ "${XRAY_PRODUCT_CHECK:-}" == 1 ]]; then
  node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.exit(t.includes("vscode-workbench-web-configuration") ? 0 : 1), () => process.exit(1))' "$address" || { echo "run-product: the workbench page did not load" >&2; exit 1; }
  node -r ./test/support/register-ts.cjs test/integration/runner/check-product.ts "http://127.0.0.1:$port" "$state/workspace"
  echo "run-product: the workbench answers and offers the GPT X-Ray commands; stopping (XRAY_PRODUCT_CHECK=1)"
  exit 0
fi
echo "Press Ctrl+C to stop. (code-server log: $state/code-server.log)"
wait "$pid"
