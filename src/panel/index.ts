/**
 * The attention panel's public API: registerAttentionPanel registers the serializer (restore after reload) and
 * returns show/selectToken for the editor side. One panel at a time; it follows the document it was shown for.
 */
import * as vscode from 'vscode';
import { AttentionPanel, VIEW_TYPE, webviewOptions, type PanelDeps, type PersistedPanelState } from './attentionPanel';

export type { PanelDeps, PanelEngine } from './attentionPanel';
export { VIEW_TYPE } from './attentionPanel';

export interface PanelApi {
  /** Open (or reveal) the panel for `uri` (default: the active editor's document, else any analysed one). */
  show(uri?: string, token?: number): void;
  /** Select a token in the panel when it shows `uri`; a no-op otherwise. */
  selectToken(uri: string, token: number): void;
}

function restoredState(state: unknown): PersistedPanelState | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const s = state as { uri?: unknown; selection?: { token?: unknown; layer?: unknown; head?: unknown } };
  const uri = typeof s.uri === 'string' ? s.uri : undefined;
  const sel = s.selection;
  const ok = sel && Number.isInteger(sel.token) && Number.isInteger(sel.layer) && Number.isInteger(sel.head);
  return { uri, selection: ok ? { token: sel.token as number, layer: sel.layer as number, head: sel.head as number } : undefined };
}

export function registerAttentionPanel(context: vscode.ExtensionContext, deps: PanelDeps): PanelApi {
  let current: AttentionPanel | undefined;
  const adopt = (panel: vscode.WebviewPanel, state: PersistedPanelState | undefined): AttentionPanel => {
    const p = new AttentionPanel(panel, context.extensionUri, deps, state, () => {
      if (current === p) current = undefined;
    });
    current = p;
    return p;
  };

  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        current?.panel.dispose();
        adopt(panel, restoredState(state));
        deps.log.info('panel: restored after reload');
      },
    }),
    { dispose: () => current?.panel.dispose() },
  );

  const defaultUri = (): string | undefined => {
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    if (active && deps.analyses.get(active)) return active;
    return current?.documentUri ?? deps.analyses.all()[0]?.uri;
  };

  return {
    show(uri?: string, token?: number) {
      try {
        const target = uri ?? defaultUri();
        if (!current) {
          const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'GPT X-Ray', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
            ...webviewOptions(context.extensionUri),
            retainContextWhenHidden: true,
          });
          adopt(panel, { uri: target, selection: token !== undefined ? { token, layer: 0, head: 0 } : undefined });
        } else {
          current.showDocument(target, token);
        }
      } catch (e) {
        deps.log.error(`panel: could not open: ${e instanceof Error ? e.message : String(e)}`);
        void vscode.window.showErrorMessage(`GPT X-Ray: could not open the panel: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    selectToken(uri: string, token: number) {
      if (current && current.documentUri === uri) current.selectToken(token);
    },
  };
}
