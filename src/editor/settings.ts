/**
 * The `gptXray.*` settings, read with their bounds enforced (package.json declares the same bounds for the UI).
 */
import * as vscode from 'vscode';
import type { ColorMode } from './buckets-logic';

export const SECTION = 'gptXray';

export const BOUNDS = {
  maxTokens: { min: 2, max: 8192, default: 1024 },
  topK: { min: 5, max: 100, default: 10 },
} as const;

export interface EditorSettings {
  /** Empty: the bundled model. Never read from an untrusted workspace (restrictedConfigurations). */
  modelPath: string;
  maxTokens: number;
  topK: number;
  colorMode: ColorMode;
  decorations: boolean;
  analyzeOnSelection: boolean;
}

function clampInt(value: unknown, b: { min: number; max: number; default: number }): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : b.default;
  return Math.min(b.max, Math.max(b.min, n));
}

export function readSettings(scope?: vscode.ConfigurationScope): EditorSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    modelPath: String(c.get('modelPath') ?? '').trim(),
    maxTokens: clampInt(c.get('maxTokens'), BOUNDS.maxTokens),
    topK: clampInt(c.get('topK'), BOUNDS.topK),
    colorMode: c.get('colorMode') === 'probability' ? 'probability' : 'rank',
    decorations: c.get('decorations') !== false,
    analyzeOnSelection: c.get('analyzeOnSelection') === true,
  };
}
