/**
 * A square token x token matrix drawn on a canvas (one pixel per cell, scaled without smoothing), so 1024 x 1024
 * stays one element. Thinned SVG labels, a zoom (cell size in px) inside a scrolling box, masked cells drawn in the
 * theme background with a hatch (never as the colour of zero), hover and keyboard cursor with a tooltip and a live
 * region, the selected row outlined. Used by the attention heatmap and the cosine-similarity matrix.
 */
import { select } from 'd3';
import { packRgb, packedLut, themeRgb, type ScaleName } from '../colours';

export const MARGIN = 72; // px for row and column labels; style.css places the canvas at the same offset

export interface MatrixOptions {
  ariaLabel: string;
  scale: ScaleName;
  domain: [number, number];
  /** Causal mask: cells with col > row (keys after the query) are drawn as masked. */
  causal?: boolean;
  describe: (row: number, col: number, value: number) => string;
  onHover?: (cell: { row: number; col: number } | null) => void;
  onActivate?: (row: number, col: number) => void;
}

export interface MatrixHandle {
  setData(values: Float32Array, labels: string[]): void;
  setSelectedRow(row: number): void;
  /** Cell size in px, or 0 to fit the box's width. */
  setZoom(cell: number): void;
  cellSize(): number;
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  dispose(): void;
}

