/** Loss: per-token surprisal (bits) as bars, with the selection's mean cross-entropy and perplexity. */
import { axisLeft, max, scaleBand, scaleLinear, select } from 'd3';
import { fmt, showToken } from '../traceMath';
import type { PanelActions, PanelModel, View } from './types';

const H = 230, LEFT = 44, TOP = 20, BOTTOM = 60;

export function createLoss(element: HTMLElement, actions: PanelActions): View {
  const summary = element.appendChild(document.createElement('p'));
  summary.className = 'loss-summary';
  summary.setAttribute('data-testid', 'loss-summary');
  const box = element.appendChild(document.createElement('div'));
  box.className = 'scroll-x';
  const svg = select(box).append('svg').attr('class', 'loss').attr('data-testid', 'loss').attr('role', 'img')
    .attr('aria-label', 'Surprisal of every token in bits');
  const axis = svg.append('g').attr('class', 'axis').attr('transform', `translate(${LEFT},0)`);
  const bars = svg.append('g');
  const labels = svg.append('g');
  const meanLine = svg.append('line').attr('class', 'mean-line');
  const unit = svg.append('text').attr('class', 'unit');
  let drawn: PanelModel['trace'] | undefined;

  return {
    update(m) {
      const { trace } = m;
      const T = trace.tokens.length;
      if (trace !== drawn) {
        drawn = trace;
        const scored = trace.scores.filter((s) => s.surprisal !== null).length;
        summary.textContent = `Mean cross-entropy ${fmt(trace.meanLoss, 3)} nats = ${fmt(trace.meanSurprisal, 3)} bits per token over ${scored} scored tokens; perplexity 2^${fmt(trace.meanSurprisal, 3)} = ${fmt(trace.perplexity, 2)}.`;
        const bw = Math.max(3, Math.min(28, Math.floor(900 / T)));
        const width = LEFT + T * bw + 10;
        const x = scaleBand<number>().domain(trace.tokens.map((_t, i) => i)).range([LEFT, LEFT + T * bw]).padding(0.1);
        const y = scaleLinear().domain([0, Math.max(1, max(trace.scores, (s) => s.surprisal ?? 0) ?? 1)]).nice().range([H - BOTTOM, TOP]);
        svg.attr('width', width).attr('height', H);
        axis.call(axisLeft(y).ticks(5));
        unit.attr('x', 4).attr('y', TOP - 8).text('bits');
        bars.selectAll<SVGRectElement, number>('rect').data(trace.tokens.map((_t, i) => i), (i) => String(i)).join('rect')
          .attr('class', (i) => (trace.scores[i].surprisal === null ? 'bar unscored' : 'bar'))
          .attr('data-index', (i) => i)
          .attr('x', (i) => x(i)!)
          .attr('width', x.bandwidth())
          .attr('y', (i) => y(trace.scores[i].surprisal ?? 0))
          .attr('height', (i) => y(0) - y(trace.scores[i].surprisal ?? 0))
          .attr('aria-label', (i) => `${i} "${trace.tokens[i].text}": ${trace.scores[i].surprisal === null ? 'not scored' : `${fmt(trace.scores[i].surprisal!, 2)} bits`}`)
          .on('click', (_e, i) => actions.selectToken(i))
          .on('pointerenter', (_e, i) => actions.hoverTokens([i]))
          .on('pointerleave', () => actions.hoverTokens([]))
          .selectAll('title').data((i) => [i]).join('title')
          .text((i) => `${i} "${trace.tokens[i].text}": ${trace.scores[i].surprisal === null ? 'first token, not scored' : `${fmt(trace.scores[i].surprisal!, 3)} bits, p ${fmt(trace.scores[i].p!, 4)}`}`);
        const every = Math.max(1, Math.ceil(14 / bw));
        labels.selectAll<SVGTextElement, number>('text').data(trace.tokens.map((_t, i) => i).filter((i) => i % every === 0), (i) => String(i)).join('text')
          .attr('transform', (i) => `translate(${x(i)! + x.bandwidth() / 2},${H - BOTTOM + 6}) rotate(60)`)
          .text((i) => showToken(trace.tokens[i].text).slice(0, 8));
        meanLine.attr('x1', LEFT).attr('x2', width - 10).attr('y1', y(trace.meanSurprisal)).attr('y2', y(trace.meanSurprisal));
      }
      bars.selectAll<SVGRectElement, number>('rect').classed('selected', (i) => i === m.sel.token);
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
