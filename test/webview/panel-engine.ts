/**
 * Test data for the panel's webview tests, made by the real engine in Node: the bundled model
 * (media/models/xray-mini) when it is present, otherwise a small seeded checkpoint written by the unit tier's
 * tiny-checkpoint helper (same loader, same tfjs runner). The same session answers the page's requests for
 * attention detail and logits rows, as the worker does in VS Code.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HostToWebview, Trace, WebviewToHost } from '../../src/protocol';
import { engineDeps } from '../../src/engine/engine-deps';
import { EngineSession } from '../../src/engine/session';
import { tempDir, writeTinyCheckpoint } from '../unit/tiny-checkpoint';
import { repoRoot, type PanelPage } from './harness';

export const BUNDLED = path.join(repoRoot, 'media/models/xray-mini');
export const DOC = 'file:///test/doc.ts';

export const SAMPLE = `function mean(xs: number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total / xs.length;
}
`;

export interface EngineFixture {
  session: EngineSession;
  trace: Trace;
  bundled: boolean;
}

let cached: Promise<EngineFixture> | undefined;

async function make(text: string): Promise<EngineFixture> {
  const bundled = fs.existsSync(path.join(BUNDLED, 'config.json')) && fs.existsSync(path.join(BUNDLED, 'model.safetensors'));
  let dir = BUNDLED;
  if (!bundled) {
    dir = tempDir('panel-webview');
    writeTinyCheckpoint(dir, { n_layer: 2, n_head: 2, n_embd: 16, n_positions: 128, seed: 7 });
  }
  const session = new EngineSession(engineDeps, () => undefined);
  await session.handle({ kind: 'load', modelPath: dir, bundled, backend: 'tfjs' });
  const result = await session.handle({
    kind: 'analyze', docKey: DOC, text, topK: 10, maxTokens: 256,
    want: { attention: true, embeddings: true, residuals: true, layerNorm: true, logitLens: true },
  });
  if (result.kind !== 'analyze') throw new Error(`analyze answered ${result.kind}`);
  return { session, trace: result.trace, bundled };
}

/** One engine run shared by every test file of the tier. */
export function engineFixture(): Promise<EngineFixture> {
  cached ??= make(SAMPLE);
  return cached;
}

/** Answer the page's pending engine requests (attention detail, logits rows) the way the host does. */
export async function serveRequests(panel: PanelPage, fx: EngineFixture, from = 0): Promise<number> {
  const posted: WebviewToHost[] = await panel.posted();
  for (const m of posted.slice(from)) {
    let reply: HostToWebview | undefined;
    if (m.type === 'requestAttentionDetail') {
      const r = await fx.session.handle({ kind: 'attentionDetail', docKey: DOC, layer: m.layer, head: m.head, query: m.query });
      if (r.kind === 'attentionDetail') reply = { type: 'attentionDetail', detail: r.detail };
    } else if (m.type === 'requestLogitsRow') {
      const r = await fx.session.handle({ kind: 'logitsRow', docKey: DOC, position: m.position });
      if (r.kind === 'logitsRow') reply = { type: 'logitsRow', row: r.row };
    }
    if (reply) await panel.post(reply);
  }
  return posted.length;
}
