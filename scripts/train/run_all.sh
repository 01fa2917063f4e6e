#!/usr/bin/env bash
# Rebuilds the bundled model from corpus/ (run scripts/corpus/build_corpus.sh first): tokenizer, token
# streams, training (MINUTES of compute, resumable: rerun to continue), export, evaluation, plot, card.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$ROOT/scripts/train/work"; MODEL="$ROOT/media/models/xray-mini"; PY=/usr/bin/python3
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-SkylakeX}"   # OpenBLAS 0.3.21 misdetects this CPU (see TRAINING.md)
mkdir -p "$WORK"
[ -f "$WORK/tok/tokenizer.json" ] || $PY "$ROOT/scripts/train/train_tokenizer.py" "$ROOT/corpus" "$WORK/tok" 4096
[ -f "$WORK/train.bin" ] || $PY "$ROOT/scripts/train/tokenize_corpus.py" "$ROOT/corpus" "$WORK/tok" "$WORK"
$PY "$ROOT/scripts/train/train.py" --data "$WORK" --out "$WORK/run" --minutes "${MINUTES:-92}" --repeat_frac 0.25 --clip 1.5
$PY "$ROOT/scripts/train/export.py" "$WORK/run" "$WORK/tok" "$MODEL"
$PY "$ROOT/scripts/train/evaluate.py" "$MODEL" "$WORK"
$PY "$ROOT/scripts/train/plot_curve.py" "$MODEL"
$PY "$ROOT/scripts/corpus/write_data_md.py" "$ROOT/corpus" "$MODEL/DATA.md"
$PY "$ROOT/scripts/train/make_card.py" "$MODEL" "$WORK/run" "$ROOT/corpus"
