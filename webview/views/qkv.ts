/**
 * Self-attention for the selected query in the selected head, with the model's numbers (AttentionDetail from the
 * engine): the scores q·k_j, scaled by 1/sqrt(d_head), the causal mask, the softmax weights, and the output as the
 * weighted sum of the value vectors. Rows are drawn in SVG (at most MAX_ROWS keys, the highest weights).
 */
import { scaleLinear, select, type Selection } from 'd3';
import type { AttentionDetail } from '../../src/protocol';
import { scaleColour } from '../colours';
import { fmt, showToken } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

export const MAX_ROWS = 40;
const ROW = 18;
const COLS = { token: 0, dot: 150, scaled: 240, mask: 330, weight: 400, bar: 470 };
const BAR = 200;

export function createQkv(element: HTMLElement, actions: PanelActions): View {
  const head = element.appendChild(document.createElement('div'));
  head.className = 'view-bar';
  const title = head.appendChild(document.createElement('h2'));
  const formula = element.appendChild(document.createElement('p'));
  formula.className = 'formula';
  const svg = select(element).append('svg').attr('class', 'qkv').attr('data-testid', 'qkv').attr('role', 'table')
    .attr('aria-label', 'Attention scores, scaling, mask and softmax weights for each key');
  const strips = select(element).append('svg').attr('class', 'qkv-strips').attr('aria-label', 'The query vector and the output vector');
  const note = element.appendChild(document.createElement('p'));
  note.className = 'note';

  function drawStrip(g: Selection<SVGGElement, unknown, null, undefined>, name: string, v: Float32Array, y: number, cw: number): void {
    const max = Math.max(1e-9, ...Array.from(v, Math.abs));
    g.append('text').attr('class', 'strip-label').attr('x', 0).attr('y', y + 10).text(name);
    g.selectAll(`rect.${name}`).data(Array.from(v)).join('rect').attr('class', name)
      .attr('x', (_d, i) => 60 + i * cw).attr('y', y).attr('width', cw).attr('height', 14)
      .attr('fill', (d) => scaleColour('cividis', (d / max + 1) / 2))
      .append('title').text((d, i) => `${name}[${i}] = ${fmt(d, 4)}`);
  }

  function draw(d: AttentionDetail, m: PanelModel): void {
    const T = d.scores.length;
    const tok = m.trace.tokens;
    const sqrt = Math.sqrt(d.dHead);
    title.textContent = `Layer ${d.layer}, head ${d.head}, query "${showToken(tok[d.query].text)}" (${d.query})`;
    formula.textContent = `score_j = q · k_j / √d_head = q · k_j / √${d.dHead} = q · k_j / ${fmt(sqrt, 3)};  weights = softmax(scores over visible keys);  output = Σ_j weight_j · v_j`;
    const visible: number[] = [];
    for (let j = 0; j < T; j++) if (d.mask[j]) visible.push(j);
    const shown = visible.length <= MAX_ROWS ? visible : [...visible].sort((a, b) => d.weights[b] - d.weights[a]).slice(0, MAX_ROWS).sort((a, b) => a - b);
    const x = scaleLinear().domain([0, 1]).range([0, BAR]);
    svg.attr('width', COLS.bar + BAR + 60).attr('height', (shown.length + 2) * ROW + 4);
    svg.selectAll('g.header').data([0]).join((e) => {
      const g = e.append('g').attr('class', 'header').attr('role', 'row');
      for (const [k, label] of [['token', 'key token'], ['dot', 'q · k'], ['scaled', '÷ √d'], ['mask', 'mask'], ['weight', 'softmax'], ['bar', 'weight']] as const) {
        g.append('text').attr('role', 'columnheader').attr('x', COLS[k]).attr('y', ROW - 5).text(label);
      }
      return g;
    });
    const rows = svg.selectAll<SVGGElement, number>('g.key-row').data(shown, (j) => String(j))
      .join((e) => {
        const g = e.append('g').attr('class', 'key-row').attr('role', 'row');
        for (const k of ['token', 'dot', 'scaled', 'mask', 'weight'] as const) g.append('text').attr('class', k).attr('role', 'cell').attr('x', COLS[k]).attr('y', ROW - 5);
        g.append('rect').attr('class', 'weight-bar').attr('x', COLS.bar).attr('y', 4).attr('height', ROW - 7);
        return g;
      })
      .attr('transform', (_j, i) => `translate(0,${(i + 1) * ROW})`)
      .attr('data-key', (j) => j)
      .on('click', (_e, j) => actions.selectToken(j))
      .on('pointerenter', (_e, j) => actions.hoverTokens([d.query, j]))
      .on('pointerleave', () => actions.hoverTokens([]));
    rows.select('text.token').text((j) => `${j} ${showToken(tok[j].text).slice(0, 16)}`);
    rows.select('text.dot').text((j) => fmt(d.scores[j], 3));
    rows.select('text.scaled').text((j) => fmt(d.scaled[j], 3));
    rows.select('text.mask').text('visible');
    rows.select('text.weight').text((j) => fmt(d.weights[j], 4));
    rows.select('rect.weight-bar').attr('width', (j) => Math.max(0.5, x(d.weights[j])));
    rows.attr('aria-label', (j) => `key ${j} "${tok[j].text}": q·k ${fmt(d.scores[j], 3)}, scaled ${fmt(d.scaled[j], 3)}, weight ${fmt(d.weights[j], 4)}`);
    const masked = T - visible.length;
    svg.selectAll('text.masked-note').data([0]).join('text').attr('class', 'masked-note').attr('x', 0).attr('y', (shown.length + 2) * ROW - 4)
      .text(masked > 0 ? `keys ${d.query + 1}…${T - 1} (${masked}): masked, score −∞, weight 0` : 'no key comes after this query: nothing is masked');
    note.textContent = visible.length > shown.length ? `Showing the ${shown.length} keys with the highest weights of ${visible.length} visible keys.` : '';
    const cw = Math.max(3, Math.min(12, Math.floor(560 / d.dHead)));
    strips.selectAll('*').remove();
    strips.attr('width', 60 + d.dHead * cw + 8).attr('height', 44);
    const g = strips.append('g');
    drawStrip(g, 'q', d.q, 2, cw);
    drawStrip(g, 'output', d.output, 24, cw);
  }

  return {
    update(m) {
      const { sel } = m;
      if (sel.head < 0) {
        title.textContent = 'Choose one head (not the average) to see its queries, keys and values';
        svg.selectAll('*').remove();
        strips.selectAll('*').remove();
        formula.textContent = '';
        return;
      }
      const d = m.detail;
      if (d && d.layer === sel.layer && d.head === sel.head && d.query === sel.token) return draw(d, m);
      actions.requestDetail(sel.layer, sel.head, sel.token); // main.ts asks the host once per selection
      title.textContent = `Layer ${sel.layer}, head ${sel.head}, query ${sel.token}: asking the engine…`;
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
