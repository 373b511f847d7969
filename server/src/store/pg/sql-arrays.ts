// Array literals for unnest() parameters. Numbers are written by hand because this is the
// hot path (a group commit passes four arrays of up to 25k elements) and because String()
// already gives what float8 input expects, NaN and ±Infinity included.

/** A bigint[] or float8[] literal; null becomes NULL. */
export function numArray(values: ReadonlyArray<number | null>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ',';
    const v = values[i];
    s += v === null || v === undefined ? 'NULL' : String(v);
  }
  return s + '}';
}
