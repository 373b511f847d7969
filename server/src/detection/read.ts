// Defensive readers for a body of unknown shape. Reports come from old clients, new clients
// and fuzzers: every reader returns undefined instead of throwing, and only own properties are
// read (so a key such as "constructor" never reaches Object.prototype).

/** Hard bounds on how much of a body the rules look at, so a hostile body costs bounded CPU. */
export const MAX_ENTRIES = 2000;
export const MAX_DETAIL = 160;

export type Rec = Record<string, unknown>;

export function asRecord(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}

export function own(record: Rec | undefined, key: string): unknown {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

export function has(record: Rec | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}

export function ownRecord(record: Rec | undefined, key: string): Rec | undefined {
  return asRecord(own(record, key));
}

export function ownString(record: Rec | undefined, key: string): string | undefined {
  const value = own(record, key);
  return typeof value === 'string' ? value : undefined;
}

/** Scalars as text (env values may arrive as numbers or booleans); objects give ''. */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** The first MAX_ENTRIES own keys. */
export function keysOf(record: Rec | undefined): string[] {
  if (record === undefined) return [];
  const keys: string[] = [];
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    keys.push(key);
    if (keys.length >= MAX_ENTRIES) break;
  }
  return keys;
}

/** The string items of an array (first MAX_ENTRIES items). */
export function stringsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (let i = 0; i < value.length && i < MAX_ENTRIES; i++) {
    const item: unknown = value[i];
    if (typeof item === 'string') out.push(item);
  }
  return out;
}

export function isTruthyFlag(value: unknown): boolean {
  if (value === true) return true;
  if (typeof value === 'number') return value === 1;
  return typeof value === 'string' && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());
}

export function clip(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}
