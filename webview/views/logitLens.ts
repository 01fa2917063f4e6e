/**
 * Logit lens: for the selected position, the top tokens each layer's residual would predict if the model stopped
 * there (through ln_f and the unembedding), from embeddings (layer 0) to the model's own output (layer n_layer).
 */
import { select } from 'd3';
import { probClass } from '../colours';
import { fmt, showToken } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

export function createLogitLens(element: HTMLElement, actions: PanelActions): View {
  const title = element.appendChild(document.createElement('h2'));
  const table = select(element).append('table').attr('class', 'lens').attr('data-testid', 'logit-lens');
  const note = element.appendChild(document.createElement('p'));
  note.className = 'note';
  note.textContent = 'Each row decodes the residual stream at that depth with the final LayerNorm and the unembedding. Cell colour: probability (viridis). Outlined: the token that actually comes next.';
  void actions;

  return {
    update(m: PanelModel) {
      const { trace, sel } = m;
      const t = sel.token;
      const lens = trace.logitLens;
      const next = trace.tokens[t + 1];
      title.textContent = `Logit lens at "${showToken(trace.tokens[t].text)}" (${t})` + (next ? `, next token "${showToken(next.text)}"` : '');
      if (!lens || lens.length === 0) {
        table.selectAll('*').remove();
        title.textContent = 'No logit lens in this analysis';
        return;
      }
      const L = trace.model.config.n_layer;
      const rows = lens.map((e) => ({
        layer: e.layer,
        cells: Array.from({ length: e.k }, (_v, r) => {
          const id = e.ids[t * e.k + r];
          const text = e.texts?.[t * e.k + r] ?? m.texts.get(id) ?? `#${id}`;
          return { id, text, p: e.probs[t * e.k + r] };
        }),
      }));
      const tr = table.selectAll<HTMLTableRowElement, (typeof rows)[number]>('tr').data(rows, (d) => String(d.layer)).join('tr')
        .attr('data-layer', (d) => d.layer);
      tr.selectAll<HTMLTableCellElement, unknown>('th').data((d) => [d]).join('th')
        .text((d) => (d.layer === 0 ? 'embeddings' : d.layer === L ? `output (layer ${L - 1} + ln_f)` : `after layer ${d.layer - 1}`));
      tr.selectAll<HTMLTableCellElement, { id: number; text: string; p: number }>('td').data((d) => d.cells).join('td')
        .attr('class', (c) => `${probClass(c.p)}${next && c.id === next.id ? ' actual' : ''}`)
        .attr('data-id', (c) => c.id)
        .attr('aria-label', (c) => `"${c.text}" p ${fmt(c.p, 3)}`)
        .text((c) => `${showToken(c.text).slice(0, 12)} ${fmt(c.p, 2)}`);
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
