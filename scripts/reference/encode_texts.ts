/**
 * Token ids of the parity texts under a model's own tokenizer, for the PyTorch reference (which has no tokenizer).
 * Run by make-fixtures.sh:  node -r ./test/support/register-ts.cjs scripts/reference/encode_texts.ts MODEL_DIR OUT_DIR
 * Writes OUT_DIR/<name>.ids.json for each text, cut to MAX_TOKENS so the stored attention stays small.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/engine/checkpoint';

const MAX_TOKENS = 40;

/** English prose, source code, Chinese: three kinds of text the bundled model is meant for. */
export const PARITY_TEXTS: Record<string, string> = {
  english: 'The quick brown fox jumps over the lazy dog. A language model predicts the next word from the words before it.',
  code: 'function add(a, b) {\n  return a + b;\n}\n\nfor (let i = 0; i < 10; i++) {\n  console.log(add(i, 2));\n}\n',
  chinese: '语言模型根据前面的词预测下一个词。今天天气很好，我们去公园散步吧。',
};

async function main(): Promise<void> {
  const [modelDir, outDir] = process.argv.slice(2);
  if (!modelDir || !outDir) throw new Error('usage: encode_texts.ts MODEL_DIR OUT_DIR');
  const ckpt = await loadCheckpoint(modelDir);
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(PARITY_TEXTS)) {
    const ids = ckpt.tokenizer.encode(text).map((t) => t.id).slice(0, MAX_TOKENS);
    if (ids.length < 2) throw new Error(`text "${name}" gave ${ids.length} tokens; parity needs at least 2`);
    fs.writeFileSync(path.join(outDir, `${name}.ids.json`), JSON.stringify(ids) + '\n');
    console.log(`${name}: ${ids.length} tokens`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
