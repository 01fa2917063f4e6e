/**
 * The analyses of open documents: one Trace per document (keyed by its URI string) at the document version it
 * was made for. editor/ and panel/ both read it; neither reaches into the other. Free of `vscode` so the rules
 * of DESIGN.md hold: the editor tells it about edits and closed documents.
 */
import { EventEmitter } from 'node:events';
import type { Trace } from './protocol';

export interface Analysis {
  /** Document URI string. */
  uri: string;
  /** Document version the trace was made for; edits outside the analysed range bump it (see shift()). */
  version: number;
  trace: Trace;
}

export interface AnalysisChange {
  uri: string;
  /** The new analysis, or undefined when it was dropped. */
  analysis: Analysis | undefined;
}

export class Analyses {
  private readonly byUri = new Map<string, Analysis>();
  private readonly events = new EventEmitter();

  get(uri: string): Analysis | undefined {
    return this.byUri.get(uri);
  }

  all(): Analysis[] {
    return [...this.byUri.values()];
  }

  set(analysis: Analysis): void {
    this.byUri.set(analysis.uri, analysis);
    this.fire({ uri: analysis.uri, analysis });
  }

  delete(uri: string): void {
    if (this.byUri.delete(uri)) this.fire({ uri, analysis: undefined });
  }

  /**
   * An edit outside the analysed range: move the trace's document offset by `delta` and record the document's new
   * version. Fires no change: the trace itself is the same, only where it sits moved (the editor redraws).
   */
  shift(uri: string, delta: number, version: number): void {
    const a = this.byUri.get(uri);
    if (!a) return;
    a.trace.offset += delta;
    a.version = version;
  }

  /** Subscribe to changes; returns a disposer. */
  onDidChange(listener: (change: AnalysisChange) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  private fire(change: AnalysisChange): void {
    this.events.emit('change', change);
  }
}
