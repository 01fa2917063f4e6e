import { strict as assert } from 'node:assert';
import { hoverMarkdown, openPanelCommandUri, statusText, tokenHoverMarkdown } from '../../src/editor/hover-logic';
import { makeTrace } from './editor-trace-fixture';

describe('editor: hover Markdown', () => {
  const trace = makeTrace(['Hello', ' world', '\n'], [null, 3, 12]);

  it('explains that the first token has no prediction', () => {
    const md = tokenHoverMarkdown(trace, 0, 'file:///a.txt');
    assert.match(md, /First token/);
    assert.match(md, /id 100/);
  });

  it('shows p, rank, surprisal, entropy of the predicting position and its top 5', () => {
    const md = tokenHoverMarkdown(trace, 1, 'file:///a.txt');
    assert.match(md, /\*\*·world\*\*/);
    assert.match(md, /\| probability \| 0\.2500 \(25\.0 %\) \|/);
    assert.match(md, /\| rank \| 3 \|/);
    assert.match(md, /\| surprisal \| 2\.00 bits \|/);
    assert.match(md, /\| entropy \| 2\.00 bits \|/, 'entropy comes from scores[0], which predicted token 1');
    const rows = md.split('\n').filter((l) => /^\| \d \|/.test(l));
    assert.equal(rows.length, 5);
    assert.match(rows[0], /\| 1 \| ·world ✓ \|/, 'the actual token is marked');
    assert.match(rows[1], /t1\\\|\\\*/, 'pipes and stars in tokens are escaped');
  });

  it('shows a newline token as ↵', () => {
    assert.match(tokenHoverMarkdown(trace, 2, 'file:///a.txt'), /\*\*↵\*\*/);
  });

  it('links to the panel with the document and token as command arguments', () => {
    const link = openPanelCommandUri('file:///a b.txt', 2);
    assert.ok(link.startsWith('command:gptXray.openPanel?'));
    assert.deepEqual(JSON.parse(decodeURIComponent(link.split('?')[1])), ['file:///a b.txt', 2]);
    assert.ok(tokenHoverMarkdown(trace, 2, 'file:///a b.txt').includes(link));
  });

  it('separates several tokens under one character', () => {
    assert.equal(hoverMarkdown(trace, [1, 2], 'u').split('\n---\n').length, 2);
  });

  it('formats the status bar text', () => {
    assert.equal(statusText('xray-mini', 4.2345, 18.81), '$(pulse) xray-mini: 4.23 bits/token · ppl 18.8');
  });
});
