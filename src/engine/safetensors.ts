/**
 * The safetensors format (8-byte little-endian header length, a JSON header, then raw little-endian data):
 * read with full validation, and write (tests and the random-checkpoint generators use it).
 * Every size the header declares is checked against the file length before anything is allocated, so a corrupt
 * or hostile file fails with a one-line Error naming the file instead of exhausting memory.
 */
import * as fs from 'fs';
import type { HostTensor } from './types';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** Largest header we accept: the reference implementation refuses headers over 100 MB too. */
const MAX_HEADER_BYTES = 100_000_000;

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

type Fail = (what: string) => never;

function failer(fileName: string): Fail {
  return (what: string): never => {
    throw new Error(`${fileName}: ${what}`);
  };
}

/** The header length from the first 8 bytes, checked against the file size before anything is allocated. */
function headerLength(first8: Uint8Array, fileSize: number, fail: Fail): number {
  if (fileSize < 8) fail(`file is ${fileSize} bytes, shorter than the 8-byte safetensors header length`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLen = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLen > fileSize - 8) fail(`header length ${headerLen} is beyond the file (${fileSize - 8} bytes after the length field)`);
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLen === 0) fail('header is empty, not JSON');
  return headerLen;
}

/** Parse and validate the JSON header: every tensor's dtype, shape and place in a data section of dataLen bytes. */
function parseHeader(headerBytes: Uint8Array, dataLen: number, fail: Fail): Entry[] {
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    return fail(`header is not JSON (${oneLine((e as Error).message)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    entries.push(parseEntry(name, raw, dataLen, fail));
  }
  checkLayout(entries, dataLen, fail);
  return entries;
}

/** Parse safetensors bytes into float32 host tensors (F16 and BF16 are widened). */
export function readSafetensors(bytes: Uint8Array, fileName: string): Map<string, HostTensor> {
  const fail = failer(fileName);
  const headerLen = headerLength(bytes, bytes.length, fail);
  const dataStart = 8 + headerLen;
  const entries = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, fail);
  const out = new Map<string, HostTensor>();
  for (const e of entries) {
    const src = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    out.set(e.name, { shape: e.shape, data: decode(src, e.dtype) });
  }
  return out;
}

/**
 * Read a safetensors file tensor by tensor: peak memory is the weights themselves (no whole-file buffer), and files
 * over Node's 2 GB readFileSync limit load too.
 */
export function readSafetensorsFile(file: string): Map<string, HostTensor> {
  const fail = failer(file);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    return fail(`cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const first8 = new Uint8Array(8);
    readAt(fd, first8, 0, fail);
    const headerLen = headerLength(first8, size, fail);
    const headerBytes = new Uint8Array(headerLen);
    readAt(fd, headerBytes, 8, fail);
    const dataStart = 8 + headerLen;
    const entries = parseHeader(headerBytes, size - dataStart, fail);
    const out = new Map<string, HostTensor>();
    for (const e of entries) {
      const n = e.end - e.begin;
      let data: Float32Array;
      if (e.dtype === 'F32') {
        // Read straight into the tensor's own buffer: no copy.
        data = new Float32Array(n / 4);
        readAt(fd, new Uint8Array(data.buffer), dataStart + e.begin, fail);
      } else {
        const raw = new Uint8Array(n);
        readAt(fd, raw, dataStart + e.begin, fail);
        data = decode(raw, e.dtype);
      }
      out.set(e.name, { shape: e.shape, data });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Fill `into` from the file at `position`, in chunks below the 2 GB per-call limit. */
function readAt(fd: number, into: Uint8Array, position: number, fail: Fail): void {
  const CHUNK = 1 << 30;
  for (let done = 0; done < into.length; ) {
    const len = Math.min(CHUNK, into.length - done);
    let got: number;
    try {
      got = fs.readSync(fd, into, done, len, position + done);
    } catch (e) {
      return fail(`read failed at byte ${position + done} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (got === 0) fail(`file ended at byte ${position + done}, before the ${into.length} bytes its header declares`);
    done += got;
  }
}

function parseEntry(name: string, raw: unknown, dataLen: number, fail: Fail): Entry {
  if (typeof raw !== 'object' || raw === null) fail(`tensor "${name}" has a header entry that is not an object`);
  const r = raw as Record<string, unknown>;
  const dtype = r.dtype;
  if (typeof dtype !== 'string') return fail(`tensor "${name}" has no dtype`);
  if (!(dtype in BYTES_PER_ELEMENT)) {
    fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(dtype).slice(0, 40)} (supported: F32, F16, BF16)`);
  }
  const shape = r.shape;
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    fail(`tensor "${name}" has a shape that is not a list of non-negative integers`);
  }
  const offsets = r.data_offsets;
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    return fail(`tensor "${name}" has data_offsets that are not two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that run backwards`);
  if (end > dataLen) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section`);
  const size = BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
  // Product in floating point: a huge declared shape cannot overflow into a small, plausible number.
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (elements * size !== end - begin) {
    fail(`tensor "${name}" declares shape [${(shape as number[]).join(', ')}] (${elements * size} bytes) but data_offsets hold ${end - begin} bytes`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: (shape as number[]).slice(), begin, end };
}

/**
 * Tensors must tile the data section exactly, in offset order, as the reference implementation demands: an overlap,
 * a gap or trailing bytes means the header and the data disagree (for example a header length that is off by one).
 */
function checkLayout(entries: Entry[], dataLen: number, fail: Fail): void {
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let last: Entry | undefined;
  for (const cur of sorted) {
    if (cur.begin < cursor && last) {
      fail(`tensors "${last.name}" [${last.begin}, ${last.end}] and "${cur.name}" [${cur.begin}, ${cur.end}] overlap in the data section`);
    }
    if (cur.begin > cursor) fail(`data section has a gap at bytes [${cursor}, ${cur.begin}) before tensor "${cur.name}"`);
    cursor = cur.end;
    last = cur;
  }
  if (cursor !== dataLen) fail(`data section has ${dataLen - cursor} bytes after the last tensor (header and data disagree)`);
}

function decode(src: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  // Copy into a fresh, aligned buffer; the file's data need not be 4-byte aligned. (Little-endian hosts only,
  // which covers every platform Node and VS Code ship on.)
  // new Uint8Array(src), not src.slice(): on a Node Buffer (readFileSync) slice() is a view sharing the whole file.
  const copy = new Uint8Array(src);
  if (dtype === 'F32') return new Float32Array(copy.buffer, 0, copy.length / 4);
  const halves = new Uint16Array(copy.buffer, 0, copy.length / 2);
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  } else {
    const table = f16Table();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  }
  return out;
}

let f16ToF32: Float32Array | undefined;
/** All 65536 half-precision values as float32, built once (faster than decoding bit fields per element). */
function f16Table(): Float32Array {
  if (f16ToF32) return f16ToF32;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16ToF32 = t;
  return t;
}

/** float32 -> IEEE half bits, round to nearest even (as torch's .half() does). */
export function f32ToF16Bits(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent, which is correct
  return sign | half;
}

/** Serialize tensors (in the map's order) as safetensors; F16 rounds to nearest even. */
export function writeSafetensors(tensors: Map<string, HostTensor>, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const size = BYTES_PER_ELEMENT[dtype];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new Error(`writeSafetensors: tensor "${name}" has shape [${t.shape.join(', ')}] but ${t.data.length} values`);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + elements * size] };
    offset += elements * size;
  }
  let headerText = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
  headerText += ' '.repeat((8 - ((Buffer.byteLength(headerText) + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes.length, true);
  view.setUint32(4, 0, true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    if (dtype === 'F32') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setUint16(pos + 2 * i, f32ToF16Bits(t.data[i]), true);
    }
    pos += t.data.length * size;
  }
  return out;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 120);
}
