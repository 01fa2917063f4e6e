/**
 * Every layer x head as a small heatmap (max-pooled to at most THUMB px a side so 12 x 12 heads at 1024 tokens stay
 * cheap), each with its summary: mean row entropy, share of attention on the first token, previous-token score and
 * induction score on this text (the heads that copy from context light up where the text repeats itself).
 * The first paint samples each block; the exact images and the summaries follow, one head per task.
 */
import { select } from 'd3';
import type { Trace } from '../../src/protocol';
import { packRgb, packedLut, themeRgb } from '../colours';
import { fmt, headMatrix, headStats, inductionTargets, type HeadStats } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

export const THUMB = 48;

/**
 * Draw one head as an S x S image of its causal attention. `exact`: each pixel is the max over its block of cells
 * (reads all T^2/2 weights); otherwise each pixel shows the cell at its block's centre (S^2 reads), the first paint
 * that the exact pass then replaces.
 */
export function drawThumb(canvas: HTMLCanvasElement, m: Float32Array, T: number, exact: boolean, bg: number): void {
  const S = Math.min(T, THUMB);
  if (canvas.width !== S) canvas.width = canvas.height = S;
  const values = new Float32Array(S * S).fill(-1); // -1: the block is all masked
  if (exact || S === T) {
    const bin = new Int32Array(T);
    for (let i = 0; i < T; i++) bin[i] = Math.floor((i * S) / T);
    for (let i = 0; i < T; i++) {
      const r = bin[i] * S, row = i * T;
      for (let j = 0; j <= i; j++) {
        const p = r + bin[j];
        const w = m[row + j];
        if (w > values[p]) values[p] = w;
      }
    }
  } else {
    for (let a = 0; a < S; a++) {
      const i = Math.min(T - 1, Math.floor(((a + 0.5) * T) / S));
      for (let b = 0; b <= a; b++) {
        const j = Math.min(i, Math.floor(((b + 0.5) * T) / S));
        values[a * S + b] = m[i * T + j];
      }
    }
  }
  const img = new ImageData(S, S);
  const px = new Uint32Array(img.data.buffer);
  const table = packedLut('viridis');
  for (let p = 0; p < S * S; p++) {
    const v = values[p];
    px[p] = v < 0 ? bg : table[Math.min(255, Math.round(v * 255))];
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

export function createHeadsGrid(element: HTMLElement, actions: PanelActions): View {
  const root = select(element).append('div').attr('class', 'heads-grid').attr('data-testid', 'heads-grid');
  const note = element.appendChild(document.createElement('p'));
  note.className = 'note';
  note.textContent = 'H: mean entropy of a query row (bits). first: mean weight on the first token. prev: mean weight on the previous token. ind: where a token has occurred before, mean weight on the token that followed it then (an induction head copies from there; — when no token repeats). Click a head to open it large.';
  let drawn: Trace | undefined;
  let timer = 0;
  let frame = 0;
  const cancel = (): void => {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };

  function build(trace: Trace): void {
    cancel();
    const { n_layer: L, n_head: H } = trace.model.config;
    const T = trace.tokens.length;
    const att = trace.attention!;
    const node = root.node()!;
    node.style.gridTemplateColumns = `auto repeat(${H}, auto)`;
    node.removeAttribute('data-stats-done');
    const bg = packRgb(themeRgb('--vscode-editor-background', [30, 30, 30])); // read once: it forces a style pass
    const buttons: HTMLButtonElement[] = [];
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
        drawThumb(canvas, headMatrix(att, T, H, l, h), T, false, bg);
        buttons.push(b.node()!);
        b.append('span').attr('class', 'head-stats').text('…');
      }
    }
    // After the first paint, one head per task (so input and frames interleave): the exact image and the summary.
    const jobs: (() => void)[] = [];
    const targets = inductionTargets(trace.tokens.map((t) => t.id));
    // buttons[l * H + h]: the cell of layer l, head h.
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        jobs.push(() => {
          const m = headMatrix(att, T, H, l, h);
          const b = buttons[l * H + h];
          drawThumb(b.querySelector('canvas')!, m, T, true, bg);
          const s: HeadStats = headStats(m, T, targets);
          const ind = Number.isNaN(s.inductionScore) ? '—' : fmt(s.inductionScore, 2);
          b.querySelector('.head-stats')!.textContent = `H ${fmt(s.entropy, 2)} · first ${fmt(s.firstShare, 2)} · prev ${fmt(s.prevScore, 2)} · ind ${ind}`;
          b.setAttribute('aria-label', `Layer ${l} head ${h}: entropy ${fmt(s.entropy, 2)} bits, first-token share ${fmt(s.firstShare, 2)}, previous-token score ${fmt(s.prevScore, 2)}, induction score ${ind}`);
          b.dataset.entropy = String(s.entropy);
          b.dataset.first = String(s.firstShare);
          b.dataset.prev = String(s.prevScore);
          b.dataset.induction = String(s.inductionScore);
        });
      }
    }
    const next = (): void => {
      const job = jobs.shift();
      if (!job) return void node.setAttribute('data-stats-done', '');
      job();
      timer = window.setTimeout(next, 0);
    };
    frame = requestAnimationFrame(() => (timer = window.setTimeout(next, 0)));
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
      cancel();
      root.remove();
      note.remove();
    },
  };
}
