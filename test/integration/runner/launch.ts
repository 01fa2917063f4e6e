// The "VS Code executable" that @vscode/test-electron's runTests starts (via scripts/code-server/code-server):
// it takes the same arguments as `code` (--extensionDevelopmentPath=, --extensionTestsPath=, --user-data-dir=,
// --extensions-dir=, a folder), runs code-server, opens the workbench in Chromium, prints the in-host tests'
// output and exits with their exit code. Every wait is time-boxed; code-server and Chromium are always ended.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { sleep, startCodeServer, type CodeServer } from './code-server';
import { openWorkbench, type Workbench } from './workbench';

interface LaunchArgs {
  developmentPaths: string[];
  testsPath?: string;
  userDataDir?: string;
  extensionsDir?: string;
  folder?: string;
}

function parseArgs(argv: string[]): LaunchArgs {
  const parsed: LaunchArgs = { developmentPaths: [] };
  for (const arg of argv) {
    const [key, value] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, ''];
    if (key === '--extensionDevelopmentPath') parsed.developmentPaths.push(path.resolve(value));
    else if (key === '--extensionTestsPath') parsed.testsPath = path.resolve(value);
    else if (key === '--user-data-dir') parsed.userDataDir = path.resolve(value);
    else if (key === '--extensions-dir') parsed.extensionsDir = path.resolve(value);
    else if (!arg.startsWith('-')) parsed.folder = path.resolve(arg);
    // other Electron/VS Code flags (--no-sandbox, --disable-updates, ...) mean nothing to code-server
  }
  return parsed;
}

/** Workbench chatter on a closed network that says nothing about the tests. */
const workbenchNoise = /^(Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[Service Worker\]|ChatSessionStore:)/;
const timeoutS = Number(process.env.XRAY_INTEGRATION_TIMEOUT_S ?? 1500);
const firstOutputTimeoutS = Number(process.env.XRAY_INTEGRATION_START_TIMEOUT_S ?? 300);

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.testsPath) throw new Error('launch: --extensionTestsPath=<module exporting run()> is required');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gpt-xray-host-'));
  const userDataDir = args.userDataDir ?? path.join(scratch, 'user-data');
  const extensionsDir = args.extensionsDir ?? path.join(scratch, 'extensions');
  const folder = args.folder ?? fs.mkdtempSync(path.join(scratch, 'workspace-'));
  const logFile = path.join(userDataDir, 'code-server.log');

  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let exitCode: number | undefined;
  let lastOutput = 0;
  const stop = async (): Promise<void> => {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  try {
    server = await startCodeServer({ userDataDir, extensionsDir, logFile });
    workbench = await openWorkbench({
      server,
      folder,
      developmentExtensions: args.developmentPaths,
      extensionTestsPath: args.testsPath,
      onLog: (type, logArgs) => {
        lastOutput = Date.now();
        // console.log's arguments as the host passed them, printf placeholders included
        const text = format(...logArgs);
        if (workbenchNoise.test(text)) return;
        if (process.env.XRAY_DEBUG_LOG) process.stdout.write(`[${type}] `);
        (type === 'error' ? process.stderr : process.stdout).write(text + '\n');
      },
      onExit: (code) => {
        exitCode = code;
      },
    });
    workbench.page.on('pageerror', (error) => process.stderr.write(`[workbench page error] ${error.message}\n`));
    const started = Date.now();
    while (exitCode === undefined) {
      const elapsedS = (Date.now() - started) / 1000;
      if (!lastOutput && elapsedS > firstOutputTimeoutS) {
        throw new Error(`the in-host tests printed nothing within ${firstOutputTimeoutS} s (extension host did not start?); code-server log:\n${server.logTail()}`);
      }
      if (elapsedS > timeoutS) throw new Error(`the in-host tests did not finish within ${timeoutS} s (XRAY_INTEGRATION_TIMEOUT_S)`);
      await sleep(200);
    }
    return exitCode;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`launch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
