/**
 * How a token's text is shown in a hover: whitespace made visible and Markdown made inert. Free of `vscode` so
 * the unit tests run in plain Node.
 */

/** Space -> ·, newline -> ↵ (CRLF counts once), tab -> →, other control characters -> \xNN. */
export function visibleWhitespace(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === ' ') out += '·';
    else if (ch === '\r' && text[i + 1] === '\n') {
      out += '↵';
      i++;
    } else if (ch === '\n' || ch === '\r') out += '↵';
    else if (ch === '\t') out += '→';
    else if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Backslash-escape every ASCII punctuation character CommonMark could read as syntax (tables included). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~"'=:$^]/g, (c) => `\\${c}`);
}

/** A token as it appears in Markdown: visible whitespace, escaped; an empty token shows as ∅. */
export function markdownToken(text: string): string {
  return text.length === 0 ? '∅' : escapeMarkdown(visibleWhitespace(text));
}
