// Writes the points of one series inside the caller's transaction and keeps the series'
// chunk rollups and summary (count, last, finite min/max) current in the same
// transaction. Re-delivered points with identical content cost one failed insert and one
// lookup; points whose content changed mark their chunk for a rebuild (last write wins).
import type Database from 'better-sqlite3';
import { AppendInserter } from './append-inserter.js';
import { addToChunk, CHUNK_TARGET_POINTS, type ChunkRow, chunkFromPoints, newChunk, toStoredValue } from './chunks.js';

export interface SeriesPointInput {
  step: number;
  value: number;
  wall_time: number;
}

export interface SeriesWriteResult {
  /** Points that did not exist before. */
  inserted: number;
  /** Largest step written, or null when nothing changed. */
  maxStep: number | null;
}

/** What an append needs to know about a series, cached so appends need no reads. */
interface SeriesTail {
  count: number;
  lastStep: number | null;
  lastValue: number | null;
  lastTime: number | null;
  fmin: number | null;
  fmax: number | null;
  /** The chunk with the highest start_step, or null for an empty series. */
  chunk: ChunkRow | null;
}

/** Bound on cached tails; past it the cache is simply dropped and refilled on demand. */
const MAX_CACHED_TAILS = 100_000;

interface TouchedChunk {
  row: ChunkRow;
  /** Key in the table before this write; null for a chunk created by this write. */
  storedStart: number | null;
  dirty: boolean;
}

const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

export class SeriesWriter {
  private readonly insertPoint;
  private readonly appends: AppendInserter;
  private readonly selectPoint;
  private readonly updatePoint;
  private readonly chunkAtOrBefore;
  private readonly nextChunkStart;
  private readonly chunkPoints;
  private readonly upsertChunk;
  private readonly deleteChunk;
  private readonly seriesChunks;
  private readonly selectSeries;
  private readonly updateSeries;
  private readonly lastChunk;
  private readonly selectSummary;
  private readonly tails = new Map<number, SeriesTail>();
  /** Appended-to tails whose chunk and summary rows are written at the end of the transaction. */
  private readonly unflushed = new Map<number, { tail: SeriesTail; chunks: Set<ChunkRow> }>();

  constructor(db: Database.Database) {
    this.insertPoint = db.prepare('INSERT OR IGNORE INTO points (series_id, step, value, wall_time) VALUES (?, ?, ?, ?)');
    this.appends = new AppendInserter(db);
    this.selectPoint = db.prepare('SELECT value, wall_time FROM points WHERE series_id = ? AND step = ?').raw();
    this.updatePoint = db.prepare('UPDATE points SET value = ?, wall_time = ? WHERE series_id = ? AND step = ?');
    this.chunkAtOrBefore = db.prepare(
      'SELECT * FROM chunks WHERE series_id = ? AND start_step <= ? ORDER BY start_step DESC LIMIT 1',
    );
    this.nextChunkStart = db
      .prepare('SELECT start_step FROM chunks WHERE series_id = ? AND start_step > ? ORDER BY start_step LIMIT 1')
      .pluck();
    this.chunkPoints = db
      .prepare('SELECT step, value, wall_time FROM points WHERE series_id = ? AND step >= ? AND step < ? ORDER BY step')
      .raw();
    this.upsertChunk = db.prepare(`INSERT OR REPLACE INTO chunks (series_id, start_step, end_step, count, fmin, fmin_step,
      fmax, fmax_step, nan_step, pinf_step, ninf_step, min_wall, max_wall) VALUES (@series_id, @start_step, @end_step,
      @count, @fmin, @fmin_step, @fmax, @fmax_step, @nan_step, @pinf_step, @ninf_step, @min_wall, @max_wall)`);
    this.deleteChunk = db.prepare('DELETE FROM chunks WHERE series_id = ? AND start_step = ?');
    this.seriesChunks = db
      .prepare('SELECT count(*), sum(count), min(fmin), max(fmax), max(end_step) FROM chunks WHERE series_id = ?')
      .raw();
    this.selectSeries = db.prepare('SELECT count, last_step, fmin, fmax FROM series WHERE id = ?').raw();
    this.selectSummary = db.prepare('SELECT count, last_step, last_value, last_time, fmin, fmax FROM series WHERE id = ?').raw();
    this.lastChunk = db.prepare('SELECT * FROM chunks WHERE series_id = ? ORDER BY start_step DESC LIMIT 1');
    this.updateSeries = db.prepare(
      'UPDATE series SET count = ?, last_step = ?, last_value = ?, last_time = ?, fmin = ?, fmax = ? WHERE id = ?',
    );
  }

