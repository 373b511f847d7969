// The admin API under /api/v1/tokens (create, list, revoke) and /api/v1/whoami, which the
// dashboard asks to show whose token it holds. The secret is in the answer to POST only, once.

import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../errors.js';
import { QueryError } from '../query/schemas.js';
import type { Store } from '../store/types.js';
import { audit } from './audit.js';
import { createToken, tokenView, validateTokenRequest } from './token-admin.js';
import { CreateBody, Created, TokenView, Whoami } from './token-schemas.js';
import type { TokenVerifier } from './token-verifier.js';

export interface TokenRoutesOptions {
  store: Store;
  verifier: TokenVerifier;
  hidden: boolean;
}

export const tokenRoutes: FastifyPluginAsync<TokenRoutesOptions> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { store } = opts;
  const common = { tags: ['auth'], hide: opts.hidden };
  const now = (): number => Date.now() / 1000;

  app.get(
    '/whoami',
    {
      schema: { ...common, summary: 'The token this request carries: name, scope, namespaces', response: { 200: Whoami } },
    },
    async (request) => {
      const p = request.principal;
      return {
        mode: p.kind === 'open' ? ('open' as const) : ('token' as const),
        name: p.name,
        id: p.id,
        scope: p.scope,
        namespaces: [...p.namespaces],
        expires_at: p.expiresAt,
      };
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        ...common,
        summary: 'List tokens (never their secrets), newest first',
        response: { 200: Type.Object({ tokens: Type.Array(TokenView) }) },
      },
    },
    async () => {
      const at = now();
      return { tokens: (await store.listTokens()).map((t) => tokenView(t, at)) };
    },
  );

  app.post(
    '/tokens',
    {
      schema: {
        ...common,
        summary: 'Create a token; the answer holds its secret, once',
        body: CreateBody,
        response: { 201: Created, 400: QueryError },
      },
    },
    async (request, reply) => {
      const at = now();
      const valid = validateTokenRequest(request.body, at);
      if (Array.isArray(valid)) throw errors.invalidRequest(valid);
      const { record, token } = await createToken(store, valid, request.principal.name, at);
      const view = tokenView(record, at);
      audit(request.log, 'token.created', request.principal, {
        token_id: view.id,
        token_name: view.name,
        scope: view.scope,
        namespaces: view.namespaces,
        expires_at: view.expires_at,
      });
      return reply.code(201).send({ ...view, token });
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        ...common,
        summary: 'Revoke a token: refused on every replica within seconds',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: TokenView, 404: QueryError },
      },
    },
    async (request) => {
      const at = now();
      const before = await store.findTokenById(request.params.id);
      if (before === null) throw errors.tokenNotFound(request.params.id);
      const record = (await store.revokeToken(request.params.id, at, request.principal.name))!;
      opts.verifier.forget(record.hash);
      const view = tokenView(record, at);
      if (before.revoked_at === null) {
        audit(request.log, 'token.revoked', request.principal, {
          token_id: view.id,
          token_name: view.name,
          scope: view.scope,
          namespaces: view.namespaces,
        });
      }
      return view;
    },
  );
};
