import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors, readSafetensorsFile, writeSafetensors, f32ToF16Bits } from '../../src/engine/safetensors';
import type { HostTensor } from '../../src/engine/types';
import { fakeGpt2Dir } from './repo-root';

/** Build a safetensors file by hand: header object + raw data bytes. */
function rawFile(header: Record<string, unknown>, data: Uint8Array, lengthOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthOverride ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(b.buffer).setUint16(2 * i, v, true));
  return b;
}

function throwsOneLine(fn: () => unknown, ...parts: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.ok(!e.message.includes('\n'), `multi-line message: ${e.message}`);
    assert.ok(e.message.startsWith('w.safetensors: '), `message does not name the file: ${e.message}`);
    for (const p of parts) assert.match(e.message, p);
    return true;
  });
}

describe('safetensors', () => {
  it('round-trips F32 tensors, including scalars and empty tensors', () => {
    const m = new Map<string, HostTensor>([
      ['a', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
      ['s', { shape: [], data: Float32Array.from([42]) }],
      ['e', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const back = readSafetensors(writeSafetensors(m), 'w.safetensors');
    assert.deepEqual([...back.keys()].sort(), ['a', 'e', 's']);
    assert.deepEqual(back.get('a')?.shape, [2, 3]);
    assert.deepEqual([...(back.get('a')?.data ?? [])], [1, -2, 3.5, Math.fround(1e-30), -0, 7]);
    assert.deepEqual(back.get('s')?.shape, []);
    assert.equal(back.get('s')?.data[0], 42);
    assert.equal(back.get('e')?.data.length, 0);
  });

  it('reads from a Node Buffer that is a view into a larger buffer (Buffer.slice shares memory)', () => {
    const m = new Map<string, HostTensor>([
      ['a', { shape: [2], data: Float32Array.from([1.25, -3]) }],
      ['b', { shape: [3], data: Float32Array.from([7, 8, 9]) }],
    ]);
    const bytes = writeSafetensors(m);
    const big = Buffer.alloc(bytes.length + 64, 0xff);
    big.set(bytes, 32);
    const view = big.subarray(32, 32 + bytes.length);
    for (const input of [view, Buffer.from(bytes)]) {
      const back = readSafetensors(input, 'w.safetensors');
      assert.deepEqual([...(back.get('a')?.data ?? [])], [1.25, -3]);
      assert.deepEqual([...(back.get('b')?.data ?? [])], [7, 8, 9]);
    }
  });

  it('reads a file tensor by tensor with the same result and the same checks as reading its bytes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-xray-st-'));
    try {
      const m = new Map<string, HostTensor>([
        ['a', { shape: [2, 2], data: Float32Array.from([0.5, -1, 2, 1e-3]) }],
        ['b', { shape: [3], data: Float32Array.from([7, 8, 9]) }],
      ]);
      for (const dtype of ['F32', 'F16'] as const) {
        const file = path.join(dir, `${dtype}.safetensors`);
        fs.writeFileSync(file, writeSafetensors(m, dtype));
        const fromFile = readSafetensorsFile(file);
        const fromBytes = readSafetensors(fs.readFileSync(file), file);
        assert.deepEqual([...fromFile.keys()], ['a', 'b']);
        for (const k of ['a', 'b']) assert.deepEqual(fromFile.get(k), fromBytes.get(k));
      }
      const file = path.join(dir, 'F32.safetensors');
      const bytes = fs.readFileSync(file);
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
      assert.throws(() => readSafetensorsFile(file), (e: unknown) => e instanceof Error && e.message.startsWith(`${file}: tensor "b"`) && /outside the/.test(e.message));
      fs.writeFileSync(file, bytes.subarray(0, 20));
      assert.throws(() => readSafetensorsFile(file), (e: unknown) => e instanceof Error && e.message.startsWith(`${file}: header length`));
      assert.throws(() => readSafetensorsFile(path.join(dir, 'none.safetensors')), /none\.safetensors: cannot open \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a header padded so data starts 8-byte aligned', () => {
    const bytes = writeSafetensors(new Map([['x', { shape: [1], data: Float32Array.from([1]) }]]));
    const n = new DataView(bytes.buffer).getUint32(0, true);
    assert.equal((8 + n) % 8, 0);
  });

  it('rounds float32 to F16 to nearest even, like numpy astype(float16)', () => {
    // Expected bits from numpy 1.x: np.array(x, np.float32).astype(np.float16).view(np.uint16)
    const cases: Array<[number, number]> = [
      [1.0, 0x3c00], [-2.0, 0xc000], [0.333333333, 0x3555], [65504, 0x7bff], [70000, 0x7c00], [2 ** -24, 0x0001],
      [1e-9, 0x0000], [3.14159265, 0x4248], [-0, 0x8000], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
      [6.1e-5, 0x03ff], [2 ** -25 * 1.5, 0x0001], [65520, 0x7c00], [65519, 0x7bff], [Infinity, 0x7c00],
    ];
    for (const [x, bits] of cases) assert.equal(f32ToF16Bits(x), bits, `f16(${x})`);
    assert.equal(f32ToF16Bits(NaN) & 0x7c00, 0x7c00);
    assert.notEqual(f32ToF16Bits(NaN) & 0x3ff, 0);
  });

  it('reads F16 values (normal, subnormal, infinite) as float32', () => {
    const data = u16le([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x03ff]);
    const t = readSafetensors(rawFile({ x: { dtype: 'F16', shape: [9], data_offsets: [0, 18] } }, data), 'w.safetensors').get('x');
    assert.deepEqual([...(t?.data ?? [])], [1, -2, 0.333251953125, 65504, 2 ** -24, Infinity, -Infinity, -0, 1023 * 2 ** -24]);
  });

  it('reads BF16 values as float32 (upper half of the float32 bits)', () => {
    // 0x3f80 = 1, 0xc040 = -3, 0x4049 = 3.140625, 0x0001 = smallest subnormal 2^-133
    const data = u16le([0x3f80, 0xc040, 0x4049, 0x0001]);
    const t = readSafetensors(rawFile({ y: { dtype: 'BF16', shape: [2, 2], data_offsets: [0, 8] } }, data), 'w.safetensors').get('y');
    assert.deepEqual(t?.shape, [2, 2]);
    assert.deepEqual([...(t?.data ?? [])], [1, -3, 3.140625, 2 ** -133]);
  });

  it('writes F16 that reads back as the rounded values', () => {
    const m = new Map([['h', { shape: [3], data: Float32Array.from([0.1, -1000.3, 1e-7]) }]]);
    const back = readSafetensors(writeSafetensors(m, 'F16'), 'w.safetensors').get('h');
    // numpy: np.float32(np.float16(v)) for 0.1, -1000.3, 1e-7
    assert.deepEqual([...(back?.data ?? [])], [0.0999755859375, -1000.5, 1.1920928955078125e-7]);
  });

  it('reads F32 data that is not 4-byte aligned in the file', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2.25]).buffer);
    const header = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { p: 'abc' } }; // odd-length header
    const bytes = rawFile(header, data);
    assert.notEqual((8 + JSON.stringify(header).length) % 4, 0);
    assert.deepEqual([...(readSafetensors(bytes, 'w.safetensors').get('x')?.data ?? [])], [1.5, -2.25]);
  });

  it('reads the real save_pretrained file of ../shared/fixtures/fake_gpt2 with values numpy reads', function () {
    const dir = fakeGpt2Dir();
    if (!dir) {
      console.log('    skipped: ../shared/fixtures/fake_gpt2 is absent');
      this.skip();
    }
    const m = readSafetensors(fs.readFileSync(path.join(dir, 'model.safetensors')), 'model.safetensors');
    assert.equal(m.size, 16);
    const wte = m.get('transformer.wte.weight') as HostTensor;
    assert.deepEqual(wte.shape, [50257, 2]);
    // Expected values from numpy.frombuffer of the same file.
    assert.ok(Math.abs(wte.data[0] - 0.02743322) < 1e-8 && Math.abs(wte.data[1] - 0.01169758) < 1e-8);
    assert.ok(Math.abs(wte.data[50256 * 2] - 0.02904154) < 1e-8 && Math.abs(wte.data[50256 * 2 + 1] + 0.0079408) < 1e-8);
    const cAttn = m.get('transformer.h.0.attn.c_attn.weight') as HostTensor;
    assert.deepEqual(cAttn.shape, [2, 6]);
    assert.ok(Math.abs(cAttn.data[0] + 5.58640286e-2) < 1e-9 && Math.abs(cAttn.data[11] - 8.49790667e-5) < 1e-12);
    assert.deepEqual([...(m.get('transformer.ln_f.weight')?.data ?? [])], [1, 1]);
  });

  describe('refuses malformed files with one line naming the file', () => {
    const f32 = (n: number) => new Uint8Array(4 * n);
    it('shorter than the length field', () => throwsOneLine(() => readSafetensors(new Uint8Array(5), 'w.safetensors'), /shorter than the 8-byte/));
    it('header length beyond the file', () =>
      throwsOneLine(() => readSafetensors(rawFile({}, f32(1), 10_000), 'w.safetensors'), /header length 10000 is beyond the file/));
    it('header length with the high 32 bits set', () => {
      const b = rawFile({}, f32(1));
      new DataView(b.buffer).setUint32(4, 7, true);
      throwsOneLine(() => readSafetensors(b, 'w.safetensors'), /beyond the file/);
    });
    it('header not JSON', () => {
      const b = rawFile({}, f32(0));
      b.set(new TextEncoder().encode('{x'), 8);
      throwsOneLine(() => readSafetensors(b, 'w.safetensors'), /header is not JSON/);
    });
    it('header a JSON array', () => {
      const h = new TextEncoder().encode('[1,2]');
      const b = new Uint8Array(8 + h.length);
      new DataView(b.buffer).setUint32(0, h.length, true);
      b.set(h, 8);
      throwsOneLine(() => readSafetensors(b, 'w.safetensors'), /not a JSON object/);
    });
    it('data offsets outside the file', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), 'w.safetensors'), /"x".*outside the 8-byte data section/));
    it('data offsets backwards', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f32(2)), 'w.safetensors'), /run backwards/));
    it('overlapping tensors', () =>
      throwsOneLine(
        () => readSafetensors(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), 'w.safetensors'),
        /"a".*"b".*overlap/,
      ));
    it('a gap between tensors', () =>
      throwsOneLine(
        () => readSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)), 'w.safetensors'),
        /gap at bytes \[4, 8\) before tensor "b"/,
      ));
    it('trailing bytes after the last tensor (header and data disagree)', () =>
      throwsOneLine(() => readSafetensors(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), 'w.safetensors'), /4 bytes after the last tensor/));
    it('unsupported dtype', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32(2)), 'w.safetensors'), /"x" has unsupported dtype "I64"/));
    it('shape that does not match the byte count', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), 'w.safetensors'), /shape \[3\].*12 bytes.*8 bytes/));
    it('a huge declared shape is refused before allocating', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 8] } }, f32(2)), 'w.safetensors'), /declares shape/));
    it('negative or fractional shape entries', () =>
      throwsOneLine(() => readSafetensors(rawFile({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32(2)), 'w.safetensors'), /not a list of non-negative integers/));
  });
});
