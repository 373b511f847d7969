// The authorization matrix, generated from the route table (src/auth/route-policy.ts): every
// route under every prefix × {no token, wrong, revoked, expired, ingest, read, admin} ×
// {a workload of the token's own namespace, one of another namespace} answers what the policy
// says, and no denied answer carries the other namespace's data. A route added without a
// policy stops the server from starting (last test), so it cannot escape this matrix.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { API_PREFIXES } from '../../src/app.js';
import { WorkloadNamespaces } from '../../src/auth/namespaces.js';
import { expandPolicies, ROUTE_POLICIES, type RoutePolicy } from '../../src/auth/route-policy.js';
import { grants } from '../../src/auth/scopes.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { registerAuth } from '../../src/http/auth.js';
import { openStore } from '../../src/store/index.js';
import { type Answer, BACKENDS, postJson, send, startServer, type TestServer } from '../support/app-server.js';
import { recordSecret } from '../support/suite-logs.js';
import { bearer, type MadeToken, makeToken, nsDetection, nsMetrics, revoke } from './helpers.js';

type Who = 'none' | 'wrong' | 'revoked' | 'expired' | 'ingest' | 'read' | 'admin';
type Side = 'own' | 'other';
const WHO: readonly Who[] = ['none', 'wrong', 'revoked', 'expired', 'ingest', 'read', 'admin'];
const SIDES: readonly Side[] = ['own', 'other'];

const OWN = { uid: 'wl-a', namespace: 'team-a' };
const OTHER = { uid: 'wl-b', namespace: 'team-b' };
/** Strings only the other namespace's data holds. */
const OTHER_MARKERS = ['b_secret_metric', 'b-secret-dataset', 'wl-b-run-name'];

/** What a request should get: one exact status, or "any status but 401/403" for public routes. */
type Expected = number | 'open';

function expected(policy: RoutePolicy, who: Who, side: Side): Expected {
  if (policy.access === 'public') return 'open';
  if (who === 'none' || who === 'wrong' || who === 'revoked' || who === 'expired') return 401;
  const scope = who;
  if (policy.access !== 'any' && !grants(scope, policy.access)) return 403;
  const created = policy.method === 'POST' && policy.path === '/tokens' ? 201 : 200;
  if (scope === 'admin' || side === 'own') return created;
  if (policy.workload === 'param') return 404;
  if (policy.workload === 'body') return 403;
  return created; // the list (filtered, checked below), whoami
}