  /** Forget cached tails (after a rollback or a delete). */
  resetCache(): void {
    this.tails.clear();
    this.unflushed.clear();
  }

  /**
   * Writes the chunk and summary rows that appends kept in memory. Must run before the
   * transaction commits; several batches appending to one series in one transaction thus
   * cost one chunk upsert and one summary update between them.
   */
  flush(): void {
    for (const [seriesId, { tail, chunks }] of this.unflushed) {
      for (const c of chunks) this.upsertChunk.run(c);
      this.updateSeries.run(tail.count, tail.lastStep, tail.lastValue, tail.lastTime, tail.fmin, tail.fmax, seriesId);
    }
    this.unflushed.clear();
  }

  /** `points` must be sorted by step with unique steps. */
  write(seriesId: number, points: readonly SeriesPointInput[]): SeriesWriteResult {
    const first = points[0];
    if (first === undefined) return { inserted: 0, maxStep: null };
    const tail = this.tailOf(seriesId);
    if (tail.lastStep === null || first.step > tail.lastStep) return this.append(seriesId, tail, points);
    this.tails.delete(seriesId);
    return this.writeAnywhere(seriesId, points);
  }

  /**
   * The common case: every point is past the series' last step, so all are new and only
   * the tail chunk changes. No reads; N inserts now, the chunk and summary rows in flush().
   */
  private append(seriesId: number, tail: SeriesTail, points: readonly SeriesPointInput[]): SeriesWriteResult {
    let pending = this.unflushed.get(seriesId);
    if (pending === undefined) {
      pending = { tail, chunks: new Set() };
      this.unflushed.set(seriesId, pending);
    }
    const changed = pending.chunks;
    this.appends.insert(seriesId, points);
    let chunk = tail.chunk;
    for (const p of points) {
      const stored = toStoredValue(p.value);
      if (chunk === null || chunk.count >= CHUNK_TARGET_POINTS) {
        chunk = newChunk(seriesId, p.step, p.value, p.wall_time);
      } else {
        addToChunk(chunk, p.step, p.value, p.wall_time);
      }
      changed.add(chunk);
      tail.count += 1;
      if (Number.isFinite(p.value)) {
        if (tail.fmin === null || p.value < tail.fmin) tail.fmin = p.value;
        if (tail.fmax === null || p.value > tail.fmax) tail.fmax = p.value;
      }
      tail.lastStep = p.step;
      tail.lastValue = stored;
      tail.lastTime = p.wall_time;
    }
    tail.chunk = chunk;
    return { inserted: points.length, maxStep: tail.lastStep };
  }

  private tailOf(seriesId: number): SeriesTail {
    const hit = this.tails.get(seriesId);
    if (hit !== undefined) return hit;
    const [count, lastStep, lastValue, lastTime, fmin, fmax] = this.selectSummary.get(seriesId) as [
      number,
      number | null,
      number | null,
      number | null,
      number | null,
      number | null,
    ];
    const chunk = (this.lastChunk.get(seriesId) as ChunkRow | undefined) ?? null;
    const tail: SeriesTail = { count, lastStep, lastValue, lastTime, fmin, fmax, chunk };
    if (this.tails.size >= MAX_CACHED_TAILS) this.tails.clear();
    this.tails.set(seriesId, tail);
    return tail;
  }

