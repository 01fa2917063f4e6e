// Runs inside the real VS Code extension host: mocha (bdd UI: describe/it) over every
// test/integration/suite/**/*.test.ts, then the closing line `N passed, N failed` that scripts/test-all.sh reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

const suiteRoot = path.resolve(__dirname, '../suite');

function testFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  }).sort();
}

export async function run(): Promise<void> {
  const grep = process.env.XRAY_INTEGRATION_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, ...(grep ? { grep } : {}) });
  const files = testFiles(suiteRoot);
  if (files.length === 0) throw new Error(`no test files under ${suiteRoot}`);
  files.forEach((file) => mocha.addFile(file));
  const failures = await new Promise<number>((resolve, reject) => {
    try {
      const runner = mocha.run((count) => resolve(count));
      runner.once('end', () => console.log(`${runner.stats?.passes ?? 0} passed, ${runner.stats?.failures ?? 0} failed`));
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}
