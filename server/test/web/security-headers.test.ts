// Security headers (@fastify/helmet) on the dashboard and the API over plain HTTP: a
// Content-Security-Policy that allows no inline script or style attribute and no framing,
// nosniff, no referrer, frame denial; no HSTS or upgrade-insecure-requests (they would send
// browsers to a port without TLS). The dashboard itself has no inline script to need one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { get, startServer, type TestServer } from '../support/app-server.js';
import { ensureWebBuilt } from './helpers/web-build.js';

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((p) => p[0])
      .map(([name, ...values]) => [name as string, values]),
  );
}

describe('security headers', () => {
  let s: TestServer;
  before(async () => {
    await ensureWebBuilt();
    s = await startServer({});
  });
  after(async () => s?.close());

  it('the dashboard, its assets and the API carry them', async () => {
    for (const path of ['/', '/workloads/x', '/assets/app.js', '/api/v1/workloads', '/healthz']) {
      const r = await get(s.base, path);
      assert.equal(r.status, 200, path);
      const csp = directives(String(r.headers['content-security-policy']));
      assert.deepEqual(csp.get('script-src'), ["'self'"], path);
      assert.deepEqual(csp.get('script-src-attr'), ["'none'"], path);
      assert.deepEqual(csp.get('style-src'), ["'self'"], path);
      assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], path);
      assert.deepEqual(csp.get('object-src'), ["'none'"], path);
      assert.ok(!csp.has('upgrade-insecure-requests'), path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
      assert.equal(r.headers['x-frame-options'], 'DENY', path);
      assert.equal(r.headers['strict-transport-security'], undefined, path);
    }
  });

  it('the dashboard shell has no inline script, no inline handler and no inline style', async () => {
    const html = (await get(s.base, '/')).text;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs ?? '', /\bsrc="\/assets\//);
      assert.equal((body ?? '').trim(), '');
    }
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /\sstyle\s*=|<style/i);
    assert.doesNotMatch(html, /javascript:/i);
  });
});
