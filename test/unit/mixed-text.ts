/**
 * Seeded generator of mixed text for tokenizer tests: English prose with contractions, source code with indentation,
 * Chinese, emoji (ZWJ sequences, flags, skin tones), runs of spaces/tabs/newlines, numbers, and random Unicode
 * code points from every plane (astral included; never lone surrogates, which no UTF-8 tokenizer can round-trip).
 */
import { prng } from './tiny-checkpoint';

const WORDS = (
  'the of and to in is was he for it with as his on be at by I had not are but from or have an they which one ' +
  'you were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'Hello World Python JavaScript GPT tokenizer attention softmax gradient The A In It'
).split(' ');
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'x"];
const PUNCT = ['.', ',', '!', '?', ';', ':', '...', ' -', ' --', '"', "'", '(', ')', '[', ']', '{', '}', '&', '@', '#'];
const CODE = [
  'function {id}({id}, {id}) {\n  return {id} + {n};\n}\n',
  'def {id}(self, {id}):\n    if {id} is None:\n        return []\n    return [x * {n} for x in {id}]\n',
  'const {id} = await fetch(`/api/${{id}}`);\n',
  '\tfor (let i = 0; i < {n}; i++) {\n\t\t{id}[i] += {id}[i - 1] ?? 0;\n\t}\n',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", {n}); return 0; }\n',
  '  <div class="{id}">{id} &amp; {id}</div>\r\n',
  '// TODO({id}): 修复这个问题 🐛\n',
  '{"{id}": [{n}, {n}.5e-3, null, true],\n "{id}":"\\u00e9"}\n',
];
const EMOJI = ['🌍', '😀', '👍🏽', '👨‍👩‍👧‍👦', '🇨🇳', '🇫🇷', '❤️', '🏳️‍🌈', '🤖', '🐛', '🎉', '✨', '1️⃣', '🧑🏿‍💻'];
const SPACES = ['  ', '    ', '\n', '\n\n', '\n\n\n', '\t', '\t\t', ' \n', '   \n  ', '\r\n', '        ', ' \u00a0 ', '\u3000'];

export function mixedText(targetLength: number, seed: number): string {
  const rand = prng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)];
  const int = (n: number) => Math.floor(rand() * n);
  const ident = () => pick(['x', 'data', 'getValue', 'my_var', 'ÄÖÜ', 'tokenCount', '_private', 'α', 'i18n', 'HTTPServer']);
  const parts: string[] = [];
  let length = 0;
  while (length < targetLength) {
    let s = '';
    switch (int(9)) {
      case 0:
      case 1: {
        const n = 3 + int(20);
        for (let i = 0; i < n; i++) {
          s += (i ? ' ' : '') + pick(WORDS);
          if (rand() < 0.1) s += pick(CONTRACTIONS);
          if (rand() < 0.15) s += pick(PUNCT);
        }
        s += '. ';
        break;
      }
      case 2:
        s = pick(CODE).replace(/\{id\}/g, ident).replace(/\{n\}/g, () => String(int(100000)));
        break;
      case 3: {
        const n = 1 + int(30);
        for (let i = 0; i < n; i++) s += String.fromCodePoint(0x4e00 + int(0x9fff - 0x4e00));
        s += pick(['，', '。', '！', '？', '、', '：', '“', '”', ' ', '']);
        break;
      }
      case 4:
        for (let i = 0, n = 1 + int(4); i < n; i++) s += pick(EMOJI) + (rand() < 0.5 ? ' ' : '');
        break;
      case 5:
        s = pick(SPACES).repeat(1 + int(4));
        break;
      case 6:
        s = (rand() < 0.5 ? ' ' : '') + String(int(1e9)) + pick(['', '.', ',', '%', 'px', '²']);
        break;
      case 7: {
        for (let i = 0, n = 1 + int(12); i < n; i++) s += String.fromCodePoint(randomCodePoint(rand));
        break;
      }
      default:
        s = pick(['Здравствуйте, мир', ' naïve café', ' Ελλάδα', ' こんにちは', ' 안녕하세요', ' שלום', ' مرحبا', ' ไทย', ' e = mc²', ' ∀x∃y']);
    }
    parts.push(s);
    length += s.length;
  }
  return parts.join('');
}

/** A random Unicode scalar value: half from the BMP, half from the astral planes; surrogates excluded. */
function randomCodePoint(rand: () => number): number {
  for (;;) {
    const cp = rand() < 0.5 ? Math.floor(rand() * 0x10000) : 0x10000 + Math.floor(rand() * 0x100000);
    if (cp < 0xd800 || cp > 0xdfff) return cp;
  }
}
