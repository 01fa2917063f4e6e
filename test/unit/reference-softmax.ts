// The tests' own softmax, in double precision and written apart from src/engine/trace.ts and the views, so expected
// probabilities never come from the code under test.
export function referenceSoftmax(logits: ArrayLike<number>, temperature = 1): number[] {
  const z = Array.from(logits, (x) => x / temperature);
  let max = -Infinity;
  for (const x of z) max = Math.max(max, x);
  const e = z.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
