/**
 * LayerNorm by layer: the mean and standard deviation (over the embedding dimension, averaged over positions) of
 * the residual before and after every LayerNorm, in model order (h.0.ln_1, h.0.ln_2, ..., ln_f); the selected
 * token's own values as a table.
 */
import type { LayerNormStat } from '../../src/protocol';
import { fmt } from '../traceMath';
import { createLineChart } from './lineChart';
import type { PanelActions, PanelModel, View } from './types';

export function createLayerNorm(element: HTMLElement, actions: PanelActions): View {
  void actions;
  const std = createLineChart(element, 'ln-std');
  const mean = createLineChart(element, 'ln-mean');
  const table = element.appendChild(document.createElement('table'));
  table.className = 'ln-table';
  table.setAttribute('data-testid', 'ln-table');
  const empty = element.appendChild(document.createElement('p'));
  empty.className = 'note';

  return {
    update(m: PanelModel) {
      const stats: LayerNormStat[] = m.trace.layerNorm ?? [];
      empty.textContent = stats.length ? 'Before: the residual stream going in. After: normalised to mean 0, std 1, then scaled by the learned gain and shifted by the bias.' : 'No LayerNorm statistics in this analysis.';
      const ticks = stats.map((s, i) => ({ value: i, label: s.name.replace(/^h\./, '') }));
      const pts = (f: (s: LayerNormStat) => number): [number, number][] => stats.map((s, i) => [i, f(s)]);
      std.draw({ title: 'Standard deviation', xLabel: 'LayerNorm', yLabel: 'std over d', xTicks: ticks, series: [
        { name: 'before', cls: 'series-a', points: pts((s) => s.stdBefore) },
        { name: 'after', cls: 'series-b', points: pts((s) => s.stdAfter) },
      ] });
      mean.draw({ title: 'Mean', xLabel: 'LayerNorm', yLabel: 'mean over d', xTicks: ticks, series: [
        { name: 'before', cls: 'series-a', points: pts((s) => s.meanBefore) },
        { name: 'after', cls: 'series-b', points: pts((s) => s.meanAfter) },
      ] });
      const t = m.sel.token;
      table.replaceChildren();
      const cap = table.createCaption();
      cap.textContent = `Averaged over positions, and at the selected token ${t}`;
      const head = table.insertRow();
      for (const h of ['LayerNorm', 'mean before', 'std before', 'mean after', 'std after', `std before @${t}`, `std after @${t}`]) head.appendChild(document.createElement('th')).textContent = h;
      for (const s of stats) {
        const r = table.insertRow();
        r.dataset.name = s.name;
        for (const v of [s.name, fmt(s.meanBefore), fmt(s.stdBefore), fmt(s.meanAfter), fmt(s.stdAfter), fmt(s.perPosition.stdBefore[t]), fmt(s.perPosition.stdAfter[t])]) r.insertCell().textContent = v;
      }
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
