/**
 * Byte-pair encoding of one pre-token: start from one symbol per byte, then repeatedly merge the adjacent pair
 * with the lowest merge rank (leftmost first among equals) until no pair has a rank. This is GPT-2's algorithm;
 * a heap keeps long words (minified code, runs of punctuation) at O(n log n) instead of O(n^2).
 */

export class BytePairEncoder {
  /** (leftId * idSpace + rightId) -> merge rank. */
  private readonly ranks = new Map<number, number>();
  /** mergedIds[rank] = id of the token the merge produces. */
  private readonly mergedIds: number[] = [];
  private readonly idSpace: number;

  /**
   * @param byteIds byteIds[b] = id of the single-byte token for byte b
   * @param merges merge list in rank order, as (left id, right id, merged id)
   */
  constructor(
    private readonly byteIds: Int32Array,
    merges: Array<[number, number, number]>,
    idSpace: number,
  ) {
    this.idSpace = idSpace;
    merges.forEach(([a, b, m], rank) => {
      const key = a * idSpace + b;
      // A repeated pair takes its later rank, as GPT-2's dict(zip(merges, range(len(merges)))) does.
      this.ranks.set(key, rank);
      this.mergedIds.push(m);
    });
  }

  private rank(a: number, b: number): number | undefined {
    return this.ranks.get(a * this.idSpace + b);
  }

  /** Token ids for the UTF-8 bytes of one pre-token. */
  encode(bytes: Uint8Array): number[] {
    const n = bytes.length;
    if (n === 0) return [];
    if (n === 1) return [this.byteIds[bytes[0]]];
    const sym = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      sym[i] = this.byteIds[bytes[i]];
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new PairHeap();
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rank(sym[i], sym[i + 1]);
      if (r !== undefined) heap.push(r, i, sym[i], sym[i + 1]);
    }
    while (heap.size > 0) {
      const { rank, pos, left, right } = heap.pop();
      const j = next[pos];
      // Stale entry: one side was merged away since it was pushed (sym < 0 marks a consumed slot).
      if (sym[pos] !== left || j < 0 || sym[j] !== right) continue;
      const merged = this.mergedIds[rank];
      sym[pos] = merged;
      sym[j] = -1;
      const k = next[j];
      next[pos] = k;
      if (k >= 0) prev[k] = pos;
      const p = prev[pos];
      if (p >= 0) {
        const r = this.rank(sym[p], merged);
        if (r !== undefined) heap.push(r, p, sym[p], merged);
      }
      if (k >= 0) {
        const r = this.rank(merged, sym[k]);
        if (r !== undefined) heap.push(r, pos, merged, sym[k]);
      }
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) out.push(sym[i]);
    return out;
  }
}

/** Min-heap of candidate merges ordered by (rank, position). */
class PairHeap {
  private rank: number[] = [];
  private pos: number[] = [];
  private left: number[] = [];
  private right: number[] = [];

  get size(): number {
    return this.rank.length;
  }

  private less(i: number, j: number): boolean {
    return this.rank[i] < this.rank[j] || (this.rank[i] === this.rank[j] && this.pos[i] < this.pos[j]);
  }

  private swap(i: number, j: number): void {
    swapIn(this.rank, i, j);
    swapIn(this.pos, i, j);
    swapIn(this.left, i, j);
    swapIn(this.right, i, j);
  }

  push(rank: number, pos: number, left: number, right: number): void {
    this.rank.push(rank);
    this.pos.push(pos);
    this.left.push(left);
    this.right.push(right);
    let i = this.rank.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { rank: number; pos: number; left: number; right: number } {
    const top = { rank: this.rank[0], pos: this.pos[0], left: this.left[0], right: this.right[0] };
    const last = this.rank.length - 1;
    this.swap(0, last);
    this.rank.pop();
    this.pos.pop();
    this.left.pop();
    this.right.pop();
    let i = 0;
    const n = this.rank.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

function swapIn(a: number[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
