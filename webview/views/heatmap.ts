/** The attention heatmap of one layer and head (or the layer's head average): query rows x key columns. */
import { headAverage, headMatrix, fmt, showToken } from '../traceMath';
import { labelledSelect } from '../controls';
import { createMatrix } from './matrix';
import type { PanelActions, PanelModel, View } from './types';

export function createHeatmap(element: HTMLElement, actions: PanelActions): View {
  const bar = element.appendChild(document.createElement('div'));
  bar.className = 'view-bar';
  const title = bar.appendChild(document.createElement('h2'));
  const zoom = labelledSelect(bar, 'Zoom', 'heatmap-zoom', (v) => matrix.setZoom(Number(v)));
  zoom.setOptions([{ value: '0', label: 'fit' }, ...[1, 2, 4, 8, 16, 24].map((c) => ({ value: String(c), label: `${c} px` }))], '0');
  const legend = bar.appendChild(document.createElement('span'));
  legend.className = 'legend legend-viridis';
  legend.textContent = 'weight 0 → 1 (hatched: masked, a key after the query)';

  let model: PanelModel | undefined;
  let shown = '';
  let drawn: PanelModel['trace'] | undefined;
  const matrix = createMatrix(element, {
    ariaLabel: 'Attention weights: rows are query tokens, columns are key tokens',
    scale: 'viridis',
    domain: [0, 1],
    causal: true,
    describe(row, col, value) {
      const tok = model!.trace.tokens;
      const q = `query "${showToken(tok[row].text)}" (${row})`, k = `key "${showToken(tok[col].text)}" (${col})`;
      return col > row ? `${q} → ${k}: masked (the key comes after the query)` : `${q} → ${k}: weight ${fmt(value, 4)}`;
    },
    onHover: (cell) => actions.hoverTokens(cell ? [cell.row, cell.col] : []),
    onActivate: (row) => actions.selectToken(row),
  });
  matrix.root.setAttribute('data-testid', 'heatmap');

  return {
    update(m) {
      model = m;
      const { trace, sel } = m;
      const att = trace.attention;
      if (!att) {
        title.textContent = 'No attention in this analysis';
        return;
      }
      const T = trace.tokens.length, H = trace.model.config.n_head;
      const key = `${sel.layer}:${sel.head}`;
      if (trace !== drawn || key !== shown) {
        drawn = trace;
        shown = key;
        title.textContent = sel.head < 0 ? `Layer ${sel.layer}, average of ${H} heads` : `Layer ${sel.layer}, head ${sel.head}`;
        const values = sel.head < 0 ? headAverage(att, T, H, sel.layer) : headMatrix(att, T, H, sel.layer, sel.head);
        matrix.setData(values, trace.tokens.map((t) => showToken(t.text)));
      }
      matrix.setSelectedRow(sel.token);
    },
    dispose() {
      matrix.dispose();
      bar.remove();
    },
  };
}
