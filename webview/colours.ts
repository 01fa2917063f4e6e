/**
 * Colour: theme colours are read from the --vscode-* variables VS Code sets on the page; data colours come from
 * colour-blind-safe perceptual scales (viridis for weights and probabilities, cividis for signed values), which
 * keep their order in light, dark and high-contrast themes. Canvas code uses precomputed RGB lookup tables.
 */
import { color, interpolateCividis, interpolateViridis } from 'd3';

export type ScaleName = 'viridis' | 'cividis';

const luts = new Map<ScaleName, Uint8Array>();

/** 256 RGB triples for a scale. */
export function lut(name: ScaleName): Uint8Array {
  let table = luts.get(name);
  if (!table) {
    const f = name === 'viridis' ? interpolateViridis : interpolateCividis;
    table = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) {
      const c = color(f(i / 255))!.rgb();
      table.set([Math.round(c.r), Math.round(c.g), Math.round(c.b)], i * 3);
    }
    luts.set(name, table);
  }
  return table;
}

/** An RGB triple as one opaque pixel for a Uint32Array view of ImageData (little-endian: ABGR). */
export function packRgb([r, g, b]: [number, number, number]): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

const packed = new Map<ScaleName, Uint32Array>();

/** 256 opaque pixels of a scale, for Uint32Array views of ImageData. */
export function packedLut(name: ScaleName): Uint32Array {
  let table = packed.get(name);
  if (!table) {
    const rgb = lut(name);
    table = new Uint32Array(256).map((_v, i) => packRgb([rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]]));
    packed.set(name, table);
  }
  return table;
}

export function scaleColour(name: ScaleName, t: number): string {
  const f = name === 'viridis' ? interpolateViridis : interpolateCividis;
  return f(Math.min(1, Math.max(0, t)));
}

/** A --vscode-* variable as RGB, with a fallback when the page does not define it. */
export function themeRgb(variable: string, fallback: [number, number, number]): [number, number, number] {
  const value = getComputedStyle(document.body).getPropertyValue(variable).trim();
  const c = value ? color(value)?.rgb() : null;
  return c ? [Math.round(c.r), Math.round(c.g), Math.round(c.b)] : fallback;
}

export function themeCss(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

/** Surprisal (bits) -> one of 8 classes s0..s7 (2 bits wide), styled in style.css with viridis colours. */
export function surprisalClass(bits: number | null): string {
  if (bits === null || !Number.isFinite(bits)) return 'snone';
  return `s${Math.min(7, Math.max(0, Math.floor(bits / 2)))}`;
}

/** Probability -> one of 8 classes p0..p7 for table cells. */
export function probClass(p: number): string {
  return `p${Math.min(7, Math.max(0, Math.floor(p * 8)))}`;
}
