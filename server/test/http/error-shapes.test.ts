// Each route plugin answers errors in its own shape, whatever the URL looks like: ingest in the
// original's envelope ({meta, data}), everything else plain ({error, code}). And compressed
// bodies go through Fastify's body path: the limit holds on the decoded bytes, and decoding
// stops there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { errors } from '../../src/errors.js';
import {
  get,
  metricsBody,
  overloadIngest,
  postJson,
  send,
  startServer,
  suiteServer,
  type TestServer,
} from '../support/app-server.js';

describe('error shape per route plugin', () => {
  const s = suiteServer({ LENS_API_TOKEN: 'tok' });
  const auth = { authorization: 'Bearer tok' };

  it('ingest answers 400, 401 and unknown paths under /wandb in the envelope, on both prefixes', async () => {
    for (const prefix of ['/api/v1', '/v1']) {
      const bad = await postJson(s.base, `${prefix}/wandb/metrics`, { metrics: 'no' }, auth);
      assert.equal(bad.status, 400, bad.text);
      assert.deepEqual(Object.keys(bad.json).sort(), ['data', 'meta']);
      assert.equal(bad.json.meta.code, 400);
      assert.ok(bad.json.data.errors.length > 0);
      const unauthorized = await postJson(s.base, `${prefix}/wandb/metrics`, metricsBody());
      assert.equal(unauthorized.status, 401);
      assert.equal(unauthorized.json.meta.code, 401);
      assert.equal(unauthorized.headers['www-authenticate'], 'Bearer');
      const missing = await postJson(s.base, `${prefix}/wandb/nothing`, metricsBody(), auth);
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json, {
        meta: { code: 404, message: `route POST ${prefix}/wandb/nothing not found` },
        data: null,
      });
    }
  });

  it('query routes answer plain JSON even when "/wandb/" appears in the URL', async () => {
    // The old handler picked the shape by looking for "/wandb/" in the URL.
    const r = await get(s.base, '/api/v1/workloads/ghost?from=/wandb/', auth);
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json.code, 'NOT_FOUND');
    assert.equal(r.json.workload_uid, 'ghost');
    assert.equal(r.json.meta, undefined);
    const wrong = await get(s.base, '/api/v1/workloads/ghost', { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'UNAUTHORIZED');
    assert.equal(wrong.headers['www-authenticate'], 'Bearer error="invalid_token"');
    const unknown = await get(s.base, '/api/v1/wandbx/metrics', auth);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, 'NOT_FOUND');
  });
});

describe('saturation answer', () => {
  const s = suiteServer({}, { maxQueuedPoints: 10, retryAfterSeconds: 2 });

  it('is the catalogue entry in the envelope, with Retry-After', async () => {
    const refused = (await overloadIngest(s.base, 30)).find((a) => a.status === 503);
    assert.ok(refused !== undefined, 'a full queue must be refused with 503');
    const expected = errors.overloaded(1);
    assert.deepEqual(refused.json, { meta: { code: 503, message: expected.message }, data: null });
    assert.equal(refused.headers['retry-after'], '1');
  });
});

describe('compressed bodies through Fastify', () => {
  let s: TestServer;
  const limit = 8 * 1024 * 1024;
  before(async () => {
    s = await startServer({ LENS_BODY_LIMIT_BYTES: String(limit) });
  });
  after(async () => {
    await s.close();
  });

  it('refuses a gzip bomb with 413 at the decoded limit and stops decoding it', { timeout: 30_000 }, async () => {
    // 1,024 gzip members of 4 MiB of zeros: ~4 MiB on the wire (under the limit), 4 GiB decoded.
    const member = gzipSync(Buffer.alloc(4 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => member));
    assert.ok(bomb.length < limit, `${bomb.length} bytes on the wire`);
    const cpu0 = process.cpuUsage();
    const r = await send(s.base, 'POST', '/api/v1/wandb/metrics', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.meta.message, errors.bodyTooLarge(limit).message);
    await new Promise((res) => setTimeout(res, 2_000));
    // Inflating the whole bomb took ~0.4 s of CPU here; stopping at the limit ~0.06 s.
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    assert.ok(cpuMs < 250, `decoding went on after the 413: ${cpuMs.toFixed(0)} ms of CPU`);
    const ok = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody());
    assert.equal(ok.status, 200, ok.text);
  });

  it('answers 400 for a truncated gzip body, and decodes deflate', async () => {
    const whole = gzipSync(JSON.stringify(metricsBody()));
    const cut = await send(s.base, 'POST', '/api/v1/wandb/metrics', whole.subarray(0, whole.length - 6), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(cut.status, 400, cut.text);
    assert.match(cut.json.meta.message, /could not decompress the gzip body/);
    const { deflateSync } = await import('node:zlib');
    const deflated = await send(s.base, 'POST', '/api/v1/wandb/metrics', deflateSync(JSON.stringify(metricsBody())), {
      'content-type': 'application/json',
      'content-encoding': 'deflate',
    });
    assert.equal(deflated.status, 200, deflated.text);
    assert.equal(deflated.json.data.accepted, 2);
  });
});
