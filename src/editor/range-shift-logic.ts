/**
 * What an edit does to an analysed range of a document: nothing (it is after the range), a shift (it is before),
 * or a drop (it touches the range). Offsets are UTF-16 document offsets, as VS Code reports them. Free of `vscode`.
 */

export interface TextChange {
  /** Offset of the replaced range in the document as it was before this change. */
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export type RangeFate = { kind: 'keep' } | { kind: 'shift'; delta: number } | { kind: 'drop' };

/**
 * Apply one event's changes in order (VS Code orders them so that applying each in turn is correct).
 * An insertion exactly at the range's start counts as before it, exactly at its end as after it.
 */
export function fateOfRange(start: number, end: number, changes: readonly TextChange[]): RangeFate {
  let s = start;
  let e = end;
  for (const c of changes) {
    const from = c.rangeOffset;
    const to = c.rangeOffset + c.rangeLength;
    const delta = c.text.length - c.rangeLength;
    if (from >= e) continue; // after the range
    if (to <= s) {
      // before the range (or an insertion at its start)
      s += delta;
      e += delta;
      continue;
    }
    return { kind: 'drop' };
  }
  return s === start ? { kind: 'keep' } : { kind: 'shift', delta: s - start };
}
