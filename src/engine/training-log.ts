/**
 * train_log.csv (written by scripts/train/train.py beside the model) -> TrainingLog, the clipping threshold
 * from config.json ("xray_clip_norm") or train_meta.json ("clip_norm"), and heads_log.csv (head scores at each
 * evaluation) when present.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { TrainingHeadsRow, TrainingLog, TrainingLogRow } from '../protocol';
import { readJsonFile } from './tokenizer';

const COLUMNS = ['step', 'tokens', 'train_loss', 'val_loss', 'grad_norm', 'clipped', 'lr', 'tokens_per_s'] as const;
const HEADS_COLUMNS = ['step', 'tokens', 'best_induction', 'best_previous_token', 'repeated_half_loss'] as const;

interface CsvRow<C extends string> {
  /** 1-based line number in the file. */
  line: number;
  cell(c: C): string;
}

/** The data lines of a CSV whose header must name every one of `columns` (in any order, others allowed). */
function csvRows<C extends string>(text: string, file: string, columns: readonly C[]): CsvRow<C>[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: is empty (expected a header line: ${columns.join(',')})`);
  const header = lines[0].split(',').map((h) => h.trim());
  const col = new Map(header.map((h, i) => [h, i]));
  for (const c of columns) {
    if (!col.has(c)) throw new Error(`${file}: header lacks column "${c}" (found: ${header.join(',').slice(0, 100)})`);
  }
  return lines.slice(1).map((l, i) => {
    const cells = l.split(',');
    return { line: i + 2, cell: (c) => (cells[col.get(c) as number] ?? '').trim() };
  });
}

/** A number cell; empty is NaN only where `emptyIsNaN` (a step without validation), an error elsewhere. */
function numberCell<C extends string>(file: string, row: CsvRow<C>, c: C, emptyIsNaN = false): number {
  const s = row.cell(c);
  if (s === '' && emptyIsNaN) return NaN;
  const v = Number(s);
  if (s === '' || Number.isNaN(v)) throw new Error(`${file}: line ${row.line} column "${c}" is ${JSON.stringify(s).slice(0, 30)}, not a number`);
  return v;
}

/** heads_log.csv -> rows; every cell must be a number. */
export function parseHeadsLogCsv(text: string, file: string): TrainingHeadsRow[] {
  return csvRows(text, file, HEADS_COLUMNS).map((row) => {
    const num = (c: (typeof HEADS_COLUMNS)[number]): number => numberCell(file, row, c);
    return {
      step: num('step'),
      tokens: num('tokens'),
      bestInduction: num('best_induction'),
      bestPreviousToken: num('best_previous_token'),
      repeatedHalfLoss: num('repeated_half_loss'),
    };
  });
}

export function parseTrainingLogCsv(text: string, file: string): TrainingLogRow[] {
  return csvRows(text, file, COLUMNS).map((row) => {
    const num = (c: (typeof COLUMNS)[number], emptyIsNaN = false): number => numberCell(file, row, c, emptyIsNaN);
    const clipped = row.cell('clipped').toLowerCase();
    if (!['0', '1', 'true', 'false'].includes(clipped)) {
      throw new Error(`${file}: line ${row.line} column "clipped" is ${JSON.stringify(clipped).slice(0, 30)}, expected 0 or 1`);
    }
    return {
      step: num('step'),
      tokens: num('tokens'),
      trainLoss: num('train_loss'),
      valLoss: num('val_loss', true),
      gradNorm: num('grad_norm'),
      clipped: clipped === '1' || clipped === 'true',
      lr: num('lr'),
      tokensPerSecond: num('tokens_per_s'),
    };
  });
}

/** True when the CSV's first line holds every one of `columns`. */
function hasColumns(text: string, columns: readonly string[]): boolean {
  const header = new Set(text.split('\n', 1)[0].replace(/\r$/, '').split(',').map((h) => h.trim()));
  return columns.every((c) => header.has(c));
}

/** True when the CSV's first line holds all of our columns (scripts/train/train.py wrote it). */
export function isXrayTrainingLog(text: string): boolean {
  return hasColumns(text, COLUMNS);
}

/**
 * The training log of a model folder, or undefined when it ships none. A person's own folder may hold a
 * train_log.csv from another tool: without our header it is not ours and is skipped (the bundled model's must parse).
 */
export function readTrainingLog(dir: string, config: Record<string, unknown>, strict: boolean): TrainingLog | undefined {
  const file = path.join(dir, 'train_log.csv');
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  if (!strict && !isXrayTrainingLog(text)) return undefined;
  const rows = parseTrainingLogCsv(text, file);
  const log: TrainingLog = { rows };
  const clip = clipNorm(dir, config);
  if (clip !== undefined) log.clipNorm = clip;
  const headsFile = path.join(dir, 'heads_log.csv');
  if (fs.existsSync(headsFile)) {
    const headsText = fs.readFileSync(headsFile, 'utf8');
    if (strict || hasColumns(headsText, HEADS_COLUMNS)) log.heads = parseHeadsLogCsv(headsText, headsFile);
  }
  return log;
}

function clipNorm(dir: string, config: Record<string, unknown>): number | undefined {
  const check = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new Error(`${where} is ${JSON.stringify(v)?.slice(0, 30)}, expected a positive number`);
    }
    return v;
  };
  if (config.xray_clip_norm !== undefined) return check(config.xray_clip_norm, `${path.join(dir, 'config.json')}: field "xray_clip_norm"`);
  const metaFile = path.join(dir, 'train_meta.json');
  if (!fs.existsSync(metaFile)) return undefined;
  const meta = readJsonFile(metaFile) as Record<string, unknown> | null;
  if (meta === null || typeof meta !== 'object' || meta.clip_norm === undefined) return undefined;
  return check(meta.clip_norm, `${metaFile}: field "clip_norm"`);
}
