// Starts code-server (VS Code's real workbench and Node extension host, served to a browser) headless on
// 127.0.0.1, in its own process group so that stop() ends it together with the watchers it leaves behind.
// Nothing is written to the home folder: config, user data and extensions live in the folders given.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');
const entry = path.join(repoRoot, 'node_modules/code-server/out/node/entry.js');

export interface CodeServerOptions {
  userDataDir: string;
  extensionsDir: string;
  /** Where code-server's own output goes (read on failure). */
  logFile: string;
  port?: number;
  /** Seconds to wait for /healthz. */
  startTimeoutS?: number;
}

export interface CodeServer {
  port: number;
  url: string;
  /** Ends the whole process group; safe to call twice. */
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const live = new Set<ChildProcess>();
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
// Last resort when the launcher itself exits or is interrupted: no code-server outlives it.
process.once('exit', () => live.forEach((child) => killGroup(child, 'SIGKILL')));

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  if (!fs.existsSync(entry)) throw new Error(`code-server is not installed (${entry} missing): run bash scripts/setup.sh`);
  const port = options.port ?? (await freePort());
  fs.mkdirSync(options.userDataDir, { recursive: true });
  fs.mkdirSync(options.extensionsDir, { recursive: true });
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const configFile = path.join(options.userDataDir, 'code-server.yaml');
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  // The workbench's own settings: no welcome page, no trust prompt, nothing reaching the network.
  const settingsDir = path.join(options.userDataDir, 'User');
  fs.mkdirSync(settingsDir, { recursive: true });
  const settingsFile = path.join(settingsDir, 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'chat.commandCenter.enabled': false,
      'workbench.enableExperiments': false,
      'git.openRepositoryInParentFolders': 'never', // the test workspaces live inside this repository
    }, null, 2));
  }

  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [
    entry, '--config', configFile, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    '--user-data-dir', options.userDataDir, '--extensions-dir', options.extensionsDir,
  ], {
    detached: true, // own process group: stop() signals -pid
    stdio: ['ignore', log, log],
    env: { ...process.env, EXTENSIONS_GALLERY: '{}', VSCODE_CLI: undefined, ELECTRON_RUN_AS_NODE: undefined },
  });
  fs.closeSync(log);
  live.add(child);
  let exited: number | null | undefined;
  child.once('exit', (code, signal) => (exited = code ?? (signal ? -1 : null)));

  const logTail = (lines = 30): string => {
    try {
      return fs.readFileSync(options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (!live.has(child)) return;
    killGroup(child, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (exited === undefined && Date.now() < deadline) await sleep(100);
    killGroup(child, 'SIGKILL'); // the watcher processes ignore SIGTERM at times
    live.delete(child);
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutS ?? 90) * 1000;
  for (;;) {
    if (exited !== undefined) {
      live.delete(child);
      throw new Error(`code-server exited (code ${exited}) before answering; its log:\n${logTail()}`);
    }
    if (await healthy(url)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz within ${options.startTimeoutS ?? 90} s; its log:\n${logTail()}`);
    }
    await sleep(250);
  }
  return { port, url, stop, logTail };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
