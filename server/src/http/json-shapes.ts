// Two small pieces every layer needs when it handles JSON: a TypeBox schema that also allows
// null, and the test for a plain object (not null, not an array).
import { type TNull, type TSchema, type TUnion, Type } from '@fastify/type-provider-typebox';

export const nullable = <T extends TSchema>(schema: T): TUnion<[T, TNull]> => Type.Union([schema, Type.Null()]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