export function createMatrix(element: HTMLElement, options: MatrixOptions): MatrixHandle {
  const o = options;
  const root = element.appendChild(document.createElement('div'));
  root.className = 'matrix';
  const inner = root.appendChild(document.createElement('div'));
  inner.className = 'matrix-inner';
  const labels = select(inner).append('svg').attr('class', 'matrix-labels').attr('aria-hidden', 'true');
  const canvas = inner.appendChild(document.createElement('canvas'));
  canvas.className = 'matrix-canvas';
  const overlay = select(inner).append('svg').attr('class', 'matrix-overlay')
    .attr('tabindex', 0).attr('role', 'grid').attr('aria-label', `${o.ariaLabel}. Arrow keys move between cells, Enter selects the row's token.`);
  const rowRect = overlay.append('rect').attr('class', 'row-sel');
  const cursor = overlay.append('rect').attr('class', 'cell-cursor').attr('visibility', 'hidden');
  const live = root.appendChild(document.createElement('div'));
  live.className = 'sr-only';
  live.setAttribute('aria-live', 'polite');
  const tip = root.appendChild(document.createElement('div'));
  tip.className = 'tooltip';
  tip.hidden = true;

  let values: Float32Array = new Float32Array(0);
  let names: string[] = [];
  let T = 0;
  let zoom = 0;
  let cell = 1;
  let selectedRow = -1;
  let cur: { row: number; col: number } | null = null;

  function fitCell(): number {
    if (zoom > 0) return zoom;
    const width = element.clientWidth || 600;
    return Math.max(1, Math.min(24, Math.floor((width - MARGIN - 16) / Math.max(1, T))));
  }

  function paint(): void {
    cell = fitCell();
    const size = T * cell;
    canvas.width = size;
    canvas.height = size;
    labels.attr('width', MARGIN + size + 8).attr('height', MARGIN + size + 8);
    overlay.attr('width', size).attr('height', size);
    const ctx = canvas.getContext('2d');
    if (!ctx || T === 0) return;
    // One pixel per cell on an offscreen canvas, then scaled up without smoothing.
    const img = new ImageData(T, T);
    const px = new Uint32Array(img.data.buffer);
    const table = packedLut(o.scale);
    const [lo, hi] = o.domain;
    const k = 255 / (hi - lo || 1);
    if (o.causal) px.fill(packRgb(themeRgb('--vscode-editor-background', [30, 30, 30])));
    for (let i = 0; i < T; i++) {
      const row = i * T, end = o.causal ? i + 1 : T;
      for (let j = 0; j < end; j++) {
        const idx = Math.round((values[row + j] - lo) * k);
        px[row + j] = table[idx < 0 ? 0 : idx > 255 ? 255 : idx];
      }
    }
    const off = document.createElement('canvas');
    off.width = T;
    off.height = T;
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, size, size);
    if (o.causal && cell >= 4) hatch(ctx, size);
    drawLabels();
    placeRow();
    placeCursor();
  }

  function hatch(ctx: CanvasRenderingContext2D, size: number): void {
    const [r, g, b] = themeRgb('--vscode-disabledForeground', [128, 128, 128]);
    ctx.save();
    ctx.beginPath();
    for (let i = 0; i + 1 < T; i++) ctx.rect((i + 1) * cell, i * cell, size - (i + 1) * cell, cell); // the masked staircase
    ctx.clip();
    ctx.strokeStyle = `rgb(${r},${g},${b})`;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = -size; x < size; x += 6) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x + size, size);
    }
    ctx.stroke();
    ctx.restore();
  }

  function drawLabels(): void {
    const step = Math.max(1, Math.ceil(12 / cell));
    const shown = names.map((text, i) => ({ i, text: text.length > 9 ? `${text.slice(0, 8)}…` : text })).filter((d) => d.i % step === 0);
    labels.selectAll<SVGTextElement, { i: number; text: string }>('text.row-label')
      .data(shown, (d) => String(d.i))
      .join('text')
      .attr('class', 'row-label')
      .attr('x', MARGIN - 4)
      .attr('y', (d) => MARGIN + (d.i + 0.5) * cell)
      .attr('dy', '0.35em')
      .attr('text-anchor', 'end')
      .text((d) => d.text);
    labels.selectAll<SVGTextElement, { i: number; text: string }>('text.col-label')
      .data(shown, (d) => String(d.i))
      .join('text')
      .attr('class', 'col-label')
      .attr('transform', (d) => `translate(${MARGIN + (d.i + 0.5) * cell},${MARGIN - 4}) rotate(-60)`)
      .attr('dy', '0.35em')
      .text((d) => d.text);
  }

  function placeRow(): void {
    rowRect.attr('visibility', selectedRow >= 0 && selectedRow < T ? 'visible' : 'hidden')
      .attr('x', 0).attr('y', selectedRow * cell).attr('width', T * cell).attr('height', cell);
  }

  function placeCursor(): void {
    if (!cur) return void cursor.attr('visibility', 'hidden');
    cursor.attr('visibility', 'visible').attr('x', cur.col * cell).attr('y', cur.row * cell).attr('width', cell).attr('height', cell);
  }

  function show(next: { row: number; col: number } | null, clientX?: number, clientY?: number): void {
    const changed = next?.row !== cur?.row || next?.col !== cur?.col;
    cur = next;
    placeCursor();
    if (!next) {
      tip.hidden = true;
      if (changed) o.onHover?.(null);
      return;
    }
    const text = o.describe(next.row, next.col, values[next.row * T + next.col]);
    tip.textContent = text;
    tip.hidden = false;
    const box = canvas.getBoundingClientRect();
    tip.style.left = `${(clientX ?? box.left + (next.col + 1) * cell) + 12}px`;
    tip.style.top = `${(clientY ?? box.top + (next.row + 1) * cell) + 12}px`;
    if (changed) {
      live.textContent = text;
      o.onHover?.(next);
    }
  }

  const node = overlay.node()!;
  const at = (e: PointerEvent | MouseEvent) => {
    const r = node.getBoundingClientRect();
    const col = Math.floor((e.clientX - r.left) / cell);
    const row = Math.floor((e.clientY - r.top) / cell);
    return row >= 0 && col >= 0 && row < T && col < T ? { row, col } : null;
  };
  node.addEventListener('pointermove', (e) => show(at(e), e.clientX, e.clientY));
  node.addEventListener('pointerleave', () => show(null));
  node.addEventListener('click', (e) => {
    const c = at(e);
    if (c) o.onActivate?.(c.row, c.col);
  });
  node.addEventListener('blur', () => show(null));
  node.addEventListener('keydown', (e) => {
    if (T === 0) return;
    const c = cur ?? { row: Math.max(0, selectedRow), col: 0 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key in moves) {
      const [dr, dc] = moves[e.key];
      const row = Math.min(T - 1, Math.max(0, c.row + (cur ? dr : 0)));
      const col = Math.min(T - 1, Math.max(0, c.col + (cur ? dc : 0)));
      show({ row, col });
      e.preventDefault();
    } else if (e.key === 'Enter' || e.key === ' ') {
      o.onActivate?.(c.row, c.col);
      e.preventDefault();
    } else if (e.key === 'Escape') {
      show(null);
    }
  });

  const resize = new ResizeObserver(() => {
    if (zoom === 0 && T > 0 && fitCell() !== cell) paint();
  });
  resize.observe(element);

  return {
    root,
    canvas,
    setData(v, l) {
      values = v;
      names = l;
      T = l.length;
      if (cur && (cur.row >= T || cur.col >= T)) cur = null;
      paint();
    },
    setSelectedRow(row) {
      selectedRow = row;
      placeRow();
    },
    setZoom(c) {
      zoom = c;
      paint();
    },
    cellSize: () => cell,
    dispose() {
      resize.disconnect();
      root.remove();
    },
  };
}
