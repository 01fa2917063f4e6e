/**
 * Embeddings: a 2D PCA (ml-pca) of the tokens' vectors — token embeddings (wte), position embeddings (wpe), or the
 * residual stream after a chosen layer (slider; 0 = wte + wpe) — with hover labels, and the cosine-similarity
 * matrix of the same vectors.
 */
import { PCA } from 'ml-pca';
import { extent, scaleLinear, select } from 'd3';
import type { Trace } from '../../src/protocol';
import { labelledSelect, slider } from '../controls';
import { cosineMatrix, fmt, showToken } from '../traceMath';
import { createMatrix } from './matrix';
import type { PanelActions, PanelModel, View } from './types';

const SIZE = 360, PAD = 24;

export type EmbeddingSource = 'wte' | 'wpe' | 'residual';

/** The [T][d] vectors of one source (a view into the trace's arrays). */
export function vectors(trace: Trace, source: EmbeddingSource, layer: number): Float32Array | undefined {
  const T = trace.tokens.length, d = trace.model.config.n_embd;
  if (source === 'residual') return trace.residuals?.subarray(layer * T * d, (layer + 1) * T * d);
  return trace.embeddings?.[source];
}

export function project(x: Float32Array, T: number, d: number): { points: [number, number][]; explained: number[] } {
  const rows = Array.from({ length: T }, (_v, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
  const pca = new PCA(rows, { center: true });
  const p = pca.predict(rows, { nComponents: 2 });
  const points = Array.from({ length: T }, (_v, i): [number, number] => [p.get(i, 0), p.columns > 1 ? p.get(i, 1) : 0]);
  return { points, explained: pca.getExplainedVariance().slice(0, 2) };
}

export function createEmbeddings(element: HTMLElement, actions: PanelActions): View {
  const bar = element.appendChild(document.createElement('div'));
  bar.className = 'view-bar';
  let source: EmbeddingSource = 'wte';
  let layer = 0;
  let model: PanelModel | undefined;
  let drawnKey = '';
  let drawnTrace: Trace | undefined;
  const src = labelledSelect(bar, 'Vectors', 'emb-source', (v) => {
    source = v as EmbeddingSource;
    if (model) draw(model);
  });
  src.setOptions([{ value: 'wte', label: 'token embeddings (wte)' }, { value: 'wpe', label: 'position embeddings (wpe)' }, { value: 'residual', label: 'residual stream' }], source);
  const { input: layerInput, output: layerOut } = slider(bar, 'After layer', 0, 1, 1, 0, (v) => {
    layer = v;
    if (source !== 'residual') {
      source = 'residual';
      src.setValue(source);
    }
    if (model) draw(model);
  });
  layerInput.id = 'emb-layer';
  const caption = element.appendChild(document.createElement('p'));
  caption.className = 'note';
  const row = element.appendChild(document.createElement('div'));
  row.className = 'emb-row';
  const svg = select(row).append('svg').attr('class', 'pca').attr('data-testid', 'pca').attr('width', SIZE).attr('height', SIZE)
    .attr('role', 'img').attr('aria-label', 'PCA of the token vectors');
  const cosBox = row.appendChild(document.createElement('div'));
  cosBox.className = 'cos-box';
  const cosTitle = cosBox.appendChild(document.createElement('h3'));
  cosTitle.textContent = 'Cosine similarity';
  const cos = createMatrix(cosBox, {
    ariaLabel: 'Cosine similarity of every pair of token vectors',
    scale: 'cividis',
    domain: [-1, 1],
    describe: (r, c, v) => `cos("${showToken(model!.trace.tokens[r].text)}" (${r}), "${showToken(model!.trace.tokens[c].text)}" (${c})) = ${fmt(v, 3)}`,
    onHover: (cell) => actions.hoverTokens(cell ? [cell.row, cell.col] : []),
    onActivate: (r) => actions.selectToken(r),
  });
  cos.root.setAttribute('data-testid', 'cosine');

  function draw(m: PanelModel): void {
    const { trace } = m;
    const T = trace.tokens.length, d = trace.model.config.n_embd, L = trace.model.config.n_layer;
    layerInput.max = String(L);
    layerInput.disabled = !trace.residuals;
    layerOut.textContent = String(layer);
    const key = `${source}:${layer}`;
    const x = vectors(trace, source, Math.min(layer, L));
    if (!x) {
      caption.textContent = `This analysis has no ${source === 'residual' ? 'residual stream' : 'embeddings'}.`;
      svg.selectAll('*').remove();
      return;
    }
    if (key !== drawnKey || trace !== drawnTrace) {
      drawnKey = key;
      drawnTrace = trace;
      const what = source === 'residual' ? (layer === 0 ? 'residual stream before layer 0 (wte + wpe)' : `residual stream after layer ${layer - 1}`) : source === 'wte' ? 'token embeddings (wte)' : 'position embeddings (wpe)';
      if (T < 3) {
        caption.textContent = 'PCA needs at least three tokens.';
        svg.selectAll('*').remove();
      } else {
        const { points, explained } = project(x, T, d);
        caption.textContent = `${what}: ${T} tokens × ${d} dimensions projected on their first two principal components (${fmt(explained[0] * 100, 1)}% and ${fmt((explained[1] ?? 0) * 100, 1)}% of the variance).`;
        const [x0, x1] = extent(points, (p) => p[0]) as [number, number];
        const [y0, y1] = extent(points, (p) => p[1]) as [number, number];
        const sx = scaleLinear().domain([x0, x1 === x0 ? x0 + 1 : x1]).range([PAD, SIZE - PAD - 48]); // room for labels
        const sy = scaleLinear().domain([y0, y1 === y0 ? y0 + 1 : y1]).range([SIZE - PAD, PAD]);
        const labelEvery = Math.max(1, Math.ceil(T / 64));
        const g = svg.selectAll<SVGGElement, number>('g.pt').data(points.map((_p, i) => i), (i) => String(i))
          .join((e) => {
            const gg = e.append('g').attr('class', 'pt');
            gg.append('circle').attr('r', 4);
            gg.append('text').attr('dx', 6).attr('dy', '0.35em');
            gg.append('title');
            return gg;
          })
          .attr('transform', (i) => `translate(${sx(points[i][0])},${sy(points[i][1])})`)
          .attr('data-index', (i) => i)
          .attr('data-x', (i) => points[i][0])
          .attr('data-y', (i) => points[i][1])
          .on('click', (_e, i) => actions.selectToken(i))
          .on('pointerenter', (_e, i) => actions.hoverTokens([i]))
          .on('pointerleave', () => actions.hoverTokens([]));
        g.select('text').text((i) => (i % labelEvery === 0 ? showToken(trace.tokens[i].text).slice(0, 10) : ''));
        g.select('title').text((i) => `${i} "${trace.tokens[i].text}": (${fmt(points[i][0], 3)}, ${fmt(points[i][1], 3)})`);
      }
      cos.setData(cosineMatrix(x, T, d), trace.tokens.map((t) => showToken(t.text)));
    }
    svg.selectAll<SVGGElement, number>('g.pt').classed('selected', (i) => i === m.sel.token);
    cos.setSelectedRow(m.sel.token);
  }

  return {
    update(m) {
      model = m;
      draw(m);
    },
    dispose() {
      cos.dispose();
      element.replaceChildren();
    },
  };
}
