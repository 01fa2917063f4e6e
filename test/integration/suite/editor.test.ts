/**
 * The editor side in the real VS Code extension host: commands on English, code and Chinese samples,
 * decorations against tokens, hover text, edits shifting or dropping analyses, navigation, settings, errors,
 * Choose Model with a real Hugging Face folder and a broken folder.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { XrayApi } from '../../../src/extension';
import { formatProbability } from '../../../src/editor/hover-logic';
import type { Trace } from '../../../src/protocol';
import {
  FAKE_GPT2, bundledModelPresent, closeAllEditors, hoverText, openSample, selectOffsets, setSetting, waitFor, xray,
} from './editor-helpers';

const RANK_BOUNDS = [10, 100, 1000, Infinity];

/** Distinct token spans as document offsets (bytes of one character share a span). */
function tokenSpans(trace: Trace): [number, number][] {
  const out: [number, number][] = [];
  for (const t of trace.tokens) {
    const span: [number, number] = [trace.offset + t.start, trace.offset + t.end];
    const last = out[out.length - 1];
    if (t.end > t.start && !(last && last[0] === span[0] && last[1] === span[1])) out.push(span);
  }
  return out;
}

async function analyze(editor: vscode.TextEditor): Promise<Trace> {
  const t0 = Date.now();
  const count = await vscode.commands.executeCommand<number | undefined>('gptXray.analyzeSelection');
  assert.ok(count && count > 0, 'Analyze Selection returns the number of tokens it analysed');
  const analysis = api.getAnalysis(editor.document.uri.toString());
  assert.ok(analysis, 'the analysis is stored for the document');
  console.log(`    analyse ${path.basename(editor.document.uri.path)}: ${count} tokens in ${Date.now() - t0} ms (${analysis.trace.model.name})`);
  return analysis.trace;
}

let api: XrayApi;
let extension: vscode.Extension<XrayApi>;
let files: string;

