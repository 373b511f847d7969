// The refusal paths over real HTTP: 401 (token), 413 (body limit, also after gzip), 415
// (content type / encoding), 404, and 503 + Retry-After when the write queue is full.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { get, metricsBody, overloadIngest, postJson, send, suiteServer } from '../support/app-server.js';

describe('bearer token (LENS_API_TOKEN)', () => {
  const s = suiteServer({ LENS_API_TOKEN: 's3cret' });

  it('answers 401 on ingest without or with a wrong token, 200 with the right one', async () => {
    const none = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody());
    assert.equal(none.status, 401);
    assert.equal(none.json.meta.code, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const wrong = await postJson(s.base, '/v1/wandb/metrics', metricsBody(), { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    // No token and a wrong token need different fixes, so they must read differently.
    assert.match(none.json.meta.message, /requires an API token/);
    assert.match(wrong.json.meta.message, /^token rejected/);
    assert.doesNotMatch(wrong.json.meta.message, /requires/);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer error="invalid_token"');
    const right = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody(), { authorization: 'Bearer s3cret' });
    assert.equal(right.status, 200, right.text);
  });

  it('protects the query API and leaves ops endpoints open', async () => {
    const q = await get(s.base, '/api/v1/workloads');
    assert.equal(q.status, 401);
    assert.equal(q.json.code, 'UNAUTHORIZED');
    assert.match(q.json.error, /requires an API token/);
    const wrongQ = await get(s.base, '/api/v1/workloads', { authorization: 'Bearer nope' });
    assert.equal(wrongQ.json.code, 'UNAUTHORIZED');
    assert.match(wrongQ.json.error, /^token rejected/);
    assert.equal((await get(s.base, '/api/v1/workloads', { authorization: 'bearer s3cret' })).status, 200);
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json']) {
      assert.equal((await get(s.base, path)).status, 200, path);
    }
  });
});

describe('body limit, content type and encoding', () => {
  const s = suiteServer({ LENS_BODY_LIMIT_BYTES: '4096' });

  const bigBody = () =>
    JSON.stringify(
      metricsBody(
        {},
        Array.from({ length: 200 }, (_, i) => ({ name: `m${i}`, value: i, step: 1 })),
      ),
    );

  it('answers 413 above LENS_BODY_LIMIT_BYTES', async () => {
    const text = bigBody();
    assert.ok(text.length > 4096);
    const r = await postJson(s.base, '/api/v1/wandb/metrics', text);
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.meta.code, 413);
  });

  it('answers 413 when a small gzip body decompresses beyond the limit', async () => {
    const zipped = gzipSync(bigBody());
    assert.ok(zipped.length < 4096);
    const r = await send(s.base, 'POST', '/api/v1/wandb/metrics', zipped, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(r.status, 413, r.text);
  });

  it('answers 400 for a corrupt gzip body', async () => {
    const r = await send(s.base, 'POST', '/api/v1/wandb/metrics', Buffer.from('not gzip at all'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.meta.message, /decompress/);
  });

  it('answers 415 for other content types, unknown encodings and form bodies that are not JSON', async () => {
    const text = await send(s.base, 'POST', '/api/v1/wandb/metrics', '{"workload_uid":"w"}', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415, text.text);
    assert.equal(text.json.meta.code, 415);
    const br = await send(s.base, 'POST', '/api/v1/wandb/metrics', '{}', {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    assert.equal(br.status, 415);
    const form = await send(s.base, 'POST', '/api/v1/wandb/metrics', 'a=1&b=2', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 415);
    const none = await send(s.base, 'POST', '/api/v1/wandb/metrics', '{"a":1}', {});
    assert.equal(none.status, 415, none.text);
  });

  it('answers 404 as JSON for unknown routes', async () => {
    const r = await get(s.base, '/api/v1/nothing-here');
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'NOT_FOUND');
  });
});

describe('write pipeline saturation', () => {
  // A real store with a tiny queue: concurrent bodies overflow it before a commit drains it.
  const s = suiteServer({}, { maxQueuedPoints: 10, retryAfterSeconds: 2 });

  it('answers 503 with Retry-After instead of queueing without bound, and recovers', async () => {
    const answers = await overloadIngest(s.base, 20);
    for (const a of answers) {
      assert.ok(a.status === 200 || a.status === 503, `${a.status} ${a.text}`);
      if (a.status === 503) {
        assert.ok(Number(a.headers['retry-after']) >= 1, 'Retry-After is set');
        assert.equal(a.json.meta.code, 503);
      }
    }
    assert.ok(
      answers.some((a) => a.status === 503),
      'a full queue must be refused with 503',
    );
    const later = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'sat', run_id: 'after' }));
    assert.equal(later.status, 200);
  });
});

describe('retention (LENS_RETENTION_DAYS)', () => {
  const s = suiteServer({ LENS_RETENTION_DAYS: '1' });

  it('deletes points older than the window and keeps recent ones', { timeout: 20_000 }, async () => {
    const now = Date.now() / 1000;
    const r = await postJson(
      s.base,
      '/api/v1/wandb/metrics',
      metricsBody({ workload_uid: 'ret' }, [
        { name: 'loss', value: 1, step: 1, timestamp: now - 3 * 86_400 },
        { name: 'loss', value: 2, step: 2, timestamp: now - 2 * 86_400 },
        { name: 'loss', value: 3, step: 3, timestamp: now - 60 },
      ]),
    );
    assert.equal(r.json.data.accepted, 3);
    const deadline = Date.now() + 15_000;
    let steps: number[] = [];
    while (Date.now() < deadline) {
      const series = await get(s.base, '/api/v1/workloads/ret/metrics/series?name=loss');
      steps = series.json.series?.[0]?.points.map((p: number[]) => p[0]) ?? [];
      if (steps.length === 1) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.deepEqual(steps, [3]);
    assert.ok(s.logs.some((l) => l.msg === 'retention removed old data' && l.points === 2));
  });
});
