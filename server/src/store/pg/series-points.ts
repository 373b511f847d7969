// The points one commit writes to one series, gathered in arrival order, then put in step
// order with one point per step (of a step given twice, the one that arrived last wins:
// PostgreSQL refuses a statement that writes one row twice, and last write wins). Also folds
// what the series summary needs: finite min/max and the point at the highest step.
export class SeriesPoints {
  steps: number[] = [];
  vals: number[] = [];
  walls: number[] = [];
  fmin: number | null = null;
  fmax: number | null = null;
  lastStep = 0;
  lastValue = 0;
  lastWall = 0;
  /** Steps strictly increasing in arrival order: nothing to sort or drop (the usual case). */
  private ordered = true;

  constructor(readonly sid: number) {}

  get length(): number {
    return this.steps.length;
  }

  push(step: number, value: number, wall: number): void {
    const n = this.steps.length;
    if (n > 0 && step <= this.steps[n - 1]!) this.ordered = false;
    this.steps.push(step);
    this.vals.push(value);
    this.walls.push(wall);
  }

  /** Sorts, drops superseded points, folds the summary; returns the number of points left. */
  settle(): number {
    if (!this.ordered) this.sortKeepingLast();
    const { steps, vals, walls } = this;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i]!;
      if (!Number.isFinite(v)) continue;
      if (this.fmin === null || v < this.fmin) this.fmin = v;
      if (this.fmax === null || v > this.fmax) this.fmax = v;
    }
    const last = steps.length - 1;
    this.lastStep = steps[last]!;
    this.lastValue = vals[last]!;
    this.lastWall = walls[last]!;
    return steps.length;
  }

  private sortKeepingLast(): void {
    const { steps, vals, walls } = this;
    const order = steps.map((_, i) => i).sort((a, b) => steps[a]! - steps[b]! || a - b);
    const s: number[] = [];
    const v: number[] = [];
    const w: number[] = [];
    for (const i of order) {
      const n = s.length;
      if (n > 0 && s[n - 1] === steps[i]) {
        v[n - 1] = vals[i]!;
        w[n - 1] = walls[i]!;
      } else {
        s.push(steps[i]!);
        v.push(vals[i]!);
        w.push(walls[i]!);
      }
    }
    this.steps = s;
    this.vals = v;
    this.walls = w;
    this.ordered = true;
  }
}
