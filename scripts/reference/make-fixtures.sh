#!/usr/bin/env bash
# Regenerates every parity fixture under test/fixtures/parity/ with the PyTorch reference (scripts/reference/).
# Re-run it whenever the bundled model in media/models/xray-mini/ is re-exported: the parity test refuses a fixture
# whose recorded model hash differs from the model on disk.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3  # Debian's python3 carries python3-torch; another python3 on PATH may not
REF=scripts/reference
FIX=test/fixtures/parity
# The reference runs single-threaded with whatever BLAS is installed; fixtures must not depend on CPU tuning.
unset OPENBLAS_CORETYPE

echo "== random-2l: a random 2-layer GPT-2 (F16 safetensors, tied lm_head, transformer. prefix)"
rm -rf "$FIX/random-2l"
$PY $REF/make_fixtures.py random "$FIX/random-2l" --layers 2 --embd 64 --heads 4 --vocab 512 --positions 64 --dtype F16 --seed 0
$PY $REF/make_fixtures.py ids "$FIX/random-2l/ids.json" --count 48 --vocab 512 --seed 1
$PY $REF/gpt2_reference.py "$FIX/random-2l" --ids "$FIX/random-2l/ids.json" --out "$FIX/random-2l/reference" \
  --attention --hidden --label random-2l

FAKE=../shared/fixtures/fake_gpt2
rm -rf "$FIX/fake_gpt2"
if [ -f "$FAKE/model.safetensors" ]; then
  echo "== fake_gpt2 (read from $FAKE, only the reference outputs are stored)"
  mkdir -p "$FIX/fake_gpt2"
  # GPT-2 ids of "Hello, world! This is a test." plus a few high ids
  echo '[15496, 11, 995, 0, 770, 318, 257, 1332, 13, 50256, 40000, 12345]' > "$FIX/fake_gpt2/ids.json"
  $PY $REF/gpt2_reference.py "$FAKE" --ids "$FIX/fake_gpt2/ids.json" --out "$FIX/fake_gpt2/reference" \
    --positions 0,11 --attention --hidden --label fake_gpt2
else
  echo "== fake_gpt2: $FAKE absent, skipped"
fi

MODEL=media/models/xray-mini
rm -rf "$FIX/xray-mini"
if [ -f "$MODEL/model.safetensors" ]; then
  echo "== bundled model $MODEL"
  mkdir -p "$FIX/xray-mini"
  node -r ./test/support/register-ts.cjs $REF/encode_texts.ts "$MODEL" "$FIX/xray-mini"
  for ids in "$FIX"/xray-mini/*.ids.json; do
    name=$(basename "$ids" .ids.json)
    n=$($PY -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$ids")
    # Full logits rows for 3 positions (vocab-wide rows are big); logsumexp and next-token logits for all.
    $PY $REF/gpt2_reference.py "$MODEL" --ids "$ids" --out "$FIX/xray-mini/$name" \
      --positions "0,$((n / 2)),$((n - 1))" --attention --label "xray-mini/$name"
  done
  sha256sum "$MODEL/model.safetensors" | cut -d' ' -f1 > "$FIX/xray-mini/model.sha256"
else
  echo "== bundled model: $MODEL/model.safetensors absent, skipped"
fi
du -sh "$FIX"/*
