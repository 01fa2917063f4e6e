"""Turns the unpacked packages into documents, deduplicates them and splits train/validation.

Usage: extract_text.py RAW_DIR OUT_DIR
Writes OUT_DIR/train.jsonl and OUT_DIR/val.jsonl ({"src": ..., "text": ...} per line) and
OUT_DIR/sources.json (package, version, licence, bytes, documents) for DATA.md.
"""
import glob, gzip, hashlib, json, os, re, sys

RAW, OUT = sys.argv[1], sys.argv[2]
VAL_PER_MILLE = 20          # ~2% of documents go to validation, chosen by a hash of the text
CHUNK = 16_000              # long single files are cut at blank lines so the split stays by document


def deb_version(name):
    with open(os.path.join(RAW, "deb", name + ".version")) as f:
        return f.read().strip()


def npm_dir(spec):
    # npm tarballs hold one top folder: "package" for most, the bare name for @types
    root = os.path.join(RAW, "npm", spec.replace("/", "_").replace("@", "_"))
    (top,) = os.listdir(root)
    return os.path.join(root, top)


def read(path):
    opener = gzip.open if path.endswith((".gz", ".dz")) else open
    with opener(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def chunks(text):
    if len(text) <= 2 * CHUNK:
        return [text]
    out, cur = [], []
    size = 0
    for para in re.split(r"(\n\s*\n)", text):
        cur.append(para); size += len(para)
        if size >= CHUNK:
            out.append("".join(cur)); cur, size = [], 0
    if cur:
        out.append("".join(cur))
    return out


def leaf_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from leaf_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from leaf_strings(v)


def zh_main_strings(path):
    # An ES module whose default export is a JSON-like list; take its string literals.
    src = read(path)
    return [json.loads(m) for m in re.findall(r'"(?:[^"\\\n]|\\.)*"', src)]


def files(root, pattern, exclude=None):
    out = sorted(glob.glob(os.path.join(root, pattern), recursive=True))
    return [p for p in out if os.path.isfile(p) and not (exclude and re.search(exclude, p))]


# (label, package, version, licence, [(doc_id, text)])
SOURCES = []


def add(label, package, version, licence, docs):
    SOURCES.append((label, package, version, licence, docs))


def deb_files(name, pattern, exclude=None):
    root = os.path.join(RAW, "deb", name)
    return [(os.path.relpath(p, root), read(p)) for p in files(root, pattern, exclude)]


def npm_files(spec, pattern, exclude=None):
    root = npm_dir(spec)
    return [(os.path.relpath(p, root), read(p)) for p in files(root, pattern, exclude)]


def main():
    v = deb_version("python3.11-doc")
    add("English", "python3.11-doc", v, "PSF-2.0 (code examples 0BSD)",
        deb_files("python3.11-doc", "usr/share/doc/python3.11/html/_sources/**/*.rst.txt"))
    add("English", "nodejs-doc", deb_version("nodejs-doc"), "MIT",
        deb_files("nodejs-doc", "usr/share/doc/nodejs/api/*.md.gz"))
    add("English", "jargon-text", deb_version("jargon-text"), "public domain",
        deb_files("jargon-text", "usr/share/doc/jargon-text/jargon.txt.gz"))
    add("English", "dict-devil", deb_version("dict-devil"), "public domain",
        deb_files("dict-devil", "usr/share/dictd/devil.dict.dz"))
    for name in ("libpython3.11-stdlib", "libpython3.11-minimal"):
        add("Python", name, deb_version(name), "PSF-2.0",
            deb_files(name, "usr/lib/python3.11/**/*.py"))
    add("TypeScript", "@types/node", "26.6.7", "MIT", npm_files("@types/node@26.6.7", "**/*.d.ts"))
    add("TypeScript", "@types/vscode", "1.140.0", "MIT", npm_files("@types/vscode@1.140.0", "index.d.ts"))
    # lib.dom* and lib.webworker* carry MDN text (CC-BY-SA): left out.
    add("TypeScript", "typescript", "5.9.3", "Apache-2.0",
        npm_files("typescript@5.9.3", "lib/lib.*.d.ts", exclude=r"lib\.(dom|webworker)"))
    add("TypeScript", "zod", "4.6.7", "MIT",
        npm_files("zod@4.6.7", "src/**/*.ts", exclude=r"(\.d\.ts$|/tests?/|\.test\.ts$|\.spec\.ts$|__tests__)"))
    add("TypeScript", "rxjs", "7.8.2", "Apache-2.0", npm_files("rxjs@7.8.2", "src/**/*.ts", exclude=r"\.d\.ts$"))
    add("JavaScript", "lodash", "4.17.21", "MIT", npm_files("lodash@4.17.21", "lodash.js"))
    zh = "@codingame/monaco-vscode-language-pack-zh-hans@25.1.2"
    zroot = npm_dir(zh)
    zdocs = [("translations/main.i18n.json.js",
              "\n".join(zh_main_strings(os.path.join(zroot, "translations/main.i18n.json.js"))))]
    for p in files(zroot, "translations/extensions/*.json"):
        with open(p, encoding="utf-8") as f:
            zdocs.append((os.path.relpath(p, zroot), "\n".join(leaf_strings(json.load(f)))))
    add("Chinese", "@codingame/monaco-vscode-language-pack-zh-hans", "25.1.2", "MIT", zdocs)
    with open(os.path.join(npm_dir("typescript@5.9.3"), "lib/zh-cn/diagnosticMessages.generated.json"),
              encoding="utf-8") as f:
        diag = json.load(f)
    add("Chinese", "typescript (lib/zh-cn/diagnosticMessages.generated.json)", "5.9.3", "Apache-2.0",
        [("lib/zh-cn/diagnosticMessages.generated.json", "\n".join(diag.values()))])

    seen = set()
    meta = []
    with open(os.path.join(OUT, "train.jsonl"), "w", encoding="utf-8") as ftr, \
         open(os.path.join(OUT, "val.jsonl"), "w", encoding="utf-8") as fva:
        for label, package, version, licence, docs in SOURCES:
            stats = {"part": label, "package": package, "version": version, "licence": licence,
                     "files": len(docs), "documents": 0, "bytes": 0, "train_bytes": 0, "val_bytes": 0,
                     "duplicates_dropped": 0}
            for path, text in docs:
                text = text.replace("\r\n", "\n")
                for i, piece in enumerate(chunks(text)):
                    if not piece.strip():
                        continue
                    h = hashlib.sha1(piece.encode("utf-8")).digest()
                    if h in seen:
                        stats["duplicates_dropped"] += 1
                        continue
                    seen.add(h)
                    n = len(piece.encode("utf-8"))
                    is_val = int.from_bytes(h[:4], "little") % 1000 < VAL_PER_MILLE
                    rec = json.dumps({"src": f"{package}:{path}#{i}", "text": piece}, ensure_ascii=False)
                    (fva if is_val else ftr).write(rec + "\n")
                    stats["documents"] += 1; stats["bytes"] += n
                    stats["val_bytes" if is_val else "train_bytes"] += n
            meta.append(stats)
            print(f"{package:55s} {stats['files']:5d} files {stats['bytes']/1e6:7.2f} MB", file=sys.stderr)
    with open(os.path.join(OUT, "sources.json"), "w") as f:
        json.dump(meta, f, indent=1)
    tot = sum(m["bytes"] for m in meta); val = sum(m["val_bytes"] for m in meta)
    print(f"total {tot/1e6:.2f} MB, validation {val/1e6:.2f} MB", file=sys.stderr)


main()
