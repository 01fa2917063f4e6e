/** A small SVG line chart (several series, optional markers and a horizontal reference line), redrawn with .join(). */
import { axisBottom, axisLeft, extent, line, scaleLinear, scaleLog, select } from 'd3';

export interface Series {
  name: string;
  /** CSS class naming its colour in style.css (series-a, series-b, ...). */
  cls: string;
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  markers?: { name: string; cls: string; points: [number, number][] };
  hline?: { y: number; label: string };
  logY?: boolean;
  /** Tick labels for x positions (categorical x). */
  xTicks?: { value: number; label: string }[];
}

const W = 560, H = 220, M = { left: 56, right: 110, top: 24, bottom: 40 };

export function createLineChart(element: HTMLElement, testId: string): { draw(spec: ChartSpec): void; svg: SVGSVGElement } {
  const svg = select(element).append('svg').attr('class', 'line-chart').attr('data-testid', testId).attr('width', W).attr('height', H).attr('role', 'img');
  const title = svg.append('text').attr('class', 'chart-title').attr('x', M.left).attr('y', 14);
  const gx = svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${H - M.bottom})`);
  const gy = svg.append('g').attr('class', 'axis').attr('transform', `translate(${M.left},0)`);
  const xl = svg.append('text').attr('class', 'axis-label').attr('x', (W - M.right + M.left) / 2).attr('y', H - 6).attr('text-anchor', 'middle');
  const plot = svg.append('g');
  return {
    svg: svg.node()!,
    draw(spec) {
      svg.attr('aria-label', `${spec.title}: ${spec.series.map((s) => s.name).join(', ')} by ${spec.xLabel}`);
      title.text(`${spec.title} (${spec.yLabel})`);
      xl.text(spec.xLabel);
      const all = [...spec.series.flatMap((s) => s.points), ...(spec.markers?.points ?? [])].filter((p) => Number.isFinite(p[1]) && (!spec.logY || p[1] > 0));
      const [x0, x1] = extent(all, (p) => p[0]) as [number, number];
      let [y0, y1] = extent([...all.map((p) => p[1]), ...(spec.hline ? [spec.hline.y] : [])]) as [number, number];
      if (y0 === undefined) return;
      if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
      const x = scaleLinear().domain([x0, x1 === x0 ? x0 + 1 : x1]).range([M.left, W - M.right]);
      const y = (spec.logY ? scaleLog().domain([y0, y1]) : scaleLinear().domain([y0, y1]).nice()).range([H - M.bottom, M.top]);
      const xa = axisBottom(x).ticks(6);
      if (spec.xTicks) xa.tickValues(spec.xTicks.map((t) => t.value)).tickFormat((v) => spec.xTicks!.find((t) => t.value === v)?.label ?? '');
      gx.call(xa);
      gy.call(axisLeft(y).ticks(5, spec.logY ? '~g' : undefined));
      const ln = line<[number, number]>().defined((p) => Number.isFinite(p[1]) && (!spec.logY || p[1] > 0)).x((p) => x(p[0])).y((p) => y(p[1]));
      plot.selectAll<SVGPathElement, Series>('path.series').data(spec.series, (s) => s.name).join('path')
        .attr('class', (s) => `series ${s.cls}`).attr('d', (s) => ln(s.points.filter((p) => Number.isFinite(p[1]))));
      plot.selectAll<SVGGElement, Series>('g.series-points').data(spec.series.filter((s) => s.points.length <= 64), (s) => s.name).join('g')
        .attr('class', (s) => `series-points ${s.cls}`)
        .selectAll('circle').data((s) => s.points.filter((p) => Number.isFinite(p[1])).map((p) => ({ p, s }))).join('circle')
        .attr('r', 2.5).attr('cx', (d) => x(d.p[0])).attr('cy', (d) => y(d.p[1]));
      plot.selectAll<SVGGElement, Series>('text.legend').data(spec.series, (s) => s.name).join('text')
        .attr('class', (s) => `legend ${s.cls}`).attr('x', W - M.right + 8).attr('y', (_s, i) => M.top + 10 + i * 16).text((s) => s.name);
      const mk = spec.markers;
      plot.selectAll<SVGPathElement, [number, number]>('path.marker').data(mk?.points ?? []).join('path')
        .attr('class', `marker ${mk?.cls ?? ''}`).attr('d', (mk?.points.length ?? 0) > 100 ? 'M-2,-2L2,2M-2,2L2,-2' : 'M-4,-4L4,4M-4,4L4,-4').attr('transform', (p) => `translate(${x(p[0])},${y(p[1])})`);
      plot.selectAll('text.marker-legend').data(mk && mk.points.length ? [mk] : []).join('text')
        .attr('class', `marker-legend legend ${mk?.cls ?? ''}`).attr('x', W - M.right + 8).attr('y', M.top + 10 + spec.series.length * 16).text((d) => `× ${d.name} (${d.points.length})`);
      const hl = spec.hline ? [spec.hline] : [];
      plot.selectAll<SVGLineElement, { y: number }>('line.hline').data(hl).join('line').attr('class', 'hline')
        .attr('x1', M.left).attr('x2', W - M.right).attr('y1', (d) => y(d.y)).attr('y2', (d) => y(d.y));
      plot.selectAll<SVGTextElement, { y: number; label: string }>('text.hline-label').data(hl).join('text').attr('class', 'hline-label legend')
        .attr('x', W - M.right + 8).attr('y', (d) => y(d.y)).attr('dy', '0.35em').text((d) => d.label);
    },
  };
}
