// Request validation. Query strings and params use the TypeBox compiler as shipped (with
// string → number conversion). Bodies are never converted (null must not become 0) and
// need *every* bad field path: TypeBox's error iterator stops reporting after a few failed
// unions inside an array, so a failing body is re-checked piece by piece here: objects by
// property, arrays by item, and only the leaves by the compiled validator.
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { isPlainObject } from './json-shapes.js';

export interface BodyIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

type JsonSchema = {
  type?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** For `X | null` with a non-null value, the branch that matters is X. */
function nonNullBranch(schema: JsonSchema, value: unknown): JsonSchema | null {
  if (value === null || !Array.isArray(schema.anyOf) || schema.anyOf.length !== 2) return null;
  const [a, b] = schema.anyOf as [JsonSchema, JsonSchema];
  if (b.type === 'null') return a;
  if (a.type === 'null') return b;
  return null;
}

/** The provider's compiled validator for a body part: Check first, Errors only on failure. */
type Checker = (value: unknown) => { value?: unknown; error?: Array<Partial<BodyIssue>> };
const compiled = new WeakMap<object, Checker>();

function checkerFor(schema: JsonSchema): Checker {
  let checker = compiled.get(schema);
  if (checker === undefined) {
    checker = TypeBoxValidatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '' } as never) as unknown as Checker;
    compiled.set(schema, checker);
  }
  return checker;
}

const passes = (checker: Checker, value: unknown): boolean => checker(value).error === undefined;

/** Appends every issue of `value` against `schema` to `out`, with pointers under `path`. */
export function collectIssues(schema: JsonSchema, value: unknown, path: string, out: BodyIssue[]): void {
  const branch = nonNullBranch(schema, value);
  if (branch !== null && (branch.type === 'object' || branch.type === 'array')) {
    collectIssues(branch, value, path, out);
    return;
  }
  if (schema.type === 'object' && schema.properties !== undefined && schema.anyOf === undefined) {
    if (!isPlainObject(value)) {
      out.push({ instancePath: path, keyword: 'type', params: { type: 'object' }, message: 'must be object' });
      return;
    }
    for (const name of schema.required ?? []) {
      if (!Object.hasOwn(value, name)) {
        out.push({ instancePath: path, keyword: 'required', params: { requiredProperties: [name] }, message: 'is required' });
      }
    }
    for (const [name, propSchema] of Object.entries(schema.properties)) {
      if (Object.hasOwn(value, name) && value[name] !== undefined) {
        collectIssues(propSchema, value[name], `${path}/${name}`, out);
      }
    }
    return;
  }
  if (schema.type === 'array' && schema.items !== undefined && schema.anyOf === undefined) {
    if (!Array.isArray(value)) {
      out.push({ instancePath: path, keyword: 'type', params: { type: 'array' }, message: 'must be array' });
      return;
    }
    // Pay the walk only for items that fail the compiled check.
    const itemChecker = checkerFor(schema.items);
    for (let i = 0; i < value.length; i++) {
      if (!passes(itemChecker, value[i])) collectIssues(schema.items, value[i], `${path}/${i}`, out);
    }
    // Our body arrays carry no array-level keywords (minItems, …), so items are all there is.
    return;
  }
  const issues = checkerFor(schema)(value).error;
  if (issues === undefined) return;
  if (issues.length === 0) {
    out.push({ instancePath: path, keyword: 'invalid', params: {}, message: 'is invalid' });
    return;
  }
  for (const issue of issues) {
    out.push({
      instancePath: path + (issue.instancePath ?? ''),
      keyword: issue.keyword ?? 'invalid',
      params: issue.params ?? {},
      message: issue.message ?? 'is invalid',
    });
  }
}

/** Fastify validator compiler: exhaustive, non-converting for bodies; TypeBox's own for the rest. */
export const lensValidatorCompiler: FastifySchemaCompiler<FastifySchema> = (routeSchema) => {
  if (routeSchema.httpPart !== 'body') return TypeBoxValidatorCompiler(routeSchema as never);
  const schema = routeSchema.schema as JsonSchema;
  const checker = checkerFor(schema);
  return (value: unknown) => {
    if (passes(checker, value)) return { value };
    const issues: BodyIssue[] = [];
    collectIssues(schema, value, '', issues);
    if (issues.length === 0) issues.push({ instancePath: '', keyword: 'invalid', params: {}, message: 'is invalid' });
    return { error: issues as never };
  };
};
