#!/usr/bin/env bash
# Installs everything GPT X-Ray needs on a fresh Debian machine with Node 20, and does nothing on a machine
# that already has it (safe to run before every build or test):
#   1. Debian packages (root only; `apt-get update` once, only when one is missing);
#   2. the ripgrep download cache code-server's @vscode/ripgrep looks in (it would fetch rg from GitHub);
#   3. `npm ci`, skipped when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(chromium libkrb5-dev ripgrep python3-torch libopenblas0-pthread python3-numpy python3-regex)

# --- 1. Debian packages -----------------------------------------------------------------------------------
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" != 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this script as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- 2. ripgrep cache for @vscode/ripgrep (inside code-server) -----------------------------------------------
# Its postinstall first looks for <tmpdir>/vscode-ripgrep-cache-<pkg version>/ripgrep-<rg version>-<target>.tar.gz,
# a tar.gz with `rg` at its root. Debian's rg serves; the file is built once per machine.
case "$(uname -m)" in
  x86_64) rg_target=x86_64-unknown-linux-musl ;;
  aarch64) rg_target=aarch64-unknown-linux-musl ;;
  *) echo "setup: no ripgrep cache for architecture $(uname -m); @vscode/ripgrep will try to download" >&2; rg_target= ;;
esac
if [[ -n "$rg_target" ]]; then
  rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  rg_tarball="$rg_cache/ripgrep-v13.0.0-10-$rg_target.tar.gz"
  if [[ ! -s "$rg_tarball" ]]; then
    rg_bin="$(command -v rg || true)"
    [[ -n "$rg_bin" ]] || { echo "setup: ripgrep (rg) is not installed; install the Debian package ripgrep" >&2; exit 1; }
    mkdir -p "$rg_cache"
    staging="$(mktemp -d)"
    cp "$rg_bin" "$staging/rg"
    tar -czf "$rg_tarball.partial" -C "$staging" rg
    mv "$rg_tarball.partial" "$rg_tarball"
    rm -rf "$staging"
    echo "setup: built $rg_tarball from $rg_bin"
  fi
fi

# --- 3. npm packages -----------------------------------------------------------------------------------------
# code-server's postinstall refuses root without unsafe_perm; node-pty's postinstall calls npx, which must not ask.
export npm_config_unsafe_perm=true npm_config_yes=true
# onnxruntime-node's postinstall would fetch optional CUDA binaries from outside the npm registry (and fail here);
# its CPU binaries ship in the npm tarball, which is all the fast path uses.
export ONNXRUNTIME_NODE_INSTALL=skip

# node_modules is current when every locked package is installed at its locked version and code-server's own
# postinstall (VS Code's node_modules, with ripgrep) has run. Reading ~800 package.json files takes well under 1 s.
node_modules_current() {
  node - <<'EOF'
const fs = require('node:fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
for (const [where, entry] of Object.entries(lock.packages)) {
  if (where === '' || entry.link) continue;
  let installed;
  try {
    installed = JSON.parse(fs.readFileSync(`${where}/package.json`, 'utf8'));
  } catch {
    if (entry.optional) continue; // another platform's optional binary package
    process.exit(1);
  }
  if (installed.version !== entry.version) process.exit(1);
}
const needed = ['node_modules/code-server/lib/vscode/node_modules', 'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg'];
process.exit(needed.every((p) => fs.existsSync(p)) ? 0 : 1);
EOF
}

if node_modules_current; then
  echo "setup: node_modules matches package-lock.json"
else
  echo "setup: npm ci (a few minutes on a fresh machine)"
  npm ci --no-audit --no-fund
  node_modules_current || { echo "setup: npm ci finished but node_modules does not match package-lock.json" >&2; exit 1; }
fi
