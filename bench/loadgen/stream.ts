// The metric stream both targets receive: N runs × M metrics × S steps, cut into requests of
// whole steps (at most `pointsPerRequest` points each, MLflow's log-batch limit is 1000).

export interface StreamShape {
  runs: number;
  metrics: number;
  steps: number;
  pointsPerRequest: number;
}

export interface Chunk {
  run: number;
  firstStep: number;
  stepCount: number;
}

export interface Point {
  name: string;
  value: number;
  step: number;
  wallTime: number; // epoch seconds
}

export function stepsPerRequest(shape: StreamShape): number {
  return Math.max(1, Math.floor(shape.pointsPerRequest / shape.metrics));
}

/** Chunks ordered step-major across runs, the order N ranks training in lockstep produce. */
export function chunks(shape: StreamShape): Chunk[] {
  const per = stepsPerRequest(shape);
  const out: Chunk[] = [];
  for (let first = 0; first < shape.steps; first += per) {
    const count = Math.min(per, shape.steps - first);
    for (let run = 0; run < shape.runs; run++) out.push({ run, firstStep: first, stepCount: count });
  }
  return out;
}

export function metricNames(count: number): string[] {
  const base = ["loss", "lr", "grad_norm", "tokens_per_s", "mfu"];
  return Array.from({ length: count }, (_, i) => (i < base.length ? `train/${base[i]}` : `train/metric_${i}`));
}

/** The points of one chunk; values are cheap pseudo-random floats, generated at send time. */
export function chunkPoints(shape: StreamShape, chunk: Chunk, names: string[], t0: number): Point[] {
  const points: Point[] = [];
  for (let s = chunk.firstStep; s < chunk.firstStep + chunk.stepCount; s++) {
    const wallTime = t0 + s * 0.1;
    for (let m = 0; m < shape.metrics; m++) {
      const value = Math.sin(s * 0.001 + m + chunk.run) + Math.random() * 0.01;
      points.push({ name: names[m] ?? `m${m}`, value, step: s, wallTime });
    }
  }
  return points;
}
