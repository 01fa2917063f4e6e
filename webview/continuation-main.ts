/**
 * The Continue From Cursor panel's webview (dist/continuation.js): acquires the VS Code API once, checks the host's
 * 'generation' messages and hands each state to the continuation view; the view's actions go back as
 * 'generationControl' messages.
 */
import type { GenerationState, HostToWebview, WebviewToHost } from '../src/protocol';
import { createContinuation } from './views/continuation';
// esbuild writes this (with the panel's style.css it imports) to dist/continuation.css, which the .vsix ships.
import './continuation.css';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
app.setAttribute('aria-label', 'GPT X-Ray: continue from cursor');
app.classList.add('continuation');
const view = createContinuation(app, (action) => vscode.postMessage({ type: 'generationControl', action }));

/** One-line reason a state cannot be drawn, or undefined. Typed arrays must arrive as Float32Arrays. */
function checkState(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'generation.state must be an object';
  const g = s as Partial<GenerationState>;
  if (typeof g.running !== 'boolean' || typeof g.prompt !== 'string') return 'generation.state needs running and prompt';
  if (!Array.isArray(g.promptTokens) || !Array.isArray(g.steps)) return 'generation.state needs promptTokens and steps arrays';
  if (typeof g.settings !== 'object' || g.settings === null) return 'generation.state.settings must be an object';
  for (const st of g.steps) {
    if (!(st?.attention instanceof Float32Array) || !Array.isArray(st.candidates)) return 'each generation step needs candidates and a Float32Array attention';
  }
  if (g.pending && (!Array.isArray(g.pending.candidates) || (g.pending.attention !== undefined && !(g.pending.attention instanceof Float32Array)))) {
    return 'generation.state.pending is malformed';
  }
  return undefined;
}

function report(message: string): void {
  const status = app.querySelector('.status');
  if (status) {
    status.textContent = message;
    status.classList.add('error');
  }
  vscode.postMessage({ type: 'error', message });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data as HostToWebview;
  if (typeof m !== 'object' || m === null) return report('Ignored a message from the extension: not an object');
  try {
    if (m.type === 'generation') {
      const why = checkState(m.state);
      if (why) return report(`Ignored a message from the extension: ${why}`);
      view.update(m.state);
    } else if (m.type === 'error') {
      report(String(m.message));
    }
  } catch (e) {
    report(`Failed to draw the continuation: ${e instanceof Error ? e.message : String(e)}`);
  }
});

vscode.postMessage({ type: 'ready' });