describe('authorization matrix', { timeout: 240_000 }, () => {
  for (const backend of BACKENDS) {
    describe(backend, () => {
      let s: TestServer;
      const boot = `boot-${randomBytes(12).toString('hex')}`;
      const tokens = {} as Record<Who, string>;
      let bystander: MadeToken;

      before(async () => {
        s = await startServer({ LENS_API_TOKEN: boot }, {}, backend);
        const made = async (body: Record<string, unknown>): Promise<MadeToken> => makeToken(s.base, boot, body);
        tokens.ingest = (await made({ name: 'trainer-a', scope: 'ingest', namespaces: [OWN.namespace] })).token;
        tokens.read = (await made({ name: 'grafana-a', scope: 'read', namespaces: [OWN.namespace] })).token;
        tokens.admin = (await made({ name: 'ops-admin', scope: 'admin' })).token;
        const revoked = await made({ name: 'revoked-a', scope: 'read', namespaces: [OWN.namespace] });
        assert.equal((await revoke(s.base, boot, revoked.id)).status, 200);
        tokens.revoked = revoked.token;
        const expiresAt = Date.now() / 1000 + 1.5;
        tokens.expired = (
          await made({ name: 'expired-a', scope: 'read', namespaces: [OWN.namespace], expires_at: expiresAt })
        ).token;
        tokens.wrong = `plens_${randomBytes(32).toString('base64url')}`;
        tokens.none = '';
        bystander = await made({ name: 'bystander', scope: 'ingest', namespaces: [OWN.namespace] });

        // Each namespace's data, written through the admin token; the other side's carries markers.
        const seed = async (path: string, body: unknown): Promise<void> => {
          const r = await postJson(s.base, path, body, bearer(tokens.admin));
          assert.equal(r.status, 200, r.text);
        };
        await seed('/api/v1/wandb/metrics', nsMetrics(OWN.uid, OWN.namespace, [{ name: 'loss', value: 0.5, step: 1 }]));
        await seed('/api/v1/wandb/detection', nsDetection(OWN.uid, OWN.namespace));
        await seed(
          '/api/v1/wandb/metrics',
          nsMetrics(OTHER.uid, OTHER.namespace, [
            { name: 'loss', value: 0.4, step: 1 },
            { name: 'b_secret_metric', value: 7, step: 1 },
          ]),
        );
        await seed('/api/v1/wandb/detection', nsDetection(OTHER.uid, OTHER.namespace, { dataset: '/data/b-secret-dataset' }));
        while (Date.now() / 1000 <= expiresAt + 0.05) await new Promise((r) => setTimeout(r, 50));
      });
      after(async () => s?.close());

      it('every route of the table is registered, under every API prefix, and the OpenAPI document says which need a token', async () => {
        const missing = expandPolicies(API_PREFIXES).filter(({ policy, url }) => !s.app.hasRoute({ method: policy.method, url }));
        assert.deepEqual(
          missing.map(({ policy, url }) => `${policy.method} ${url}`),
          [],
        );
        const doc = (await send(s.base, 'GET', '/api/v1/openapi.json')).json as {
          paths: Record<string, Record<string, { security?: unknown }>>;
        };
        for (const { policy, url } of expandPolicies(['/api/v1'])) {
          if (policy.undocumented === true) continue;
          const op = doc.paths[url.replace(/:(\w+)/g, '{$1}').replace('*', '{*}')]?.[policy.method.toLowerCase()];
          assert.ok(op !== undefined, `${policy.method} ${url} is not in the OpenAPI document`);
          assert.deepEqual(op.security, policy.access === 'public' ? [] : [{ bearer: [] }], `${policy.method} ${url}`);
        }
      });

      it('every route × token × namespace answers as its policy says, and denials carry no other-namespace data', async () => {
        const failures: string[] = [];
        let requests = 0;
        for (const { policy, url } of expandPolicies(API_PREFIXES)) {
          for (const who of WHO) {
            for (const side of SIDES) {
              const answer = await call(s.base, policy, url, who, side, tokens, bystander.id);
              requests++;
              const want = expected(policy, who, side);
              const label = `${policy.method} ${url} as ${who} on ${side}: ${answer.status}`;
              if (want === 'open' ? answer.status === 401 || answer.status === 403 : answer.status !== want) {
                failures.push(`${label}, expected ${want}: ${answer.text.slice(0, 200)}`);
              }
              const seesOther = who === 'admin' && side === 'other';
              if (!seesOther && OTHER_MARKERS.some((m) => answer.text.includes(m)))
                failures.push(`${label}: the body holds the other namespace's data`);
              if (policy.workload === 'list' && answer.status === 200 && who !== 'admin' && answer.text.includes(OTHER.uid)) {
                failures.push(`${label}: the list shows the other namespace's workload`);
              }
              if (answer.status === 401 && answer.headers['www-authenticate'] === undefined)
                failures.push(`${label}: 401 without WWW-Authenticate`);
            }
          }
        }
        assert.equal(requests, expandPolicies(API_PREFIXES).length * WHO.length * SIDES.length);
        assert.deepEqual(failures, []);
        // Nobody but an admin revoked anything along the way.
        const list = await send(s.base, 'GET', '/api/v1/tokens', undefined, bearer(boot));
        const seen = (list.json.tokens as Array<{ id: string; state: string }>).find((t) => t.id === bystander.id);
        assert.equal(seen?.state, 'active');
      });
    });
  }

  it('a route without a policy in the table stops the server from starting', async () => {
    const store = await openStore(':memory:');
    const app = Fastify({ logger: false });
    try {
      const verifier = new TokenVerifier(store, { bootstrapToken: null, log: app.log });
      registerAuth(app, {
        verifier,
        namespaces: new WorkloadNamespaces(store),
        apiPrefixes: API_PREFIXES,
        registry: new Registry(),
        ingestLimiter: null,
      });
      app.get('/api/v1/workloads', async () => ({}));
      assert.throws(() => app.get('/api/v1/forgotten', async () => ({})), /GET \/api\/v1\/forgotten has no access policy/);
      assert.ok(ROUTE_POLICIES.length > 20);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

async function call(
  base: string,
  policy: RoutePolicy,
  url: string,
  who: Who,
  side: Side,
  tokens: Record<Who, string>,
  bystanderId: string,
): Promise<Answer> {
  const w = side === 'own' ? OWN : OTHER;
  const headers = tokens[who] === '' ? {} : bearer(tokens[who]);
  let path = url
    .replace(':uid', encodeURIComponent(w.uid))
    .replace('/workloads/*', `/workloads/${w.uid}`)
    .replace('/assets/*', '/assets/app.js');
  if (path.endsWith(':id')) {
    // An admin revokes a token made for this one request; anyone else aims at the bystander.
    let id = bystanderId;
    if (who === 'admin') id = (await makeToken(base, tokens.admin, { name: 'victim', scope: 'read', namespaces: ['team-a'] })).id;
    path = path.replace(':id', id);
  }
  if (path.endsWith('/metrics/series')) path += '?name=loss';
  if (policy.method === 'GET' || policy.method === 'DELETE') return send(base, policy.method, path, undefined, headers);
  const body = bodyFor(policy.path, w);
  const answer = await postJson(base, path, body, headers);
  if (answer.status === 201 && typeof answer.json?.token === 'string') recordSecret(answer.json.token as string);
  return answer;
}

function bodyFor(path: string, w: { uid: string; namespace: string }): unknown {
  switch (path) {
    case '/wandb/metrics':
      return nsMetrics(w.uid, w.namespace, [{ name: 'loss', value: 0.3, step: 2 }]);
    case '/wandb/logs':
      return {
        ...nsMetrics(w.uid, w.namespace),
        metrics: undefined,
        logs: [{ step: 3, timestamp: 1_704_067_201, data: { loss: 0.2 } }],
      };
    case '/wandb/detection':
      return nsDetection(w.uid, w.namespace);
    case '/wandb/batch':
      return { metrics: nsMetrics(w.uid, w.namespace, [{ name: 'loss', value: 0.1, step: 4 }]) };
    case '/workloads/:uid/framework-detection':
      return { framework: 'megatron', note: 'matrix' };
    case '/tokens':
      return { name: 'made-in-matrix', scope: 'read', namespaces: ['team-a'] };
    default:
      throw new Error(`no body for POST ${path}: add one to the matrix`);
  }
}
