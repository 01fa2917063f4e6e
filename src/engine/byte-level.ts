/**
 * GPT-2's byte-level alphabet: every byte 0..255 is shown as one printable Unicode character, so BPE vocabularies
 * can be stored as JSON strings (the space byte is "Ġ", newline "Ċ"). Same table as GPT-2's bytes_to_unicode().
 */

/** BYTE_TO_CHAR[b] is the vocabulary character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse of BYTE_TO_CHAR: vocabulary character -> byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b); // '!'..'~'
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b); // '¡'..'¬'
  for (let b = 0xae; b <= 0xff; b++) printable.push(b); // '®'..'ÿ'
  const isPrintable = new Set(printable);
  const table: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    // Printable bytes stand for themselves; the rest are shifted to code points from U+0100 upwards, in byte order.
    table[b] = isPrintable.has(b) ? String.fromCharCode(b) : String.fromCharCode(256 + next++);
  }
  return table;
}

/** UTF-8 length of the code point at s[i] (a lone surrogate counts as U+FFFD, 3 bytes, as TextEncoder writes it). */
export function utf8LengthAt(s: string, i: number): { bytes: number; units: number } {
  const c = s.charCodeAt(i);
  if (c < 0x80) return { bytes: 1, units: 1 };
  if (c < 0x800) return { bytes: 2, units: 1 };
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return { bytes: 4, units: 2 };
  }
  return { bytes: 3, units: 1 };
}
