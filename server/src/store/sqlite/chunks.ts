// Chunk rollups: each chunk summarises ~CHUNK_TARGET_POINTS consecutive points of one
// series (steps [start_step, next chunk's start_step)). It records where the extremes and
// the non-finite values are, so downsampling can pick real points without reading every
// row. Chunks are extended in place while appending; a chunk whose points were
// overwritten or deleted is rebuilt from its points.

export const CHUNK_TARGET_POINTS = 256;

export interface ChunkRow {
  series_id: number;
  start_step: number;
  end_step: number;
  count: number;
  /** Finite extremes and their steps. */
  fmin: number | null;
  fmin_step: number | null;
  fmax: number | null;
  fmax_step: number | null;
  /** First step holding NaN / +Infinity / -Infinity in this chunk. */
  nan_step: number | null;
  pinf_step: number | null;
  ninf_step: number | null;
  min_wall: number;
  max_wall: number;
}

/** SQLite turns NaN into NULL, so NULL in points.value means NaN. */
export function toStoredValue(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

export function fromStoredValue(v: number | null): number {
  return v === null ? NaN : v;
}

export function newChunk(seriesId: number, step: number, value: number, wall: number): ChunkRow {
  const c: ChunkRow = {
    series_id: seriesId,
    start_step: step,
    end_step: step,
    count: 0,
    fmin: null,
    fmin_step: null,
    fmax: null,
    fmax_step: null,
    nan_step: null,
    pinf_step: null,
    ninf_step: null,
    min_wall: wall,
    max_wall: wall,
  };
  addToChunk(c, step, value, wall);
  return c;
}

/** Folds one NEW point (not an overwrite) into the chunk. */
export function addToChunk(c: ChunkRow, step: number, value: number, wall: number): void {
  c.count += 1;
  if (step < c.start_step) c.start_step = step;
  if (step > c.end_step) c.end_step = step;
  if (wall < c.min_wall) c.min_wall = wall;
  if (wall > c.max_wall) c.max_wall = wall;
  if (Number.isFinite(value)) {
    if (c.fmin === null || value < c.fmin || (value === c.fmin && step < (c.fmin_step as number))) {
      c.fmin = value;
      c.fmin_step = step;
    }
    if (c.fmax === null || value > c.fmax || (value === c.fmax && step < (c.fmax_step as number))) {
      c.fmax = value;
      c.fmax_step = step;
    }
    return;
  }
  if (Number.isNaN(value)) c.nan_step = minStep(c.nan_step, step);
  else if (value > 0) c.pinf_step = minStep(c.pinf_step, step);
  else c.ninf_step = minStep(c.ninf_step, step);
}

/** Rebuilds a chunk from its points (step-sorted, stored values). Null when none are left. */
export function chunkFromPoints(
  seriesId: number,
  rows: ReadonlyArray<readonly [number, number | null, number]>,
): ChunkRow | null {
  const first = rows[0];
  if (first === undefined) return null;
  const c = newChunk(seriesId, first[0], fromStoredValue(first[1]), first[2]);
  for (let i = 1; i < rows.length; i++) {
    const r = rows[i]!;
    addToChunk(c, r[0], fromStoredValue(r[1]), r[2]);
  }
  return c;
}

function minStep(a: number | null, b: number): number {
  return a === null || b < a ? b : a;
}
