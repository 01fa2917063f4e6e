/**
 * Collects the buffers of every typed array in a reply so postMessage moves them instead of copying them.
 * A typed array that views only part of its buffer (e.g. a window onto the wasm heap) is replaced by its own copy
 * first: transferring a shared buffer would detach memory the engine still uses.
 */
export function prepareTransfer<T>(value: T): { value: T; transfer: ArrayBuffer[] } {
  const transfer = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const views = new Map<ArrayBufferView, ArrayBufferView>();
  const visit = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v)) {
      if (!(v.buffer instanceof ArrayBuffer)) return v; // SharedArrayBuffer: cannot and need not be transferred
      const done = views.get(v);
      if (done) return done;
      const own = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && !transfer.has(v.buffer)
        ? v
        : (v as unknown as { slice(): ArrayBufferView }).slice();
      transfer.add(own.buffer as ArrayBuffer);
      views.set(v, own);
      return own;
    }
    if (seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = visit(v[i]);
    } else {
      const o = v as Record<string, unknown>;
      for (const key of Object.keys(o)) o[key] = visit(o[key]);
    }
    return v;
  };
  return { value: visit(value) as T, transfer: [...transfer] };
}
