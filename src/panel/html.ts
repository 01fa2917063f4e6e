/**
 * The panel's HTML and its Content Security Policy, as a pure function (no `vscode` import) so the Chromium
 * test harness (test/webview/harness*) serves exactly the page VS Code shows: call buildPanelHtml with the
 * harness's own origin as cspSource and any nonce. Pattern: microsoft/vscode-extension-samples webview-sample.
 *
 * Policy: nothing by default; scripts only with the nonce; styles only from the extension (cspSource) and no
 * inline <style> or style="" attributes; images only from the extension or data:/blob: (PNG export draws the SVG
 * view through a blob: image); no remote origins, no eval.
 */

export interface PanelHtmlOptions {
  /** webview.cspSource in VS Code; the test server's origin in the harness. */
  cspSource: string;
  /** A fresh random nonce per render (see makeNonce). */
  nonce: string;
  /** URI of dist/webview.js as the webview sees it. */
  scriptUri: string;
  /** URI of webview/style.css as the webview sees it. */
  styleUri: string;
  /** URI of a codicon stylesheet, when one is shipped (vscode-elements icons read it by this id). */
  codiconsUri?: string;
}

export function buildCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function buildPanelHtml(o: PanelHtmlOptions): string {
  for (const [key, value] of Object.entries(o)) {
    if (value !== undefined && /["<>]/.test(String(value))) throw new Error(`buildPanelHtml: ${key} contains a quote or angle bracket`);
  }
  if (!/^[A-Za-z0-9]{16,}$/.test(o.nonce)) throw new Error('buildPanelHtml: nonce must be at least 16 alphanumeric characters');
  const codicons = o.codiconsUri ? `\n  <link rel="stylesheet" href="${o.codiconsUri}" id="vscode-codicon-stylesheet">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${buildCsp(o.cspSource, o.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${o.styleUri}">${codicons}
  <title>GPT X-Ray</title>
</head>
<body>
  <main id="app" aria-label="GPT X-Ray attention panel"></main>
  <script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}

/** 32 alphanumeric characters from a cryptographic source. */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}
