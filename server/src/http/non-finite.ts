// JSON has no NaN or infinity. Answers spell them as the strings "NaN", "Infinity" and
// "-Infinity" (docs/wire-format.md), the same spellings ingest accepts.

export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export function jsonNumber(value: number): JsonNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function jsonNumberOrNull(value: number | null | undefined): JsonNumber | null {
  return value === null || value === undefined ? null : jsonNumber(value);
}
