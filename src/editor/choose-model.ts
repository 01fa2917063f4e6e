/**
 * "GPT X-Ray: Choose Model…": a quick pick between the bundled model and a folder picker for a GPT-2-family
 * checkpoint. Tests (and keybindings) can skip the dialogs with an argument: 'bundled' or a folder path.
 */
import * as vscode from 'vscode';
import type { ModelChoice, ModelService } from './model-choice';
import { resolveFolder } from './model-choice';
import { firstLine, isCancelled } from './engine-port';
import type { Notifier } from './notify';

export type ChooseModelArg = 'bundled' | string | { path: string } | undefined;

function choiceFromArg(arg: ChooseModelArg): ModelChoice | undefined {
  if (arg === 'bundled') return { kind: 'bundled' };
  if (typeof arg === 'string' && arg) return { kind: 'folder', path: resolveFolder(arg) };
  if (typeof arg === 'object' && arg && typeof arg.path === 'string') return { kind: 'folder', path: resolveFolder(arg.path) };
  return undefined;
}

async function pickChoice(models: ModelService): Promise<ModelChoice | undefined> {
  const current = models.choice();
  const items: (vscode.QuickPickItem & { choice?: ModelChoice })[] = [
    {
      label: '$(package) Bundled model',
      description: current.kind === 'bundled' ? 'current' : undefined,
      detail: 'The small GPT that ships with GPT X-Ray',
      choice: { kind: 'bundled' },
    },
  ];
  if (current.kind === 'folder') items.push({ label: `$(folder) ${current.path}`, description: 'current', choice: current });
  items.push({ label: '$(folder-opened) Choose a folder…', detail: 'A GPT-2-family checkpoint: config.json, model.safetensors, tokenizer files' });
  const picked = await vscode.window.showQuickPick(items, { title: 'GPT X-Ray: Choose Model', placeHolder: 'Which model analyses your text?' });
  if (!picked) return undefined;
  if (picked.choice) return picked.choice;
  const folders = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Use this model',
    title: 'GPT X-Ray: a GPT-2-family model folder',
  });
  const folder = folders?.[0];
  return folder ? { kind: 'folder', path: folder.fsPath } : undefined;
}

/** Returns the loaded model's name, or undefined when the person backed out. */
export async function chooseModelCommand(models: ModelService, notify: Notifier, arg: ChooseModelArg): Promise<string | undefined> {
  const choice = choiceFromArg(arg) ?? (await pickChoice(models));
  if (!choice) return undefined;
  try {
    const info = await models.choose(choice);
    vscode.window.setStatusBarMessage(`GPT X-Ray: using ${info.name}`, 4000);
    return info.name;
  } catch (e) {
    if (!isCancelled(e)) notify.error(`GPT X-Ray: ${firstLine(e)}`);
    return undefined;
  }
}
