// HTTPS served by the server itself, with a certificate authority this test makes with the
// openssl command: a client that trusts the CA gets answers (and HSTS), one that does not is
// refused by its own TLS check; a renewed certificate is served without a restart; a missing
// file stops the start with one line that names the variable.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { type RequestOptions, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/store/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const MAKE_CA = join(here, '..', '..', '..', 'scripts', 'make-test-ca.sh');

interface Reply {
  status: number;
  headers: Record<string, unknown>;
  issuer: string;
}

function httpsGet(port: number, path: string, ca: Buffer | undefined): Promise<Reply> {
  const opts: RequestOptions = { host: '127.0.0.1', port, path, method: 'GET', agent: false, ...(ca ? { ca } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      const issuer = (res.socket as unknown as { getPeerCertificate(): { issuer: { CN: string } } }).getPeerCertificate().issuer
        .CN;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, issuer }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS (LENS_TLS_CERT_FILE / LENS_TLS_KEY_FILE)', () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lens-tls-'));
    execFileSync(MAKE_CA, [dir, 'first']);
    execFileSync(MAKE_CA, [dir, 'second']);
    const config = loadConfig({
      LENS_DATABASE_URL: join(dir, 'lens.db'),
      LENS_TLS_CERT_FILE: join(dir, 'first.crt'),
      LENS_TLS_KEY_FILE: join(dir, 'first.key'),
      LENS_LOG_LEVEL: 'silent',
    });
    store = await openStore(config.databaseUrl);
    app = await buildApp(config, { store, tlsReloadCheckMs: 100 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    await app?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS to a client that trusts the CA, with HSTS; a client that does not refuses it', async () => {
    const ok = await httpsGet(port, '/readyz', readFileSync(join(dir, 'first-ca.crt')));
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['strict-transport-security']), /max-age=31536000/);
    assert.match(String(ok.headers['content-security-policy']), /upgrade-insecure-requests/);
    await assert.rejects(httpsGet(port, '/readyz', undefined), /self[- ]signed certificate|unable to (get|verify)/i);
  });

  it('serves a renewed certificate without a restart', async () => {
    renameSync(join(dir, 'second.crt'), join(dir, 'first.crt'));
    renameSync(join(dir, 'second.key'), join(dir, 'first.key'));
    const secondCa = readFileSync(join(dir, 'second-ca.crt'));
    const deadline = Date.now() + 5_000;
    let issuer = '';
    while (Date.now() < deadline) {
      try {
        issuer = (await httpsGet(port, '/healthz', secondCa)).issuer;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(issuer, 'Primus Lens test CA second');
  });

  it('a certificate file that cannot be read stops the start, naming the variable', () => {
    const serverRoot = join(here, '..', '..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('src', 'main.ts')], {
      cwd: serverRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        LENS_DATABASE_URL: join(dir, 'start.db'),
        LENS_TLS_CERT_FILE: join(dir, 'missing.crt'),
        LENS_TLS_KEY_FILE: join(dir, 'first.key'),
      },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot read the TLS certificate \(LENS_TLS_CERT_FILE\) .*missing\.crt \(ENOENT\)/);
  });
});