  /** Any mix of new points, overwrites and backfill. */
  private writeAnywhere(seriesId: number, points: readonly SeriesPointInput[]): SeriesWriteResult {
    this.flush(); // this path reads chunk and summary rows, so they must be current
    const touched = new Map<number, TouchedChunk>();
    let cur: TouchedChunk | null = null;
    let curEnd = NO_UPPER_BOUND; // start of the chunk after `cur` (exclusive bound)
    let inserted = 0;
    let anyDirty = false;
    let maxStep: number | null = null;
    const fresh: SeriesPointInput[] = [];

    for (const p of points) {
      const stored = toStoredValue(p.value);
      const isNew = this.insertPoint.run(seriesId, p.step, stored, p.wall_time).changes === 1;
      if (!isNew) {
        const old = this.selectPoint.get(seriesId, p.step) as [number | null, number];
        if (old[0] === stored && old[1] === p.wall_time) continue;
        this.updatePoint.run(stored, p.wall_time, seriesId, p.step);
      }
      maxStep = maxStep === null || p.step > maxStep ? p.step : maxStep;

      if (cur === null || p.step < cur.row.start_step || p.step >= curEnd) {
        const found = this.chunkAtOrBefore.get(seriesId, p.step) as ChunkRow | undefined;
        if (found === undefined) {
          cur = null;
          curEnd = (this.nextChunkStart.get(seriesId, p.step) as number | undefined) ?? NO_UPPER_BOUND;
        } else {
          cur = touched.get(found.start_step) ?? { row: found, storedStart: found.start_step, dirty: false };
          touched.set(found.start_step, cur);
          curEnd = (this.nextChunkStart.get(seriesId, found.start_step) as number | undefined) ?? NO_UPPER_BOUND;
        }
      }

      if (!isNew) {
        if (cur !== null) cur.dirty = true;
        anyDirty = true;
        continue;
      }
      inserted += 1;
      fresh.push(p);
      const startNew =
        cur === null || (curEnd === NO_UPPER_BOUND && p.step > cur.row.end_step && cur.row.count >= CHUNK_TARGET_POINTS);
      if (startNew) {
        cur = { row: newChunk(seriesId, p.step, p.value, p.wall_time), storedStart: null, dirty: false };
        touched.set(p.step, cur);
      } else {
        addToChunk(cur!.row, p.step, p.value, p.wall_time);
      }
    }

    // A backfill can pile many points into one chunk; past twice the target it is split,
    // so chunks stay small enough for both rebuilds and downsampling resolution.
    const rebuild = (t: TouchedChunk): boolean => t.dirty || t.row.count > 2 * CHUNK_TARGET_POINTS;
    for (const t of touched.values()) if (!rebuild(t)) this.upsertChunk.run(t.row);
    for (const t of touched.values()) if (rebuild(t)) this.rebuildChunk(seriesId, t);
    if (maxStep === null) return { inserted: 0, maxStep: null };
    if (anyDirty) this.recomputeSeries(seriesId);
    else this.foldIntoSeries(seriesId, fresh);
    return { inserted, maxStep };
  }

  /**
   * Rebuilds one chunk from its points (after an overwrite, a retention delete or a large
   * backfill), as several chunks of CHUNK_TARGET_POINTS when it has grown.
   */
  rebuildChunk(seriesId: number, t: { row: ChunkRow; storedStart: number | null }): void {
    this.flush();
    this.tails.delete(seriesId);
    const from = t.storedStart ?? t.row.start_step;
    const until = (this.nextChunkStart.get(seriesId, from) as number | undefined) ?? NO_UPPER_BOUND;
    const rows = this.chunkPoints.all(seriesId, from, until) as Array<[number, number | null, number]>;
    this.deleteChunk.run(seriesId, from);
    for (let i = 0; i < rows.length; i += CHUNK_TARGET_POINTS) {
      const piece = chunkFromPoints(seriesId, rows.slice(i, i + CHUNK_TARGET_POINTS));
      if (piece !== null) this.upsertChunk.run(piece);
    }
  }

  /** Recomputes the series summary from its chunks (O(chunks), not O(points)). */
  recomputeSeries(seriesId: number): void {
    this.flush();
    this.tails.delete(seriesId);
    const [n, count, fmin, fmax, lastStep] = this.seriesChunks.get(seriesId) as [
      number,
      number | null,
      number | null,
      number | null,
      number | null,
    ];
    if (n === 0 || lastStep === null) {
      this.updateSeries.run(0, null, null, null, null, null, seriesId);
      return;
    }
    const last = this.selectPoint.get(seriesId, lastStep) as [number | null, number];
    this.updateSeries.run(count ?? 0, lastStep, last[0], last[1], fmin, fmax, seriesId);
  }

  private foldIntoSeries(seriesId: number, fresh: readonly SeriesPointInput[]): void {
    const s = this.selectSeries.get(seriesId) as [number, number | null, number | null, number | null];
    let [count, lastStep, fmin, fmax] = s;
    let lastValue: number | null | undefined;
    let lastTime = 0;
    for (const p of fresh) {
      count += 1;
      if (Number.isFinite(p.value)) {
        if (fmin === null || p.value < fmin) fmin = p.value;
        if (fmax === null || p.value > fmax) fmax = p.value;
      }
      if (lastStep === null || p.step > lastStep) {
        lastStep = p.step;
        lastValue = toStoredValue(p.value);
        lastTime = p.wall_time;
      }
    }
    if (lastValue === undefined) {
      // The last point did not move; keep last_value/last_time as they are.
      const cur = this.selectPoint.get(seriesId, lastStep as number) as [number | null, number];
      lastValue = cur[0];
      lastTime = cur[1];
    }
    this.updateSeries.run(count, lastStep, lastValue, lastTime, fmin, fmax, seriesId);
  }
}
