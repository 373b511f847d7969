// webPlugin over a real socket: the shell at / and at deep links, assets with ETag and the
// precompressed siblings the build writes (served by @fastify/static), nothing outside assets/
// reachable, nothing else registered, and a clear 503 when not built.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { webPlugin } from '../../src/web/plugin.js';

const INDEX = '<!doctype html><title>lens</title><div id=app></div>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(4_000))});\n`;

/**
 * A revalidation as a browser sends it. fetch() cannot stand in: with If-None-Match it adds
 * Cache-Control: no-cache, which asks for the full answer (and @fastify/send honours it).
 */
function revalidate(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

async function serve(root: string): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify({ logger: false });
  await app.register(webPlugin, { root });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, base: `http://127.0.0.1:${port}` };
}

describe('webPlugin', () => {
  let dir: string;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lens-web-plugin-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app.js'), APP_JS);
    // What scripts/build-web.mjs writes next to every asset of 1 KiB or more.
    writeFileSync(join(dir, 'assets', 'app.js.gz'), gzipSync(APP_JS));
    writeFileSync(join(dir, 'assets', 'app.js.br'), brotliCompressSync(APP_JS));
    writeFileSync(join(dir, 'assets', '.hidden.js'), 'hidden');
    writeFileSync(join(dir, 'secret.txt'), 'outside assets');
    ({ app, base } = await serve(dir));
  });

  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache and an ETag', async () => {
    const response = await fetch(`${base}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.ok(response.headers.get('etag'));
    assert.equal(await response.text(), INDEX);
  });

  it('answers deep links with the same shell (SPA fallback)', async () => {
    for (const path of ['/workloads', '/workloads/pod%3Atrainer-0?metric=loss', '/workloads/a%2Fb/c']) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), INDEX, path);
    }
  });

  it('serves assets gzip-compressed when asked, and 304 on a matching ETag', async () => {
    const response = await fetch(`${base}/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-encoding'), 'gzip');
    assert.match(response.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await response.text(), APP_JS); // fetch decompresses: the bytes round-trip
    const etag = response.headers.get('etag') ?? '';
    // Revalidated under the same Accept-Encoding: each encoding has its own ETag (RFC 9110 8.8.3).
    assert.equal(await revalidate(`${base}/assets/app.js`, { 'accept-encoding': 'gzip', 'if-none-match': etag }), 304);
    const plain = await fetch(`${base}/assets/app.js`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('content-encoding'), null);
    assert.equal(await plain.text(), APP_JS);
  });

  it('prefers the brotli sibling, revalidates it by its own ETag, and answers HEAD', async () => {
    const br = await fetch(`${base}/assets/app.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(br.status, 200);
    assert.equal(br.headers.get('content-encoding'), 'br');
    assert.match(br.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(br.headers.get('cache-control'), 'no-cache');
    assert.equal(br.headers.get('x-content-type-options'), 'nosniff');
    assert.match(br.headers.get('vary') ?? '', /accept-encoding/i);
    assert.ok(br.headers.get('last-modified'));
    assert.equal(await br.text(), APP_JS);
    const etag = br.headers.get('etag') ?? '';
    const gz = await fetch(`${base}/assets/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.notEqual(gz.headers.get('etag'), etag, 'each encoding is its own representation');
    await gz.arrayBuffer();
    assert.equal(await revalidate(`${base}/assets/app.js`, { 'accept-encoding': 'br', 'if-none-match': etag }), 304);
    assert.equal(await revalidate(`${base}/assets/app.js`, { 'accept-encoding': 'br', 'if-none-match': 'W/"other"' }), 200);
    const head = await fetch(`${base}/assets/app.js`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(APP_JS)));
  });

  it('never serves a file outside assets/, and registers no other route', async () => {
    for (const path of [
      '/assets/..%2Fsecret.txt',
      '/assets/%2E%2E%2Fsecret.txt',
      '/assets/missing.js',
      '/secret.txt',
      '/assets/.hidden.js',
      '/assets/sub/app.js',
      '/api/v1/workloads',
      '/anything',
    ]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /outside assets/, path);
    }
  });

  it('answers 503 with instructions when the dashboard is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lens-web-empty-'));
    const unbuilt = await serve(empty);
    try {
      const response = await fetch(`${unbuilt.base}/workloads/x`);
      assert.equal(response.status, 503);
      assert.match(await response.text(), /npm run build/);
    } finally {
      await unbuilt.app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