describe('editor: commands, decorations and hover in VS Code', function () {
  this.timeout(300_000);

  before(async function () {
    ({ api, extension } = await xray());
    files = fs.mkdtempSync(path.join(os.tmpdir(), 'xray-editor-'));
    if (!bundledModelPresent(extension)) {
      // Until the bundled model lands the tests run on the real Hugging Face fixture instead.
      if (!fs.existsSync(FAKE_GPT2)) {
        console.log('    skipped: neither the bundled model nor ../shared/fixtures/fake_gpt2 is present');
        this.skip();
      }
      console.log('    note: the bundled model is absent; these tests use ../shared/fixtures/fake_gpt2');
      assert.equal(await vscode.commands.executeCommand('gptXray.chooseModel', FAKE_GPT2), 'fake_gpt2');
    }
  });

  after(async () => {
    await closeAllEditors();
    fs.rmSync(files, { recursive: true, force: true });
  });

  it('activates quickly, without loading tfjs into the extension host', () => {
    console.log(`    activation: ${api.activationMs.toFixed(1)} ms`);
    assert.ok(api.activationMs < 50, `activation took ${api.activationMs} ms`);
    const tfjs = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'));
    assert.deepEqual(tfjs, [], 'no tfjs module in the host');
  });

  it('registers every editor command', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const c of ['analyzeSelection', 'clearAnalysis', 'openPanel', 'chooseModel', 'nextSurprisingToken', 'previousSurprisingToken']) {
      assert.ok(all.includes(`gptXray.${c}`), `gptXray.${c} is registered`);
    }
  });

  it('analyses an English selection: decorations match the tokens, hover shows the probability', async () => {
    const editor = await openSample('prose.md');
    const doc = editor.document;
    const text = doc.getText();
    const start = text.indexOf('Every evening');
    const end = text.indexOf('lamp room.') + 'lamp room.'.length;
    selectOffsets(editor, start, end);
    const trace = await analyze(editor);
    assert.equal(trace.offset, start);
    assert.equal(trace.text, text.slice(start, end));
    const spans = tokenSpans(trace);
    const applied = api.getDecorationRanges(doc.uri.toString());
    assert.ok(applied, 'decorations are applied');
    assert.deepEqual(applied.tokens, spans, 'one boundary per token span');
    // each token's text is the document's text at its span
    for (const t of trace.tokens) assert.equal(text.slice(trace.offset + t.start, trace.offset + t.end), t.text);
    // every scored token sits in the bucket its rank says
    const bucketOf = new Map<string, number>();
    ([0, 1, 2, 3] as const).forEach((b) => applied.buckets[b].forEach(([s, e]) => bucketOf.set(`${s}:${e}`, b)));
    trace.tokens.forEach((t, i) => {
      const rank = trace.scores[i].rank;
      if (rank === null) return;
      const b = bucketOf.get(`${trace.offset + t.start}:${trace.offset + t.end}`);
      assert.ok(b !== undefined, `token ${i} is coloured`);
      assert.ok(rank <= RANK_BOUNDS[b] && (b === 0 || rank > RANK_BOUNDS[b - 1]), `token ${i} rank ${rank} in bucket ${b}`);
    });
    assert.ok(applied.surprising.length >= 1, 'the most surprising tokens are marked');

    // hover over the middle of token 5
    const i = 5;
    const t = trace.tokens[i];
    const hover = await hoverText(doc.uri, doc.positionAt(trace.offset + t.start + 1));
    assert.match(hover, /GPT X-Ray/);
    assert.ok(hover.includes(`| probability | ${formatProbability(trace.scores[i].p as number)} |`), `hover shows p: ${hover}`);
    assert.ok(hover.includes(`| rank | ${trace.scores[i].rank} |`));
    assert.ok(hover.includes(`id ${t.id}`));
    assert.ok(hover.includes('command:gptXray.openPanel?'), 'the hover links to the panel');
    // no hover where nothing is analysed
    assert.doesNotMatch(await hoverText(doc.uri, new vscode.Position(0, 3)), /GPT X-Ray/);
  });

  it('analyses a selected function in a code file', async () => {
    const editor = await openSample('example.ts');
    const doc = editor.document;
    const text = doc.getText();
    const start = text.indexOf('export function distance');
    selectOffsets(editor, start, text.indexOf('\n}\n', start) + 2);
    const trace = await analyze(editor);
    assert.equal(trace.offset, start);
    assert.deepEqual(api.getDecorationRanges(doc.uri.toString())?.tokens, tokenSpans(trace));
    const hover = await hoverText(doc.uri, doc.positionAt(trace.offset + trace.tokens[3].start));
    assert.match(hover, /GPT X-Ray/);
  });

  it('analyses the whole document when nothing is selected', async () => {
    const file = path.join(files, 'small.ts');
    fs.writeFileSync(file, 'const answer = 42;\nconsole.log(answer);\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(1, 3, 1, 3);
    const trace = await analyze(editor);
    assert.equal(trace.offset, 0);
    assert.equal(trace.text, editor.document.getText());
    assert.deepEqual(api.getDecorationRanges(editor.document.uri.toString())?.tokens, tokenSpans(trace));
  });

  it('colours and hovers Chinese text at the right UTF-16 offsets', async () => {
    const editor = await openSample('chinese.txt');
    const doc = editor.document;
    const line = doc.lineAt(0);
    const sentence = line.text.slice(0, line.text.indexOf('。') + 1);
    editor.selection = new vscode.Selection(0, 0, 0, sentence.length);
    const trace = await analyze(editor);
    assert.equal(trace.text, sentence);
    const spans = tokenSpans(trace);
    assert.deepEqual(api.getDecorationRanges(doc.uri.toString())?.tokens, spans);
    // spans tile the line: each starts where the previous ended, and the last ends at the line's end
    spans.forEach(([s], k) => assert.equal(s, k === 0 ? 0 : spans[k - 1][1]));
    assert.equal(spans[spans.length - 1][1], sentence.length);
    const k = line.text.indexOf('雪');
    const hover = await hoverText(doc.uri, new vscode.Position(0, k));
    assert.match(hover, /GPT X-Ray/);
    assert.match(hover, /probability/);
    // a split editor of the same document shows the same decorations
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Two, preview: false });
    await waitFor('both editors decorated', () => api.decoratedEditors(doc.uri.toString()) === 2);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shifts the analysis on an edit before it, keeps it on an edit after it, drops it on an edit inside it', async () => {
    const file = path.join(files, 'edits.txt');
    fs.writeFileSync(file, 'Header line.\nThe quick brown fox jumps over the lazy dog.\nFooter line.\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const doc = editor.document;
    const start = doc.getText().indexOf('The quick');
    selectOffsets(editor, start, doc.getText().indexOf('\nFooter'));
    const trace = await analyze(editor);
    const uri = doc.uri.toString();
    const before = api.getDecorationRanges(uri)!.tokens;

    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'New '));
    assert.equal(api.getAnalysis(uri)?.trace.offset, start + 4, 'the offset moved by the inserted text');
    assert.deepEqual(api.getDecorationRanges(uri)!.tokens, before.map(([s, e]) => [s + 4, e + 4]));
    const hover = await hoverText(doc.uri, doc.positionAt(start + 4 + trace.tokens[1].start + 1));
    assert.ok(hover.includes(`id ${trace.tokens[1].id}`), 'the hover follows the shifted token');

    await editor.edit((e) => e.insert(doc.positionAt(doc.getText().length), 'more\n'));
    assert.equal(api.getAnalysis(uri)?.trace.offset, start + 4, 'an edit after the range changes nothing');
    assert.equal(api.getAnalysis(uri)?.version, doc.version, 'the version follows the document');

    await editor.edit((e) => e.insert(doc.positionAt(start + 4 + 6), 'XX'));
    assert.equal(api.getAnalysis(uri), undefined, 'an edit inside drops the analysis');
    assert.equal(api.getDecorationRanges(uri), undefined, 'and its decorations');
    assert.doesNotMatch(await hoverText(doc.uri, doc.positionAt(start + 6)), /GPT X-Ray/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('moves to the next and previous surprising token', async () => {
    const editor = await openSample('prose.md');
    editor.selection = new vscode.Selection(2, 0, 4, 0);
    const trace = await analyze(editor);
    const doc = editor.document;
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    const first = await vscode.commands.executeCommand<number>('gptXray.nextSurprisingToken');
    assert.ok(Number.isInteger(first));
    assert.equal(doc.offsetAt(editor.selection.active), trace.offset + trace.tokens[first].start, 'the cursor is at the token');
    const second = await vscode.commands.executeCommand<number>('gptXray.nextSurprisingToken');
    const surprising = api.getDecorationRanges(doc.uri.toString())!.surprising.map(([s]) => s);
    assert.ok(surprising.includes(trace.offset + trace.tokens[first].start));
    if (surprising.length > 1) {
      assert.ok(trace.tokens[second].start > trace.tokens[first].start, 'next moves forward');
      assert.equal(await vscode.commands.executeCommand<number>('gptXray.previousSurprisingToken'), first, 'previous moves back');
    }
    // the status bar and the palette's context key follow the analysis; Clear removes it
    await vscode.commands.executeCommand('gptXray.clearAnalysis');
    assert.equal(api.getAnalysis(doc.uri.toString()), undefined);
    assert.equal(api.getDecorationRanges(doc.uri.toString()), undefined);
  });

  it('opens the attention panel at a token and reveals a token the panel asks for', async () => {
    const editor = await openSample('prose.md');
    const doc = editor.document;
    editor.selection = new vscode.Selection(2, 0, 3, 0);
    const trace = await analyze(editor);
    const uri = doc.uri.toString();
    assert.equal(trace.attention, undefined, 'with the panel closed only the scores are traced');
    await vscode.commands.executeCommand('gptXray.openPanel', uri, 4);
    const full = api.getAnalysis(uri)?.trace;
    assert.ok(full?.attention && full.embeddings, 'opening the panel completes the analysis with what it draws');
    assert.equal(full.offset, trace.offset);
    assert.deepEqual(full.tokens, trace.tokens);
    const panelTab = await waitFor('the panel tab', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('gptXray.attention')),
    );
    assert.ok(panelTab);
    api.revealToken(uri, 7);
    const t = trace.tokens[7];
    await waitFor('the token selected', () => doc.offsetAt(editor.selection.start) === trace.offset + t.start && doc.offsetAt(editor.selection.end) === trace.offset + t.end);
    await vscode.window.tabGroups.close(panelTab);
  });

  it('follows the colour mode and decorations settings', async () => {
    const editor = await openSample('prose.md');
    const doc = editor.document;
    editor.selection = new vscode.Selection(2, 0, 3, 0);
    const trace = await analyze(editor);
    const uri = doc.uri.toString();
    try {
      await setSetting('colorMode', 'probability');
      const applied = await waitFor('probability colours', () => {
        const a = api.getDecorationRanges(uri);
        const first = trace.tokens.findIndex((_, i) => i > 0 && (trace.scores[i].p as number) < 0.01);
        if (!a || first < 0) return a;
        const key = trace.offset + trace.tokens[first].start;
        return a.buckets[3].some(([s]) => s === key) ? a : undefined;
      });
      const spans = tokenSpans(trace).length;
      assert.equal(applied.tokens.length, spans);
      await setSetting('decorations', false);
      await waitFor('decorations off', () => api.getDecorationRanges(uri) === undefined);
      await setSetting('decorations', true);
      await waitFor('decorations back', () => api.getDecorationRanges(uri) !== undefined);
    } finally {
      await setSetting('colorMode', undefined);
      await setSetting('decorations', undefined);
    }
  });

  it('analyses a selection by itself when gptXray.analyzeOnSelection is on (debounced)', async () => {
    const file = path.join(files, 'on-selection.txt');
    fs.writeFileSync(file, 'Select me and wait a moment.\nNot this line.\n');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    const uri = editor.document.uri.toString();
    try {
      await setSetting('analyzeOnSelection', true);
      editor.selection = new vscode.Selection(0, 0, 0, 5);
      editor.selection = new vscode.Selection(0, 0, 0, 28); // a second change within the debounce: only this one counts
      const analysis = await waitFor('the analysis on selection', () => api.getAnalysis(uri), 60_000);
      assert.equal(analysis.trace.text, 'Select me and wait a moment.');
    } finally {
      await setSetting('analyzeOnSelection', undefined);
    }
  });

  it('analyses at most gptXray.maxTokens and says how many were left out', async () => {
    const editor = await openSample('prose.md');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    try {
      await setSetting('maxTokens', 16);
      const trace = await analyze(editor);
      assert.equal(trace.tokens.length, 16);
      assert.ok(trace.totalTokens > 16);
      const shown = api.shownMessages();
      assert.match(shown[shown.length - 1], new RegExp(`first 16 tokens; ${trace.totalTokens - 16} of ${trace.totalTokens} were left out`));
    } finally {
      await setSetting('maxTokens', undefined);
    }
  });

  it('refuses an empty selection and a binary document with a clear message', async () => {
    const blank = path.join(files, 'blank.txt');
    fs.writeFileSync(blank, '   \n\n');
    let editor = await vscode.window.showTextDocument(vscode.Uri.file(blank));
    editor.selection = new vscode.Selection(0, 0, 1, 0);
    assert.equal(await vscode.commands.executeCommand('gptXray.analyzeSelection'), undefined);
    assert.match(api.shownMessages().at(-1)!, /^GPT X-Ray: nothing to analyse: the selection is empty\.$/);

    // VS Code will not open a file with NUL bytes as text, so the NULs are typed into an open one
    const binary = path.join(files, 'data.txt');
    fs.writeFileSync(binary, 'header');
    editor = await vscode.window.showTextDocument(vscode.Uri.file(binary));
    await editor.edit((e) => e.insert(new vscode.Position(0, 6), 'PK\u0003\u0004\u0000\u0000binary\u0000data'));
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    assert.equal(await vscode.commands.executeCommand('gptXray.analyzeSelection'), undefined);
    assert.match(api.shownMessages().at(-1)!, /^GPT X-Ray: the document looks binary \(it holds NUL characters\)\.$/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('frees the analysis when its document closes', async () => {
    const file = path.join(files, 'closing.txt');
    fs.writeFileSync(file, 'A short note that will be closed.');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await analyze(editor);
    const uri = editor.document.uri.toString();
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // freed when its last tab closes, without waiting for VS Code to dispose the document
    await waitFor('the analysis to be freed', () => api.getAnalysis(uri) === undefined, 5000);
  });
});

describe('editor: Choose Model', function () {
  this.timeout(300_000);

  before(async () => {
    ({ api, extension } = await xray());
  });

  it('loads a Hugging Face GPT-2 folder (../shared/fixtures/fake_gpt2) and analyses with it', async function () {
    if (!fs.existsSync(FAKE_GPT2)) {
      console.log('    skipped: ../shared/fixtures/fake_gpt2 is absent');
      this.skip();
    }
    assert.equal(await vscode.commands.executeCommand('gptXray.chooseModel', FAKE_GPT2), 'fake_gpt2');
    assert.equal(api.currentModel()?.name, 'fake_gpt2');
    const editor = await openSample('prose.md');
    editor.selection = new vscode.Selection(2, 0, 3, 0);
    const trace = await analyze(editor);
    assert.equal(trace.model.name, 'fake_gpt2');
    assert.equal(trace.model.config.n_embd, 2);
  });

  it('reports a broken model folder in one line and keeps working with the bundled model', async function () {
    if (!bundledModelPresent(extension)) {
      console.log('    skipped: the bundled model (media/models/xray-mini) is not there yet');
      this.skip();
    }
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'xray-broken-'));
    fs.writeFileSync(path.join(broken, 'config.json'), '{ "n_layer": ');
    try {
      const name = await vscode.commands.executeCommand<string>('gptXray.chooseModel', broken);
      const error = api.shownMessages().find((m) => m.includes(`could not load the model in ${broken}`));
      assert.ok(error, `an error names the folder: ${api.shownMessages().join(' | ')}`);
      assert.ok(!error.includes('\n'), 'the error is one line');
      assert.match(error, /Using the bundled model instead\.$/);
      assert.equal(api.currentModel()?.bundled, true);
      assert.equal(name, api.currentModel()?.name);
      const editor = await openSample('prose.md');
      editor.selection = new vscode.Selection(2, 0, 3, 0);
      const trace = await analyze(editor);
      assert.equal(trace.model.bundled, true, 'the bundled model analysed it');
    } finally {
      fs.rmSync(broken, { recursive: true, force: true });
      await vscode.commands.executeCommand('gptXray.chooseModel', 'bundled');
    }
  });
});
