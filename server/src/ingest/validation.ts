// Splits schema errors into those that sink the whole body (400) and those that only
// reject one item of an array (200 with a reason). The original server rejected a whole
// batch for one bad point (a NaN token, a non-numeric value); here one bad point costs one point.
import type { FastifyRequest } from 'fastify';
import { type FieldError, toFieldErrors } from '../errors.js';

/** Every schema error of this request's body, one per field path. */
export function bodyFieldErrors(request: FastifyRequest): FieldError[] {
  const err = request.validationError as (Error & { validation?: unknown }) | undefined;
  if (err === undefined) return [];
  const issues = Array.isArray(err.validation) ? err.validation : [{ instancePath: '', message: err.message }];
  return toFieldErrors(issues);
}

export function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

export interface SplitErrors {
  /** Errors outside the item array: the body is unusable. */
  body: FieldError[];
  /** Errors inside item i of the array, by index. */
  items: Map<number, FieldError[]>;
}

/**
 * Partitions `errors` (already limited to one body or batch part) around `itemsPointer`,
 * e.g. "/metrics" or "/metrics/metrics" inside a batch.
 */
export function splitItemErrors(errors: readonly FieldError[], itemsPointer: string): SplitErrors {
  const body: FieldError[] = [];
  const items = new Map<number, FieldError[]>();
  const itemPrefix = `${itemsPointer}/`;
  for (const e of errors) {
    if (e.path.startsWith(itemPrefix)) {
      const rest = e.path.slice(itemPrefix.length);
      const slash = rest.indexOf('/');
      const index = Number(slash === -1 ? rest : rest.slice(0, slash));
      if (Number.isInteger(index) && index >= 0) {
        const list = items.get(index);
        if (list === undefined) items.set(index, [e]);
        else list.push(e);
        continue;
      }
    }
    body.push(e);
  }
  return { body, items };
}

/** A bounded Prometheus label for why an item was rejected (never user text). */
export function rejectionReasonLabel(path: string): string {
  const field = path.slice(path.lastIndexOf('/') + 1);
  switch (field) {
    case 'name':
    case 'value':
    case 'step':
    case 'timestamp':
    case 'data':
      return `invalid_${field}`;
    default:
      return 'invalid_item';
  }
}
