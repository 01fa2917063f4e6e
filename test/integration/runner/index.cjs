// extensionTestsPath: the extension host requires this file and calls run(). It is plain JavaScript because the
// host loads it before any TypeScript hook exists; it installs the hook and hands over to in-host.ts.
'use strict';
require('../../support/register-ts.cjs');
module.exports = require('./in-host.ts');
