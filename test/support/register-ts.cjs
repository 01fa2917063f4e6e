// Lets Node `require()` TypeScript files directly (mocha's --require, `node -r`, and the in-host test runner),
// using the esbuild already installed: no network, no type check (tsc does that separately), inline source
// maps so stack traces point at the .ts lines. ES modules are not involved: TS is emitted as CommonJS.
'use strict';
const fs = require('node:fs');
const esbuild = require('esbuild');

process.setSourceMapsEnabled(true);

function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = esbuild.transformSync(source, {
    loader: filename.endsWith('.tsx') ? 'tsx' : 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: filename,
  });
  module._compile(code, filename);
}

require.extensions['.ts'] = compileTs;
require.extensions['.tsx'] = compileTs;
