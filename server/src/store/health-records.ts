// The health rows both backends read (HEALTH_COLUMNS in health-sql.ts), as the Store's records:
// JSON parsed, and an event's stand-ins for "none" read back as null.
import { valueFromText } from './health-sql.js';
import type { HealthEventRecord, RunHealthRecord } from './types.js';

export type HealthRow = Omit<RunHealthRecord, 'progress' | 'state'> & { progress: string; state?: string };

export function healthRecord(r: HealthRow): RunHealthRecord {
  const { state, progress, ...rest } = r;
  return { ...rest, progress: JSON.parse(progress), state: state === undefined ? null : JSON.parse(state) };
}

export type HealthEventRow = Omit<HealthEventRecord, 'value' | 'metric' | 'step'> & {
  value: string | null;
  metric: string;
  step: number;
};

/** A health_events row: metric '' and step -1 stand for none; the value is text, so NaN and ±Inf survive. */
export function healthEvent(e: HealthEventRow): HealthEventRecord {
  return { ...e, metric: e.metric === '' ? null : e.metric, step: e.step === -1 ? null : e.step, value: valueFromText(e.value) };
}
