// A small TypeScript module: select a function and run "GPT X-Ray: Analyze Selection".

export interface Point {
  x: number;
  y: number;
}

/** Euclidean distance between two points. */
export function distance(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  return Math.sqrt(dx * dx + dy * dy);
}

/** The point of a list closest to the target, or undefined for an empty list. */
export function closest(points: Point[], target: Point): Point | undefined {
  let best: Point | undefined;
  let bestDistance = Infinity;
  for (const point of points) {
    const d = distance(point, target);
    if (d < bestDistance) {
      best = point;
      bestDistance = d;
    }
  }
  return best;
}

export function mean(values: number[]): number {
  if (values.length === 0) throw new Error('mean of an empty list');
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
