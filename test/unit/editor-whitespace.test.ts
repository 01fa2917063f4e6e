import { strict as assert } from 'node:assert';
import { escapeMarkdown, markdownToken, visibleWhitespace } from '../../src/editor/whitespace-logic';

describe('editor: visible whitespace and Markdown escaping', () => {
  it('shows space, newline, CRLF and tab as visible marks', () => {
    assert.equal(visibleWhitespace(' a\tb\nc\r\nd'), '·a→b↵c↵d');
  });
  it('shows other control characters as \\xNN', () => {
    assert.equal(visibleWhitespace('\u0000\u001b'), '\\x00\\x1b');
  });
  it('leaves Chinese and emoji untouched', () => {
    assert.equal(visibleWhitespace('你好 😀'), '你好·😀');
  });
  it('escapes every Markdown control character, pipes included', () => {
    assert.equal(escapeMarkdown('*a*|[b](c)`d`<e>'), '\\*a\\*\\|\\[b\\]\\(c\\)\\`d\\`\\<e\\>');
  });
  it('makes an empty token visible', () => {
    assert.equal(markdownToken(''), '∅');
    assert.equal(markdownToken(' #'), '·\\#');
  });
});
