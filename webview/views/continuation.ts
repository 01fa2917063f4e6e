/**
 * Continue From Cursor: the prompt's tokens, then the continuation growing token by token. For the next token
 * (pending) and for any chosen step: the top candidates as bars with their probabilities at the current temperature,
 * which of them top-k / top-p / greedy leave to draw from, the chosen token and its rank, and that step's query
 * attention over the context (one head, or the average of a layer's heads). Controls: greedy, temperature, top-k,
 * top-p, seed, number of tokens, Step / Run / Stop, Insert / Copy. Clicking a candidate takes that branch.
 *
 * The host computes every probability (src/panel/continuation-controller.ts); a control change is sent at once and
 * the recomputed pending distribution comes back as the next state.
 */
import { scaleBand, scaleLinear, select } from 'd3';
import type { GenerationAction, GenerationState, GenerationStepView, SamplingSettings, TokenSpan, TopToken } from '../../src/protocol';
import { button, labelledSelect, slider } from '../controls';
import { fmt, showToken } from '../traceMath';

export interface ContinuationView {
  update(state: GenerationState): void;
  dispose(): void;
}

const W = 460, BAR_H = 20, LEFT = 120;
/** Context tokens shown in an attention strip (the most recent ones). */
const STRIP_MAX = 160;

/** Head-average (head -1) or one head's row of [n_layer][n_head][t] attention. */
export function attentionRow(att: Float32Array, t: number, H: number, layer: number, head: number): Float32Array {
  if (head >= 0) return att.subarray((layer * H + head) * t, (layer * H + head + 1) * t);
  const out = new Float32Array(t);
  for (let h = 0; h < H; h++) for (let j = 0; j < t; j++) out[j] += att[(layer * H + h) * t + j] / H;
  return out;
}

function numberInput(parent: HTMLElement, label: string, id: string, min: number, max: number, onChange: (v: number) => void): HTMLInputElement {
  const wrap = parent.appendChild(document.createElement('label'));
  wrap.className = 'control';
  wrap.append(label + ' ');
  const input = wrap.appendChild(document.createElement('input'));
  input.type = 'number';
  input.id = id;
  input.min = String(min);
  input.max = String(max);
  input.step = '1';
  input.setAttribute('aria-label', label);
  input.addEventListener('change', () => {
    const v = Math.round(Number(input.value));
    if (Number.isFinite(v) && v >= min && v <= max) onChange(v);
  });
  return input;
}

