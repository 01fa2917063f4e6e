/**
 * The panel's webview: acquires the VS Code API once, validates and routes the host's messages, keeps the
 * selection (persisted with setState so a reload restores it), and mounts one view per tab. Only the visible
 * tab's view is updated; the others catch up when shown.
 */
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import type { AttentionDetail, HostToWebview, LogitsRow, Trace, WebviewToHost } from '../src/protocol';
import { validateHostMessage } from './validate';
import { button, labelledSelect } from './controls';
import { composeSvg, svgToPng } from './export';
import { tokenTexts } from './traceMath';
import { createTokens } from './views/tokens';
import { createHeatmap } from './views/heatmap';
import { createHeadsGrid } from './views/headsGrid';
import { createQkv } from './views/qkv';
import { createSoftmax } from './views/softmax';
import { createEmbeddings } from './views/embeddings';
import { createLogitLens } from './views/logitLens';
import { createLoss } from './views/loss';
import { createLayerNorm } from './views/layerNorm';
import { createTraining } from './views/training';
import type { PanelActions, PanelModel, Selection, View, ViewFactory } from './views/types';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  uri?: string;
  selection?: Selection;
  tab?: number;
  settings?: Record<string, string>;
}

const TABS: { id: string; title: string; create: ViewFactory }[] = [
  { id: 'attention', title: 'Attention', create: createHeatmap },
  { id: 'heads', title: 'All heads', create: createHeadsGrid },
  { id: 'qkv', title: 'Q · K · V', create: createQkv },
  { id: 'softmax', title: 'Softmax', create: createSoftmax },
  { id: 'embeddings', title: 'Embeddings', create: createEmbeddings },
  { id: 'lens', title: 'Logit lens', create: createLogitLens },
  { id: 'loss', title: 'Loss', create: createLoss },
  { id: 'layernorm', title: 'LayerNorm', create: createLayerNorm },
  { id: 'training', title: 'Training', create: createTraining },
];

const vscode = acquireVsCodeApi();
const saved = (vscode.getState() ?? {}) as SavedState;
const post = (m: WebviewToHost) => vscode.postMessage(m);

let trace: Trace | undefined;
let texts = new Map<number, string>();
let sel: Selection = saved.selection ?? { token: 0, layer: 0, head: 0 };
let detail: AttentionDetail | undefined;
let logits: LogitsRow | undefined;
let docUri = saved.uri;
let tab = saved.tab ?? 0;
const settings: Record<string, string> = { ...saved.settings };
let askedDetail = '';
let askedLogits = -1;
let lastHover = '';

const app = document.getElementById('app')!;
const toolbar = app.appendChild(document.createElement('div'));
toolbar.className = 'toolbar';
const layerSelect = labelledSelect(toolbar, 'Layer', 'layer', (v) => actions.chooseHead(Number(v), sel.head, false));
const headSelect = labelledSelect(toolbar, 'Head', 'head', (v) => actions.chooseHead(sel.layer, Number(v), false));
const spacer = toolbar.appendChild(document.createElement('span'));
spacer.className = 'spacer';
button(toolbar, 'SVG', 'Export the current view as SVG', () => void exportView('svg'));
button(toolbar, 'PNG', 'Export the current view as PNG', () => void exportView('png'));
button(toolbar, 'JSON', 'Export the analysis as JSON', () => void exportView('json'));
const status = app.appendChild(document.createElement('div'));
status.className = 'status';
status.setAttribute('role', 'status');
const tokensBox = app.appendChild(document.createElement('section'));
tokensBox.className = 'tokens-box';
const tabs = app.appendChild(document.createElement('vscode-tabs')) as HTMLElement & { selectedIndex: number };
const panels: HTMLElement[] = [];
for (const t of TABS) {
  const h = tabs.appendChild(document.createElement('vscode-tab-header'));
  h.setAttribute('slot', 'header');
  h.dataset.tab = t.id; // vscode-tabs assigns its own ids
  h.textContent = t.title;
  const p = tabs.appendChild(document.createElement('vscode-tab-panel'));
  const inner = p.appendChild(document.createElement('div'));
  inner.className = `view view-${t.id}`;
  inner.dataset.view = t.id;
  panels.push(inner);
}
tabs.selectedIndex = tab;

const actions: PanelActions = {
  selectToken(token) {
    if (!trace || token < 0 || token >= trace.tokens.length) return;
    sel = { ...sel, token };
    post({ type: 'selectToken', token, reveal: true });
    render();
  },
  hoverTokens(tokens) {
    const key = tokens.join(',');
    if (key === lastHover) return;
    lastHover = key;
    post({ type: 'hoverTokens', tokens });
  },
  chooseHead(layer, head, open) {
    sel = { ...sel, layer, head };
    if (open) tabs.selectedIndex = tab = 0;
    render();
  },
  requestDetail(layer, head, query) {
    const key = `${layer}:${head}:${query}`;
    if (key === askedDetail) return;
    askedDetail = key;
    post({ type: 'requestAttentionDetail', layer, head, query });
  },
  requestLogits(position) {
    if (position === askedLogits) return;
    askedLogits = position;
    post({ type: 'requestLogitsRow', position });
  },
  setting: (key) => settings[key],
  saveSetting(key, value) {
    settings[key] = value;
    persist();
  },
};

