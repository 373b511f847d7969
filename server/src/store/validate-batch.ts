// Last line of defence before a batch is queued. HTTP validates bodies properly and
// rejects items with reasons; this only guarantees that nothing malformed reaches the
// database and poisons a shared group-commit transaction.
import type { MetricBatch } from './types.js';

export function assertValidBatch(b: MetricBatch): void {
  if (typeof b.workload_uid !== 'string' || b.workload_uid.length === 0) throw new TypeError('workload_uid is required');
  if (typeof b.run_id !== 'string') throw new TypeError('run_id must be a string');
  if (!Number.isSafeInteger(b.rank)) throw new TypeError('rank must be an integer (-1 when unknown)');
  if (!Number.isFinite(b.received_at)) throw new TypeError('received_at must be a finite number');
  b.points.forEach((p, i) => {
    if (typeof p.name !== 'string' || p.name.length === 0) throw new TypeError(`points[${i}].name must be a non-empty string`);
    if (!Number.isSafeInteger(p.step)) throw new TypeError(`points[${i}].step must be an integer`);
    if (typeof p.value !== 'number') throw new TypeError(`points[${i}].value must be a number`);
    if (!Number.isFinite(p.wall_time)) throw new TypeError(`points[${i}].wall_time must be a finite number`);
  });
}