export function createContinuation(element: HTMLElement, post: (a: GenerationAction) => void): ContinuationView {
  let state: GenerationState | undefined;
  /** The step whose detail is shown; undefined = follow the latest. */
  let chosen: number | undefined;
  let layer = 0;
  let head = -1;

  /** The settings as this view last set them: quick successive changes build on each other, not on a stale echo. */
  let local: SamplingSettings | undefined;
  const send = (change: Partial<SamplingSettings>): void => {
    if (!local) return;
    local = { ...local, ...change };
    post({ action: 'settings', settings: local });
  };

  const bar = element.appendChild(document.createElement('div'));
  bar.className = 'toolbar cont-controls';
  const greedyWrap = bar.appendChild(document.createElement('label'));
  greedyWrap.className = 'control';
  const greedy = greedyWrap.appendChild(document.createElement('input'));
  greedy.type = 'checkbox';
  greedy.id = 'greedy';
  greedyWrap.append(' Greedy');
  greedy.addEventListener('change', () => send({ greedy: greedy.checked }));
  const temp = slider(bar, 'Temperature', 0.1, 2, 0.05, 1, (v) => send({ temperature: v }));
  temp.input.id = 'temperature';
  const topK = numberInput(bar, 'Top-k', 'top-k', 0, 100000, (v) => send({ topK: v }));
  const topP = slider(bar, 'Top-p', 0.05, 1, 0.01, 1, (v) => send({ topP: v }));
  topP.input.id = 'top-p';
  const seed = numberInput(bar, 'Seed', 'seed', 0, 2 ** 31 - 1, (v) => send({ seed: v }));
  const count = numberInput(bar, 'Tokens', 'max-tokens', 1, 1024, (v) => send({ maxTokens: v }));
  const actions = element.appendChild(document.createElement('div'));
  actions.className = 'toolbar cont-actions';
  const stepBtn = button(actions, 'Step', 'Generate one token', () => { chosen = undefined; post({ action: 'step' }); }, false);
  stepBtn.id = 'step';
  const runBtn = button(actions, 'Run', 'Generate up to the number of tokens', () => { chosen = undefined; post({ action: 'run' }); }, false);
  runBtn.id = 'run';
  const stopBtn = button(actions, 'Stop', 'Stop after the step in progress', () => post({ action: 'stop' }));
  stopBtn.id = 'stop';
  const spacer = actions.appendChild(document.createElement('span'));
  spacer.className = 'spacer';
  const insertBtn = button(actions, 'Insert', 'Insert the continuation at the cursor as one edit', () => post({ action: 'insert' }));
  insertBtn.id = 'insert';
  const copyBtn = button(actions, 'Copy', 'Copy the continuation to the clipboard', () => post({ action: 'copy' }));
  copyBtn.id = 'copy';

  const status = element.appendChild(document.createElement('div'));
  status.className = 'status';
  status.setAttribute('role', 'status');
  const text = element.appendChild(document.createElement('div'));
  text.className = 'tokens cont-text';
  text.dataset.testid = 'continuation-text';

  const row = element.appendChild(document.createElement('div'));
  row.className = 'cont-row';
  // Two boxes of the same shape: the next token's candidates, and those of the step chosen in the text.
  function candidateBox(kind: string, testid: string, label: string) {
    const box = row.appendChild(document.createElement('section'));
    box.className = `cont-box ${kind}`;
    const title = box.appendChild(document.createElement('h3'));
    const svg = select(box).append('svg').attr('class', 'softmax-bars cont-bars').attr('data-testid', testid)
      .attr('role', 'img').attr('aria-label', label);
    const note = box.appendChild(document.createElement('p'));
    note.className = 'note';
    return { title, svg, note };
  }
  const { title: pendingTitle, svg: pendingSvg, note: pendingNote } = candidateBox('cont-pending', 'pending-bars', 'Candidates for the next token');
  const { title: stepTitle, svg: stepSvg, note: stepNote } = candidateBox('cont-step', 'step-bars', 'Candidates at the chosen step');

  const attBox = element.appendChild(document.createElement('section'));
  attBox.className = 'cont-attention';
  const attBar = attBox.appendChild(document.createElement('div'));
  attBar.className = 'view-bar';
  const attTitle = attBar.appendChild(document.createElement('h3'));
  const layerSelect = labelledSelect(attBar, 'Layer', 'cont-layer', (v) => { layer = Number(v); draw(); });
  const headSelect = labelledSelect(attBar, 'Head', 'cont-head', (v) => { head = Number(v); draw(); });
  const strip = attBox.appendChild(document.createElement('div'));
  strip.className = 'tokens cont-strip';
  strip.dataset.testid = 'attention-strip';

  /** Bars for one distribution; `kept` first candidates may be drawn, the rest are dimmed; a click takes that branch. */
  function drawBars(svg: typeof pendingSvg, cands: TopToken[], kept: number, chosenId: number | undefined, stepIndex: number): void {
    const y = scaleBand<number>().domain(cands.map((_d, i) => i)).range([0, cands.length * BAR_H]).padding(0.15);
    const x = scaleLinear().domain([0, Math.max(1e-9, ...cands.map((c) => c.p))]).range([0, W - LEFT - 70]);
    svg.attr('width', W).attr('height', cands.length * BAR_H + 4);
    const g = svg.selectAll<SVGGElement, TopToken>('g.bar').data(cands, (d) => String(d.id))
      .join((e) => {
        const gg = e.append('g').attr('class', 'bar').attr('tabindex', 0).attr('role', 'button');
        // The whole row takes the click: a bar for p = 0.01 is a pixel wide.
        gg.append('rect').attr('class', 'hit').attr('x', 0).attr('width', W);
        gg.append('text').attr('class', 'label').attr('x', LEFT - 6).attr('text-anchor', 'end').attr('dy', '0.35em');
        gg.append('rect').attr('class', 'p').attr('x', LEFT);
        gg.append('text').attr('class', 'value').attr('dy', '0.35em');
        return gg;
      })
      .attr('transform', (_d, i) => `translate(0,${y(i)})`)
      .attr('data-id', (d) => d.id)
      .attr('data-p', (d) => d.p)
      .classed('actual', (d) => d.id === chosenId)
      .classed('dropped', (_d, i) => i >= kept)
      .attr('aria-label', (d, i) => `"${d.text}": p ${fmt(d.p, 4)}${i >= kept ? ', filtered out' : ''}; choose it here`)
      .on('click', (_e, d) => post({ action: 'branch', step: stepIndex, tokenId: d.id }))
      .on('keydown', (e: KeyboardEvent, d) => {
        if (e.key === 'Enter' || e.key === ' ') post({ action: 'branch', step: stepIndex, tokenId: d.id });
      });
    g.select('text.label').attr('y', y.bandwidth() / 2).text((d) => showToken(d.text).slice(0, 14));
    g.select('rect.hit').attr('height', y.bandwidth());
    g.select('rect.p').attr('height', y.bandwidth()).attr('width', (d) => Math.max(0.5, x(d.p)));
    g.select('text.value').attr('x', (d) => LEFT + x(d.p) + 4).attr('y', y.bandwidth() / 2).text((d) => fmt(d.p, 4));
  }

  function tokenSpan(parent: HTMLElement, t: TokenSpan, cls: string): HTMLSpanElement {
    const s = parent.appendChild(document.createElement('span'));
    s.className = cls;
    s.textContent = t.text;
    return s;
  }

  function drawText(s: GenerationState, shown: number | undefined): void {
    text.replaceChildren();
    const cut = Math.max(0, s.promptTokens.length - 80);
    if (cut > 0) text.append(document.createTextNode(`… (${cut} earlier prompt tokens) `));
    for (const t of s.promptTokens.slice(cut)) tokenSpan(text, t, 'tok prompt');
    s.steps.forEach((st, i) => {
      const el = tokenSpan(text, st.token, `tok gen${i === shown ? ' selected' : ''}`);
      el.dataset.step = String(i);
      el.tabIndex = 0;
      el.title = `step ${i + 1}: rank ${st.rank}, p ${fmt(st.p, 4)}`;
      // The first bytes of a character another token completes: no text of its own yet (the engine decodes the bytes
      // as a stream), so the chip shows a dot rather than nothing.
      if (st.token.text === '') {
        el.classList.add('partial');
        el.title += ' (the first bytes of a character; the next token completes it)';
      }
      el.addEventListener('click', () => { chosen = i; draw(); });
      el.addEventListener('keydown', (e) => { if (e.key === 'Enter') { chosen = i; draw(); } });
    });
    const caret = text.appendChild(document.createElement('span'));
    caret.className = s.running ? 'cont-caret running' : 'cont-caret';
    caret.textContent = '▌';
    // Keep the newest tokens in sight (the box scrolls; a long prompt would hide them).
    text.scrollTop = text.scrollHeight;
  }

  function drawStrip(s: GenerationState, att: Float32Array | undefined, t: number): void {
    strip.replaceChildren();
    if (!att || !s.model || t === 0) return;
    const { n_layer: L, n_head: H } = s.model;
    layer = Math.min(layer, L - 1);
    head = Math.min(head, H - 1);
    const w = attentionRow(att, t, H, layer, head);
    const context = [...s.promptTokens, ...s.steps.map((x) => x.token)].slice(0, t);
    let max = 0;
    for (const v of w) max = Math.max(max, v);
    const from = Math.max(0, t - STRIP_MAX);
    if (from > 0) strip.append(document.createTextNode(`… (${from} earlier tokens) `));
    for (let j = from; j < t; j++) {
      const el = tokenSpan(strip, context[j], `tok att${Math.min(7, Math.floor((w[j] / (max || 1)) * 8))}`);
      el.dataset.weight = String(w[j]);
      el.title = `attention ${fmt(w[j], 4)}`;
    }
    strip.scrollTop = strip.scrollHeight;
  }

  function draw(): void {
    const s = state;
    if (!s) return;
    const set = s.settings;
    // Reflect the host's settings, except in the control the person is using right now.
    const active = document.activeElement;
    if (active !== greedy) greedy.checked = set.greedy;
    if (active !== temp.input) { temp.input.value = String(set.temperature); temp.output.textContent = String(set.temperature); }
    if (active !== topK) topK.value = String(set.topK);
    if (active !== topP.input) { topP.input.value = String(set.topP); topP.output.textContent = String(set.topP); }
    if (active !== seed) seed.value = String(set.seed);
    if (active !== count) count.value = String(set.maxTokens);
    for (const [b, on] of [[stepBtn, !s.running], [runBtn, !s.running], [stopBtn, s.running], [insertBtn, !s.running && s.steps.length > 0], [copyBtn, s.steps.length > 0]] as const) {
      b.toggleAttribute('disabled', !on);
    }
    const m = s.model;
    if (m) {
      layerSelect.setOptions(Array.from({ length: m.n_layer }, (_v, l) => ({ value: String(l), label: String(l) })), String(layer));
      headSelect.setOptions([{ value: '-1', label: 'average' }, ...Array.from({ length: m.n_head }, (_v, h) => ({ value: String(h), label: String(h) }))], String(head));
    }
    status.textContent = `${m ? m.name + ': ' : ''}${s.promptTokens.length} prompt tokens, ${s.steps.length} generated` +
      `${s.running ? ' — running…' : ''}${s.note ? ` — ${s.note}` : ''}`;
    status.classList.toggle('error', !!s.note && !/^stopped|context is full/.test(s.note));

    const shown = chosen !== undefined && chosen < s.steps.length ? chosen : undefined;
    drawText(s, shown ?? (s.steps.length ? s.steps.length - 1 : undefined));
    const how = set.greedy ? 'greedy: the most probable token' : `T = ${set.temperature}${set.topK ? `, top-k ${set.topK}` : ''}${set.topP < 1 ? `, top-p ${set.topP}` : ''}, seed ${set.seed}`;
    if (s.pending) {
      pendingTitle.textContent = `Next token (step ${s.steps.length + 1}) — ${how}`;
      drawBars(pendingSvg, s.pending.candidates, s.pending.kept ?? s.pending.candidates.length, undefined, s.steps.length);
      pendingNote.textContent = `${s.pending.kept ?? '?'} of these ${s.pending.candidates.length} may be drawn; the kept tokens hold p = ${fmt(s.pending.keptMass ?? NaN, 4)} of the distribution. Click a token to choose it.`;
    } else {
      pendingTitle.textContent = 'Next token';
      pendingSvg.selectAll('g.bar').remove();
      pendingNote.textContent = 'Starting…';
    }
    const idx = shown ?? s.steps.length - 1;
    const st: GenerationStepView | undefined = s.steps[idx];
    if (st) {
      stepTitle.textContent = `Step ${idx + 1}: chose "${showToken(st.token.text)}" — rank ${st.rank}, p ${fmt(st.p, 4)}`;
      drawBars(stepSvg, st.candidates, st.kept ?? st.candidates.length, st.token.id, idx);
      stepNote.textContent = `Drawn from ${st.kept ?? '?'} kept candidates (p mass ${fmt(st.keptMass ?? NaN, 4)}). Click another token to take that branch from here.`;
      attTitle.textContent = `Attention of step ${idx + 1}'s query over its ${st.contextLength} context tokens`;
      drawStrip(s, st.attention, st.contextLength);
    } else {
      stepTitle.textContent = 'No token generated yet: press Step or Run.';
      stepSvg.selectAll('g.bar').remove();
      stepNote.textContent = '';
      attTitle.textContent = `Attention of the next token's query over the ${s.pending?.contextLength ?? 0} prompt tokens`;
      drawStrip(s, s.pending?.attention, s.pending?.contextLength ?? 0);
    }
  }

  return {
    update(next) {
      state = next;
      local ??= { ...next.settings };
      draw();
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