let tokensView: View = createTokens(tokensBox, actions);
let views: (View | undefined)[] = TABS.map(() => undefined);
let stale = TABS.map(() => true);

function persist(): void {
  vscode.setState({ uri: docUri, selection: sel, tab, settings } satisfies SavedState);
}

function model(): PanelModel | undefined {
  return trace ? { trace, sel, detail, logits, texts } : undefined;
}

/** Update the tokens strip and the visible view; mark the rest stale. */
function render(): void {
  persist();
  const m = model();
  if (!m) return;
  const { n_layer: L, n_head: H } = m.trace.model.config;
  layerSelect.setOptions(Array.from({ length: L }, (_v, l) => ({ value: String(l), label: String(l) })), String(sel.layer));
  headSelect.setOptions([{ value: '-1', label: 'average' }, ...Array.from({ length: H }, (_v, h) => ({ value: String(h), label: String(h) }))], String(sel.head));
  tokensView.update(m);
  stale = stale.map(() => true);
  const view = (views[tab] ??= TABS[tab].create(panels[tab], actions));
  try {
    view.update(m);
    stale[tab] = false;
  } catch (e) {
    report(`The ${TABS[tab].title} view failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function report(message: string): void {
  status.textContent = message;
  status.classList.toggle('error', message !== '');
  if (message) post({ type: 'error', message });
}

function rebuildViews(): void {
  views.forEach((v) => v?.dispose());
  tokensView.dispose();
  tokensView = createTokens(tokensBox, actions);
  views = TABS.map(() => undefined);
  render();
}

function setTrace(next: Trace, selection: Selection): void {
  trace = next;
  texts = tokenTexts(next);
  const T = next.tokens.length;
  const { n_layer: L, n_head: H } = next.model.config;
  sel = { token: Math.min(selection.token, T - 1), layer: Math.min(selection.layer, L - 1), head: Math.min(selection.head, H - 1) };
  detail = undefined;
  logits = undefined;
  askedDetail = '';
  askedLogits = -1;
  app.classList.remove('empty');
  status.textContent = `${next.model.name}: ${T} tokens${next.totalTokens > T ? ` (cut from ${next.totalTokens})` : ''}, ${L} layers × ${H} heads, forward pass ${next.forwardMs.toFixed(0)} ms`;
  status.classList.remove('error');
  rebuildViews();
}

function receive(m: HostToWebview): void {
  switch (m.type) {
    case 'init':
    case 'trace':
      if (m.docUri !== undefined) docUri = m.docUri;
      if (m.trace) setTrace(m.trace, m.type === 'init' && trace === undefined && saved.selection ? saved.selection : m.selection);
      else clear();
      return;
    case 'select':
      if (trace && m.token < trace.tokens.length && m.token !== sel.token) {
        sel = { ...sel, token: m.token };
        render();
      }
      return;
    case 'attentionDetail':
      detail = m.detail;
      if (askedDetail === `${m.detail.layer}:${m.detail.head}:${m.detail.query}`) askedDetail = '';
      render();
      return;
    case 'logitsRow':
      logits = m.row;
      render();
      return;
    case 'clear':
      clear();
      return;
    case 'error':
      status.textContent = m.message;
      status.classList.add('error');
      askedDetail = '';
      return;
    case 'generation':
      return;
  }
}

function clear(): void {
  trace = undefined;
  app.classList.add('empty');
  status.textContent = 'No analysis yet: select text in the editor and run "GPT X-Ray: Analyze Selection".';
  status.classList.remove('error');
}

async function exportView(format: 'svg' | 'png' | 'json'): Promise<void> {
  if (!trace) return report('Nothing to export: no analysis is shown.');
  const name = `gpt-xray-${TABS[tab].id}`;
  if (format === 'json') return post({ type: 'export', format, data: '', suggestedName: 'gpt-xray-analysis.json' });
  const { svg, width, height } = composeSvg(panels[tab], `GPT X-Ray · ${TABS[tab].title}`);
  if (format === 'svg') return post({ type: 'export', format, data: svg, suggestedName: `${name}.svg` });
  post({ type: 'export', format, data: await svgToPng(svg, width, height), suggestedName: `${name}.png` });
}

tabs.addEventListener('vsc-tabs-select', (e) => {
  tab = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
  render();
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const checked = validateHostMessage(event.data);
  if (!checked.ok) return report(`Ignored a message from the extension: ${checked.error}`);
  try {
    receive(checked.value);
  } catch (e) {
    report(`Failed to handle "${checked.value.type}": ${e instanceof Error ? e.message : String(e)}`);
  }
});

// Canvas colours come from the theme: redraw when VS Code switches it (it swaps the body's classes).
new MutationObserver(() => trace && rebuildViews()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

clear();
post({ type: 'ready' });
