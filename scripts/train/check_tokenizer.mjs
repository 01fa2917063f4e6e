// Cross-checks tokenizer.json with Hugging Face's own JS tokenizer: same ids as our Python encoder on
// samples of every part of the corpus, and exact round-trip (Chinese, every byte).
// Usage: node check_tokenizer.mjs MODEL_DIR SAMPLES.json   (samples: [{text, ids}] from bpe.Encoder)
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [dir, samplesPath] = process.argv.slice(2);
const tok = new Tokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")), {});
const samples = JSON.parse(readFileSync(samplesPath, "utf8"));
let bad = 0;
for (const { text, ids } of samples) {
  const got = tok.encode(text, { add_special_tokens: false }).ids;
  const same = got.length === ids.length && got.every((v, i) => v === ids[i]);
  const back = tok.decode(got, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  if (!same || back !== text) {
    bad++;
    console.log("MISMATCH", JSON.stringify(text.slice(0, 60)), same, back === text);
  }
}
console.log(`${samples.length - bad}/${samples.length} samples agree`);
process.exit(bad ? 1 : 0);
