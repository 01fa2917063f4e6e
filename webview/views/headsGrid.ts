/**
 * Every layer x head as a small heatmap (max-pooled to at most THUMB px a side so 12 x 12 heads at 1024 tokens stay
 * cheap), each with its summary: mean row entropy, share of attention on the first token, previous-token score.
 * The summaries are computed after the first paint, one layer per task, so the grid appears at once.
 */
import { select } from 'd3';
import type { Trace } from '../../src/protocol';
import { lut, themeRgb } from '../colours';
import { fmt, headMatrix, headStats, type HeadStats } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

export const THUMB = 48;

/** Draw one head as an S x S max-pooled image of its causal attention. */
export function drawThumb(canvas: HTMLCanvasElement, m: Float32Array, T: number): void {
  const S = Math.min(T, THUMB);
  canvas.width = S;
  canvas.height = S;
  const maxes = new Float32Array(S * S).fill(-1);
  const bin = new Int32Array(T);
  for (let i = 0; i < T; i++) bin[i] = Math.floor((i * S) / T);
  for (let i = 0; i < T; i++) {
    const r = bin[i] * S, row = i * T;
    for (let j = 0; j <= i; j++) {
      const p = r + bin[j];
      const w = m[row + j];
      if (w > maxes[p]) maxes[p] = w;
    }
  }
  const img = new ImageData(S, S);
  const table = lut('viridis');
  const bg = themeRgb('--vscode-editor-background', [30, 30, 30]);
  for (let p = 0; p < S * S; p++) {
    const v = maxes[p];
    const q = p * 4;
    if (v < 0) {
      img.data[q] = bg[0]; img.data[q + 1] = bg[1]; img.data[q + 2] = bg[2];
    } else {
      const idx = Math.min(255, Math.round(v * 255)) * 3;
      img.data[q] = table[idx]; img.data[q + 1] = table[idx + 1]; img.data[q + 2] = table[idx + 2];
    }
    img.data[q + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

interface Cell { layer: number; head: number }

export function createHeadsGrid(element: HTMLElement, actions: PanelActions): View {
  const root = select(element).append('div').attr('class', 'heads-grid').attr('data-testid', 'heads-grid');
  const note = element.appendChild(document.createElement('p'));
  note.className = 'note';
  note.textContent = 'H: mean entropy of a query row (bits). first: mean weight on the first token. prev: mean weight on the previous token. Click a head to open it large.';
  let drawn: Trace | undefined;
  let timers: number[] = [];

  function build(trace: Trace): void {
    timers.forEach(clearTimeout);
    timers = [];
    const { n_layer: L, n_head: H } = trace.model.config;
    const T = trace.tokens.length;
    const att = trace.attention!;
    const node = root.node()!;
    node.style.gridTemplateColumns = `auto repeat(${H}, auto)`;
    node.removeAttribute('data-stats-done');
    const cells: Cell[] = [];
    for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) cells.push({ layer: l, head: h });
    root.selectAll('*').remove();
    root.append('span').attr('class', 'corner');
    for (let h = 0; h < H; h++) root.append('span').attr('class', 'grid-col-label').text(`head ${h}`);
    for (let l = 0; l < L; l++) {
      root.append('span').attr('class', 'grid-row-label').text(`layer ${l}`);
      for (let h = 0; h < H; h++) {
        const b = root.append('button').attr('class', 'head-cell').attr('data-layer', l).attr('data-head', h)
          .attr('aria-label', `Layer ${l} head ${h}`)
          .on('click', () => actions.chooseHead(l, h, true));
        const canvas = b.append('canvas').node()!;
        drawThumb(canvas, headMatrix(att, T, H, l, h), T);
        b.append('span').attr('class', 'head-stats').text('…');
      }
    }
    // Summaries after the first paint, one layer per task.
    for (let l = 0; l < L; l++) {
      timers.push(window.setTimeout(() => {
        for (let h = 0; h < H; h++) {
          const s: HeadStats = headStats(headMatrix(att, T, H, l, h), T);
          const b = node.querySelector<HTMLElement>(`button[data-layer="${l}"][data-head="${h}"]`)!;
          b.querySelector('.head-stats')!.textContent = `H ${fmt(s.entropy, 2)} · first ${fmt(s.firstShare, 2)} · prev ${fmt(s.prevScore, 2)}`;
          b.setAttribute('aria-label', `Layer ${l} head ${h}: entropy ${fmt(s.entropy, 2)} bits, first-token share ${fmt(s.firstShare, 2)}, previous-token score ${fmt(s.prevScore, 2)}`);
          b.dataset.entropy = String(s.entropy);
          b.dataset.first = String(s.firstShare);
          b.dataset.prev = String(s.prevScore);
        }
        if (l === L - 1) node.setAttribute('data-stats-done', '');
      }, 0));
    }
  }

  return {
    update(m: PanelModel) {
      if (!m.trace.attention) return void root.text('No attention in this analysis');
      if (m.trace !== drawn) {
        drawn = m.trace;
        build(m.trace);
      }
      root.selectAll<HTMLButtonElement, unknown>('button.head-cell')
        .classed('selected', function () {
          return Number(this.dataset.layer) === m.sel.layer && Number(this.dataset.head) === m.sel.head;
        });
    },
    dispose() {
      timers.forEach(clearTimeout);
      root.remove();
      note.remove();
    },
  };
}
