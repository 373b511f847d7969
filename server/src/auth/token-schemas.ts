// The token API's bodies and answers, defined once for validation, serialization, the OpenAPI
// document and the dashboard's types (a type-only import there, so this file imports no server code).
import { Type } from '@fastify/type-provider-typebox';
import { nullable } from '../http/json-shapes.js';

export const MAX_NAMESPACES = 100;
export const MAX_NAME_LENGTH = 128;

export const Scope = Type.Union([Type.Literal('ingest'), Type.Literal('read'), Type.Literal('admin')]);

export const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: Scope,
  namespaces: Type.Array(Type.String(), { description: 'empty: every namespace' }),
  state: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
  created_at: Type.Number({ description: 'epoch seconds' }),
  created_by: nullable(Type.String()),
  expires_at: nullable(Type.Number()),
  last_used_at: nullable(Type.Number({ description: 'epoch seconds, updated about once a minute' })),
  revoked_at: nullable(Type.Number()),
  revoked_by: nullable(Type.String()),
});

export const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
    scope: Scope,
    namespaces: Type.Optional(
      Type.Array(Type.String({ maxLength: 63 }), {
        maxItems: MAX_NAMESPACES,
        description: 'Kubernetes namespaces this token may write or read; absent or empty: all (admin tokens always cover all)',
      }),
    ),
    expires_at: Type.Optional(
      Type.Union([Type.Number(), Type.String({ maxLength: 64 }), Type.Null()], {
        description: 'epoch seconds or an ISO 8601 date-time; absent: never expires',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Created = Type.Object({
  ...TokenView.properties,
  token: Type.String({ description: 'The secret: shown this once, stored only as a hash' }),
});

export const Whoami = Type.Object({
  mode: Type.Union([Type.Literal('open'), Type.Literal('token')], { description: 'open: the server requires no token' }),
  name: Type.String(),
  id: nullable(Type.String()),
  scope: Scope,
  namespaces: Type.Array(Type.String(), { description: 'empty: every namespace' }),
  expires_at: nullable(Type.Number()),
});
