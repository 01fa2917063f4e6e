/** The analysed text as tokens coloured by surprisal; click or arrow keys select one (a listbox). */
import { select } from 'd3';
import type { Trace } from '../../src/protocol';
import { surprisalClass } from '../colours';
import { fmt, showToken } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

export function tokenLabel(trace: Trace, i: number): string {
  const s = trace.scores[i];
  const what = `token ${i} "${trace.tokens[i].text}"`;
  if (s.surprisal === null || s.p === null) return `${what}, first token, not scored`;
  return `${what}, surprisal ${fmt(s.surprisal, 2)} bits, p ${fmt(s.p, 4)}, rank ${s.rank}`;
}

export function createTokens(element: HTMLElement, actions: PanelActions): View {
  const root = select(element).append('div').attr('class', 'tokens').attr('role', 'listbox')
    .attr('tabindex', 0).attr('aria-label', 'Tokens coloured by surprisal. Left and right arrows move the selection.');
  let trace: Trace | undefined;
  let selected = 0;

  const node = root.node()!;
  node.addEventListener('keydown', (e) => {
    if (!trace) return;
    const T = trace.tokens.length;
    const next = { ArrowLeft: selected - 1, ArrowRight: selected + 1, ArrowUp: selected - 1, ArrowDown: selected + 1, Home: 0, End: T - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    actions.selectToken(Math.max(0, Math.min(T - 1, next)));
  });

  return {
    update(m: PanelModel) {
      if (m.trace !== trace) {
        trace = m.trace;
        const t = trace;
        root.selectAll<HTMLSpanElement, number>('span.tok')
          .data(t.tokens.map((_, i) => i), (i) => String(i))
          .join('span')
          .attr('id', (i) => `tok-${i}`)
          .attr('role', 'option')
          .attr('class', (i) => `tok ${surprisalClass(t.scores[i].surprisal)}`)
          .attr('data-index', (i) => i)
          .attr('aria-label', (i) => tokenLabel(t, i))
          .attr('title', (i) => tokenLabel(t, i))
          .text((i) => showToken(t.tokens[i].text))
          .on('click', (_e, i) => actions.selectToken(i));
      }
      selected = m.sel.token;
      root.selectAll<HTMLSpanElement, number>('span.tok')
        .classed('selected', (i) => i === selected)
        .attr('aria-selected', (i) => String(i === selected));
      root.attr('aria-activedescendant', `tok-${selected}`);
      // Scrolling forces a layout: do it after this frame is painted.
      requestAnimationFrame(() => node.querySelector<HTMLElement>(`#tok-${selected}`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
    },
    dispose() {
      root.remove();
    },
  };
}
