/**
 * Analyze Selection: send the selection (or the whole document, up to the model's context) to the engine and
 * store the Trace with its document offset. Refuses empty, binary and huge input with a clear message.
 * While the attention panel is closed only the scores are asked for (the colours and the hover need no more, and
 * the forward pass is fastest so); opening the panel completes the analysis with what the panel draws.
 */
import * as vscode from 'vscode';
import type { Analyses, Analysis } from '../analyses';
import { HOVER_ONLY, hasPanelData, refusal, wantFor, type AnalyzeTrigger } from './analyze-logic';
import { firstLine, isCancelled, type EnginePort } from './engine-port';
import type { ModelService } from './model-choice';
import type { Notifier } from './notify';
import { readSettings } from './settings';

export class Analyzer {
  constructor(
    private readonly engine: EnginePort,
    private readonly models: ModelService,
    private readonly analyses: Analyses,
    private readonly log: vscode.LogOutputChannel,
    private readonly notify: Notifier,
    /** Whether the attention panel is open (it then needs attention, embeddings, ... with every analysis). */
    private readonly panelOpen: () => boolean,
  ) {}

  /** Analyse the editor's selection (whole document if empty). Resolves to the stored analysis, or undefined. */
  async analyze(editor: vscode.TextEditor, trigger: AnalyzeTrigger): Promise<Analysis | undefined> {
    const doc = editor.document;
    const uri = doc.uri.toString();
    const selection = editor.selection;
    const whole = selection.isEmpty;
    const offset = whole ? 0 : doc.offsetAt(selection.start);
    const text = whole ? doc.getText() : doc.getText(selection);
    const problem = refusal(text, whole);
    if (problem) {
      if (trigger === 'command') this.notify.error(`GPT X-Ray: ${problem}.`);
      else this.log.debug(`analyse on selection skipped: ${problem}`);
      return undefined;
    }
    const version = doc.version;
    const settings = readSettings(doc);
    try {
      const model = await this.models.ensureLoaded();
      const maxTokens = Math.min(settings.maxTokens, model.config.n_positions);
      const t0 = performance.now();
      const trace = await Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'GPT X-Ray: analysing…' }, () =>
          this.engine.analyze(uri, text, { topK: settings.topK, maxTokens, want: this.panelOpen() ? wantFor(model, maxTokens) : HOVER_ONLY }),
        ),
      );
      if (doc.isClosed) return undefined;
      if (doc.version !== version) {
        // The spans would no longer match the text: drop the result rather than misplace it.
        const msg = 'GPT X-Ray: the document changed while it was analysed; run Analyze Selection again.';
        if (trigger === 'command') this.notify.info(msg);
        else this.log.debug(msg);
        return undefined;
      }
      trace.offset = offset;
      const analysis: Analysis = { uri, version, trace };
      this.analyses.set(analysis);
      this.log.info(
        `analysed ${trace.tokens.length} tokens of ${doc.uri.path.split('/').pop()} with ${trace.model.name} in ${Math.round(performance.now() - t0)} ms ` +
          `(forward ${Math.round(trace.forwardMs)} ms): ${trace.meanSurprisal.toFixed(2)} bits/token, perplexity ${trace.perplexity.toFixed(1)}`,
      );
      if (trace.totalTokens > trace.tokens.length) {
        const left = trace.totalTokens - trace.tokens.length;
        const msg =
          `GPT X-Ray: analysed the first ${trace.tokens.length} tokens; ${left} of ${trace.totalTokens} were left out ` +
          `(the limit is ${maxTokens}: the model's context ${model.config.n_positions} and gptXray.maxTokens ${settings.maxTokens}).`;
        if (trigger === 'command') this.notify.info(msg);
        else this.log.info(msg);
      }
      return analysis;
    } catch (e) {
      if (isCancelled(e)) {
        this.log.debug(`analysis of ${uri} cancelled: ${firstLine(e)}`);
        return undefined;
      }
      const msg = `GPT X-Ray: could not analyse ${whole ? 'the document' : 'the selection'}: ${firstLine(e)}`;
      if (trigger === 'command') this.notify.error(msg);
      else this.log.warn(msg);
      return undefined;
    }
  }

  /**
   * Re-run the analysis of `uri` with what the panel draws when its trace has only the scores. The same analysed
   * text is sent again; the result replaces the analysis only if that is still the one it was made for.
   */
  async completeForPanel(uri: string): Promise<void> {
    const before = this.analyses.get(uri);
    if (!before || hasPanelData(before.trace)) return;
    const old = before.trace;
    try {
      const model = await this.models.ensureLoaded();
      if (model.path !== old.model.path) return; // another model now: the person re-analyses when they want
      const settings = readSettings();
      const maxTokens = Math.max(old.tokens.length, Math.min(settings.maxTokens, model.config.n_positions));
      const trace = await this.engine.analyze(uri, old.text, { topK: old.scores[0]?.topk.length || settings.topK, maxTokens, want: wantFor(model, maxTokens) });
      const now = this.analyses.get(uri);
      if (now?.trace !== old) return; // dropped, replaced or re-analysed meanwhile
      trace.offset = old.offset;
      trace.totalTokens = old.totalTokens;
      this.analyses.set({ uri, version: now.version, trace });
      this.log.info(`completed the analysis of ${uri} for the panel in ${Math.round(trace.forwardMs)} ms (forward)`);
    } catch (e) {
      if (!isCancelled(e)) this.log.warn(`could not complete the analysis of ${uri} for the panel: ${firstLine(e)}`);
    }
  }
}
