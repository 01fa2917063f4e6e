/**
 * Softmax at the selected position: the top-k next tokens as bars, with a temperature slider (0.1 to 2) that
 * recomputes softmax(logits / T) over the full logits row (asked from the engine) here in the view, and the
 * arithmetic written out for the top tokens: logit, z = logit / T, exp(z - max z), divided by the sum, p.
 */
import { scaleBand, scaleLinear, select } from 'd3';
import { slider } from '../controls';
import { fmt, showToken, softmaxT } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

const W = 520, BAR_H = 20, LEFT = 130;

export function createSoftmax(element: HTMLElement, actions: PanelActions): View {
  const bar = element.appendChild(document.createElement('div'));
  bar.className = 'view-bar';
  const title = bar.appendChild(document.createElement('h2'));
  const saved = Number(actions.setting('softmax.temperature'));
  let temperature = saved >= 0.1 && saved <= 2 ? saved : 1;
  let model: PanelModel | undefined;
  const { input } = slider(bar, 'Temperature', 0.1, 2, 0.05, temperature, (v) => {
    temperature = v;
    actions.saveSetting('softmax.temperature', String(v));
    if (model) draw(model);
  });
  input.id = 'temperature';
  const svg = select(element).append('svg').attr('class', 'softmax-bars').attr('data-testid', 'softmax')
    .attr('role', 'img').attr('aria-label', 'Probabilities of the top next tokens');
  const table = element.appendChild(document.createElement('table'));
  table.className = 'arith';
  const example = element.appendChild(document.createElement('p'));
  example.className = 'note';
  const status = element.appendChild(document.createElement('p'));
  status.className = 'note';

  function draw(m: PanelModel): void {
    const t = m.sel.token;
    const tok = m.trace.tokens;
    const top = m.trace.scores[t].topk;
    const next = tok[t + 1];
    title.textContent = `After "${showToken(tok[t].text)}" (${t}) the model predicts` + (next ? ` — the text continues with "${showToken(next.text)}"` : '');
    const row = m.logits && m.logits.position === t ? m.logits.logits : undefined;
    if (!row) actions.requestLogits(t);
    status.textContent = row ? `softmax over all ${row.length} tokens of the vocabulary at T = ${temperature}` : 'Asking the engine for the full logits row… (bars show the trace at T = 1)';
    const sm = row ? softmaxT(row, temperature) : undefined;
    const data = top.map((x) => ({ ...x, pT: sm ? sm.p[x.id] : x.p, z: x.logit / temperature }));
    const y = scaleBand<number>().domain(data.map((_d, i) => i)).range([0, data.length * BAR_H]).padding(0.15);
    const x = scaleLinear().domain([0, 1]).range([0, W - LEFT - 70]);
    svg.attr('width', W).attr('height', data.length * BAR_H + 4);
    const g = svg.selectAll<SVGGElement, (typeof data)[number]>('g.bar').data(data, (d) => String(d.id))
      .join((e) => {
        const gg = e.append('g').attr('class', 'bar');
        gg.append('text').attr('class', 'label').attr('x', LEFT - 6).attr('text-anchor', 'end').attr('dy', '0.35em');
        gg.append('rect').attr('x', LEFT);
        gg.append('text').attr('class', 'value').attr('dy', '0.35em');
        return gg;
      })
      .attr('transform', (_d, i) => `translate(0,${y(i)})`)
      .attr('data-id', (d) => d.id)
      .attr('data-p', (d) => d.pT)
      .classed('actual', (d) => next !== undefined && d.id === next.id)
      .attr('aria-label', (d) => `"${d.text}": p ${fmt(d.pT, 4)}`);
    g.select('text.label').attr('y', y.bandwidth() / 2).text((d) => showToken(d.text).slice(0, 16));
    g.select('rect').attr('height', y.bandwidth()).attr('width', (d) => Math.max(0.5, x(d.pT)));
    g.select('text.value').attr('x', (d) => LEFT + x(d.pT) + 4).attr('y', y.bandwidth() / 2).text((d) => fmt(d.pT, 4));

    const head = '<tr><th>token</th><th>logit</th><th>z = logit / T</th><th>exp(z − max z)</th><th>÷ Σ = p</th></tr>';
    table.replaceChildren();
    table.insertAdjacentHTML('beforeend', head);
    for (const d of data) {
      const tr = table.insertRow();
      tr.dataset.id = String(d.id);
      const e = sm ? Math.exp(d.z - sm.max) : NaN;
      for (const text of [showToken(d.text), fmt(d.logit, 3), fmt(d.z, 3), sm ? fmt(e, 4) : '…', sm ? fmt(d.pT, 4) : '…']) tr.insertCell().textContent = text;
    }
    if (sm) {
      const tr = table.insertRow();
      tr.className = 'sum';
      for (const text of [`Σ over ${row!.length}`, '', '', fmt(sm.sum, 4), '1']) tr.insertCell().textContent = text;
    }
    const ex = softmaxT([1, 2, 3], temperature).p;
    example.textContent = `The same arithmetic on logits [1, 2, 3] at T = ${temperature}: [${Array.from(ex, (v) => v.toFixed(2)).join(', ')}]. Lower T sharpens the distribution, higher T flattens it.`;
  }

  return {
    update(m) {
      model = m;
      draw(m);
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
