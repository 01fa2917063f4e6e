/**
 * The attention heatmap of one layer and head (or the layer's head average): query rows x key columns.
 * Colour: the weight itself (0 -> 1), its square root, or each row over its own maximum; `auto` (the default) uses
 * the weight below 128 tokens and the row maximum from there. Late query rows spread over hundreds of keys, so their
 * weights are small and a linear scale shows them nearly black. Tooltips always give the real weight.
 */
import { headAverage, headMatrix, fmt, showToken } from '../traceMath';
import { labelledSelect } from '../controls';
import { createMatrix } from './matrix';
import type { PanelActions, PanelModel, View } from './types';

export function createHeatmap(element: HTMLElement, actions: PanelActions): View {
  const bar = element.appendChild(document.createElement('div'));
  bar.className = 'view-bar';
  const title = bar.appendChild(document.createElement('h2'));
  const zoom = labelledSelect(bar, 'Zoom', 'heatmap-zoom', (v) => {
    actions.saveSetting('heatmap.zoom', v);
    matrix.setZoom(Number(v));
  });
  const colour = labelledSelect(bar, 'Colour', 'heatmap-colour', (v) => {
    actions.saveSetting('heatmap.colour', v);
    mode = v as ColourMode;
    paint();
  });
  const legend = bar.appendChild(document.createElement('span'));
  legend.className = 'legend legend-viridis';

  let model: PanelModel | undefined;
  let shown = '';
  let drawn: PanelModel['trace'] | undefined;
  let raw: Float32Array = new Float32Array(0);
  let mode: ColourMode = COLOUR_MODES.some((c) => c.value === actions.setting('heatmap.colour')) ? actions.setting('heatmap.colour') as ColourMode : 'auto';
  const matrix = createMatrix(element, {
    ariaLabel: 'Attention weights: rows are query tokens, columns are key tokens',
    scale: 'viridis',
    domain: [0, 1],
    causal: true,
    describe(row, col, value) {
      const tok = model!.trace.tokens;
      const q = `query "${showToken(tok[row].text)}" (${row})`, k = `key "${showToken(tok[col].text)}" (${col})`;
      return col > row ? `${q} → ${k}: masked (the key comes after the query)` : `${q} → ${k}: weight ${fmt(raw[row * tok.length + col] ?? value, 4)}`;
    },
    onHover: (cell) => actions.hoverTokens(cell ? [cell.row, cell.col] : []),
    onActivate: (row) => actions.selectToken(row),
  });
  matrix.root.setAttribute('data-testid', 'heatmap');
  const savedZoom = actions.setting('heatmap.zoom') ?? '0';
  zoom.setOptions([{ value: '0', label: 'fit' }, ...[1, 2, 4, 8, 16, 24].map((c) => ({ value: String(c), label: `${c} px` }))], savedZoom);
  if (savedZoom !== '0') matrix.setZoom(Number(savedZoom));
  colour.setOptions(COLOUR_MODES.map(({ value, label }) => ({ value, label })), mode);

  function paint(): void {
    const T = model?.trace.tokens.length ?? 0;
    const used = effectiveMode(mode, T);
    legend.textContent = `${COLOUR_MODES.find((c) => c.value === used)!.legend} (hatched: masked, a key after the query)`;
    legend.dataset.mode = used;
    if (model) matrix.setData(colourValues(raw, T, used), model.trace.tokens.map((t) => showToken(t.text)));
  }

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
        raw = sel.head < 0 ? headAverage(att, T, H, sel.layer) : headMatrix(att, T, H, sel.layer, sel.head);
        paint();
      }
      matrix.setSelectedRow(sel.token);
    },
    dispose() {
      matrix.dispose();
      bar.remove();
    },
  };
}

type ColourMode = 'auto' | 'weight' | 'sqrt' | 'row';

/** From this many tokens `auto` colours by row maximum: rows then spread over so many keys that weights look black. */
const AUTO_ROW_FROM = 128;

const COLOUR_MODES: { value: ColourMode; label: string; legend: string }[] = [
  { value: 'auto', label: 'auto', legend: '' },
  { value: 'weight', label: 'weight', legend: 'weight 0 → 1' },
  { value: 'sqrt', label: '√ weight', legend: '√weight 0 → 1 (small weights brighter)' },
  { value: 'row', label: 'row max', legend: 'weight / its row\'s largest weight, 0 → 1' },
];

/** `auto`: the weight itself for short texts, each row over its maximum from AUTO_ROW_FROM tokens. */
function effectiveMode(mode: ColourMode, T: number): Exclude<ColourMode, 'auto'> {
  return mode !== 'auto' ? mode : T >= AUTO_ROW_FROM ? 'row' : 'weight';
}

/** The values drawn for a [T][T] causal attention matrix under each colour mode (masked cells are left as they are). */
export function colourValues(m: Float32Array, T: number, mode: Exclude<ColourMode, 'auto'>): Float32Array {
  if (mode === 'weight') return m;
  const out = new Float32Array(m.length);
  for (let i = 0; i < T; i++) {
    const row = i * T;
    let max = 0;
    for (let j = 0; j <= i; j++) max = Math.max(max, m[row + j]);
    for (let j = 0; j <= i; j++) out[row + j] = mode === 'sqrt' ? Math.sqrt(m[row + j]) : max > 0 ? m[row + j] / max : 0;
  }
  return out;
}
