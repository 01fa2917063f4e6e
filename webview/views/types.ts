/** What every view is given: the current trace and selection, plus the replies the host sent for them. */
import type { AttentionDetail, LogitsRow, Trace } from '../../src/protocol';

export interface Selection {
  token: number;
  layer: number;
  /** -1 = average over heads. */
  head: number;
}

export interface PanelModel {
  trace: Trace;
  sel: Selection;
  /** The latest attention detail and logits row the host answered with (may be for another selection). */
  detail?: AttentionDetail;
  logits?: LogitsRow;
  /** id -> text for ids the trace names. */
  texts: Map<number, string>;
}

export interface PanelActions {
  /** A token chosen in the panel: selects it everywhere and reveals it in the editor. */
  selectToken(token: number): void;
  /** Tokens under the pointer (highlighted in the editor); [] when none. */
  hoverTokens(tokens: number[]): void;
  /** Choose layer and head (head -1 = average), optionally opening the large heatmap. */
  chooseHead(layer: number, head: number, open: boolean): void;
  requestDetail(layer: number, head: number, query: number): void;
  requestLogits(position: number): void;
  /** A view's own control value (zoom, colour scale, temperature) saved with the panel's state, so a reload keeps it. */
  setting(key: string): string | undefined;
  saveSetting(key: string, value: string): void;
}

export interface View {
  update(model: PanelModel): void;
  dispose(): void;
}

export type ViewFactory = (element: HTMLElement, actions: PanelActions) => View;
