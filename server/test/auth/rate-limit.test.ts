// The per-token ingest rate limit: past LENS_INGEST_RATE_LIMIT requests in a second a token
// gets 429 with Retry-After (in the ingest envelope) before its body is read; another token keeps
// its own budget; reads are not limited; in open mode the budget is per client address. That an
// exporter's data still arrives in full after it backs off is tests/e2e/test_auth.py's job.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Answer, get, postJson, startServer } from '../support/app-server.js';
import { bearer, makeToken, nsMetrics } from './helpers.js';

const LIMIT = 5;

async function burst(n: number, send: () => Promise<Answer>): Promise<Answer[]> {
  return Promise.all(Array.from({ length: n }, send));
}

describe('ingest rate limit', () => {
  it('per token: 429 with Retry-After past the limit, other tokens and reads unaffected', async () => {
    const boot = `boot-${randomBytes(12).toString('hex')}`;
    const s = await startServer({ LENS_API_TOKEN: boot, LENS_INGEST_RATE_LIMIT: String(LIMIT) });
    try {
      const a = await makeToken(s.base, boot, { name: 'noisy', scope: 'ingest', namespaces: ['team-a'] });
      const b = await makeToken(s.base, boot, { name: 'quiet', scope: 'ingest', namespaces: ['team-b'] });
      const answers = await burst(3 * LIMIT, () =>
        postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('noisy-job', 'team-a'), bearer(a.token)),
      );
      const limited = answers.filter((r) => r.status === 429);
      assert.ok(limited.length >= LIMIT, `statuses ${answers.map((r) => r.status).join(',')}`);
      assert.ok(answers.every((r) => r.status === 200 || r.status === 429));
      const first = limited[0]!;
      assert.equal(first.headers['retry-after'], '1');
      assert.deepEqual(first.json, {
        meta: { code: 429, message: `more than ${LIMIT} ingest requests per second from this token (or address); retry later` },
        data: null,
      });

      const other = await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('quiet-job', 'team-b'), bearer(b.token));
      assert.equal(other.status, 200, 'another token has its own budget');
      const reads = await burst(3 * LIMIT, () => get(s.base, '/api/v1/workloads', bearer(boot)));
      assert.ok(
        reads.every((r) => r.status === 200),
        'reads are not limited',
      );
      // The window is one second: after Retry-After the token writes again.
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal(
        (await postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('noisy-job', 'team-a'), bearer(a.token))).status,
        200,
      );
      const scrape = await get(s.base, '/metrics');
      assert.match(scrape.text, /lens_http_requests_total\{method="POST",route="\/api\/v1\/wandb\/metrics",status="429"\} \d+/);
    } finally {
      await s.close();
    }
  });

  it('open mode: per client address', async () => {
    const s = await startServer({ LENS_INGEST_RATE_LIMIT: String(LIMIT) });
    try {
      const answers = await burst(3 * LIMIT, () => postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('anon-job', null)));
      assert.ok(answers.filter((r) => r.status === 429).length >= LIMIT, answers.map((r) => r.status).join(','));
    } finally {
      await s.close();
    }
  });

  it('LENS_INGEST_RATE_LIMIT=0 turns it off', async () => {
    const s = await startServer({ LENS_INGEST_RATE_LIMIT: '0' });
    try {
      const answers = await burst(30, () => postJson(s.base, '/api/v1/wandb/metrics', nsMetrics('anon-job', null)));
      assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
    } finally {
      await s.close();
    }
  });
});
