// Array parameters for unnest() and friends.
// - numArray: a text literal, for the small arrays of ids and counters. String() already gives
//   what float8 input expects, NaN and ±Infinity included.
// - ArrayParam: PostgreSQL's binary array format in a Buffer (node-postgres sends a Buffer
//   parameter in binary). The points of a commit travel this way: no number is formatted in
//   JavaScript or parsed by the database, and a float8 crosses exactly, -0 and NaN included.

/** A bigint[] or float8[] literal; null becomes NULL. */
export function numArray(values: ReadonlyArray<number | null>): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ',';
    const v = values[i];
    s += v === null || v === undefined ? 'NULL' : String(v);
  }
  return `${s}}`;
}

const OID = { int4: 23, int8: 20, float8: 701 } as const;
export type ElementType = keyof typeof OID;
/** The SQL name of each element type, for casts. */
export const SQL_TYPE: Record<ElementType, string> = { int4: 'int', int8: 'bigint', float8: 'float8' };
const WIDTH: Record<ElementType, number> = { int4: 4, int8: 8, float8: 8 };
const HEADER = 20; // ndim, has-nulls flag, element oid, length, lower bound
const TWO_32 = 4294967296;

/**
 * A one-dimensional array of `capacity` elements at most, filled in order with push().
 * int8 elements must be safe integers (steps and ids are).
 */
export class ArrayParam {
  private readonly buf: Buffer;
  private readonly width: number;
  private offset = HEADER;
  private count = 0;
  private nulls = false;

  constructor(
    private readonly type: ElementType,
    capacity: number,
  ) {
    this.width = WIDTH[type];
    this.buf = Buffer.allocUnsafe(HEADER + capacity * (4 + this.width));
  }

  get length(): number {
    return this.count;
  }

  push(v: number): void {
    const b = this.buf;
    const o = this.offset;
    b.writeInt32BE(this.width, o);
    if (this.type === 'float8') b.writeDoubleBE(v, o + 4);
    else if (this.type === 'int8') {
      b.writeInt32BE(Math.floor(v / TWO_32), o + 4);
      b.writeUInt32BE(v >>> 0, o + 8);
    } else b.writeInt32BE(v, o + 4);
    this.offset = o + 4 + this.width;
    this.count += 1;
  }

  pushNull(): void {
    this.buf.writeInt32BE(-1, this.offset);
    this.offset += 4;
    this.count += 1;
    this.nulls = true;
  }

  pushMaybe(v: number | null): void {
    if (v === null) this.pushNull();
    else this.push(v);
  }

  /** The parameter: header written now, the Buffer cut to what was pushed. */
  value(): Buffer {
    const b = this.buf;
    b.writeInt32BE(1, 0);
    b.writeInt32BE(this.nulls ? 1 : 0, 4);
    b.writeInt32BE(OID[this.type], 8);
    b.writeInt32BE(this.count, 12);
    b.writeInt32BE(1, 16);
    return b.subarray(0, this.offset);
  }
}

/** A whole array at once. */
export function arrayParam(type: ElementType, values: ReadonlyArray<number | null>): Buffer {
  const a = new ArrayParam(type, values.length);
  for (const v of values) a.pushMaybe(v);
  return a.value();
}

/**
 * Parses the text form of a bigint[] or float8[] (no NULLs, one dimension), the fast way:
 * float8 output is the shortest exact form, and Number() reads NaN, Infinity and -Infinity.
 */
export function parseNumberArray(text: string): number[] {
  if (text.length <= 2) return [];
  const parts = text.slice(1, -1).split(',');
  const out = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = Number(parts[i]);
  return out;
}

/** Numbered parameters for SQL assembled from parts: add(value) returns its placeholder. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
