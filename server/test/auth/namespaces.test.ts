// Namespaces on the write side and for reports that name none (the documented decision):
// - an ingest token for namespace A cannot create or change a workload of namespace B, also
//   when its report claims A for B's workload, and is not told B's name;
// - a report without a namespace is filed under the token's namespace when the token has exactly
//   one, refused (403, naming POD_NAMESPACE) when it has several, and stored without a namespace
//   by a token for every namespace; such a workload is seen only by tokens for every namespace
//   until a report names its namespace;
// - a workload is filed once: the first report that names a namespace decides.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { get, postJson, suiteServer } from '../support/app-server.js';
import { bearer, type MadeToken, makeToken, nsDetection, nsMetrics, workloadUids } from './helpers.js';

describe('namespaces on ingest, and reports without one', () => {
  const boot = `boot-${randomBytes(12).toString('hex')}`;
  const s = suiteServer({ LENS_API_TOKEN: boot });
  let ingestA: MadeToken;
  let ingestAB: MadeToken;
  let ingestAll: MadeToken;
  let readA: MadeToken;
  let readAll: MadeToken;
  before(async () => {
    ingestA = await makeToken(s.base, boot, { name: 'trainer-a', scope: 'ingest', namespaces: ['team-a'] });
    ingestAB = await makeToken(s.base, boot, { name: 'trainer-ab', scope: 'ingest', namespaces: ['team-a', 'team-b'] });
    ingestAll = await makeToken(s.base, boot, { name: 'trainer-all', scope: 'ingest' });
    readA = await makeToken(s.base, boot, { name: 'grafana-a', scope: 'read', namespaces: ['team-a'] });
    readAll = await makeToken(s.base, boot, { name: 'grafana-all', scope: 'read' });
  });

  const ingest = (token: MadeToken, body: unknown, path = '/api/v1/wandb/metrics') =>
    postJson(s.base, path, body, bearer(token.token));

  it('an ingest token for A cannot write a workload of B, whatever namespace its report claims', async () => {
    assert.equal((await ingest(ingestAll, nsMetrics('job-b', 'team-b'))).status, 200);
    const asB = await ingest(ingestA, nsMetrics('job-b', 'team-b', [{ name: 'loss', value: 99, step: 9 }]));
    assert.deepEqual(
      [asB.status, asB.json.meta.message],
      [403, 'token "trainer-a" may write to namespace team-a, not to "team-b": use an ingest token for "team-b"'],
    );
    for (const path of ['/api/v1/wandb/metrics', '/api/v1/wandb/detection', '/v1/wandb/metrics']) {
      const body = path.endsWith('detection')
        ? nsDetection('job-b', 'team-a')
        : nsMetrics('job-b', 'team-a', [{ name: 'loss', value: 99, step: 9 }]);
      const claimsA = await ingest(ingestA, body, path);
      assert.equal(claimsA.status, 403, `${path}: ${claimsA.text}`);
      assert.equal(
        claimsA.json.meta.message,
        'workload job-b belongs to another namespace; token "trainer-a" cannot write to it',
      );
    }
    const batch = await ingest(
      ingestA,
      { metrics: nsMetrics('job-b', 'team-a', [{ name: 'loss', value: 99, step: 9 }]) },
      '/api/v1/wandb/batch',
    );
    assert.equal(batch.status, 403, batch.text);
    const series = await get(s.base, '/api/v1/workloads/job-b/metrics/series?name=loss', bearer(readAll.token));
    assert.deepEqual(
      series.json.series[0].points.map((p: unknown[]) => p[0]),
      [1],
      'nothing of the refused reports was stored',
    );
  });

  it('a one-namespace token files a report without a namespace under its namespace', async () => {
    assert.equal((await ingest(ingestA, nsMetrics('job-no-ns', null))).status, 200);
    assert.ok((await workloadUids(s.base, readA.token)).includes('job-no-ns'));
    const w = await get(s.base, '/api/v1/workloads/job-no-ns', bearer(readA.token));
    assert.deepEqual([w.status, w.json.namespace], [200, 'team-a']);
  });

  it('a token for several namespaces refuses a report without one, and says how to fix it', async () => {
    const r = await ingest(ingestAB, nsMetrics('job-which', null));
    assert.deepEqual(
      [r.status, r.json.meta.message],
      [
        403,
        'the report names no namespace and token "trainer-ab" writes to several (team-a, team-b): set POD_NAMESPACE in the job',
      ],
    );
    assert.equal((await ingest(ingestAB, nsMetrics('job-which', 'team-b'))).status, 200);
  });

  it('a token for every namespace stores it without one: only tokens for every namespace see it, until a report names one', async () => {
    assert.equal((await ingest(ingestAll, nsMetrics('job-outside-k8s', null))).status, 200);
    assert.equal((await get(s.base, '/api/v1/workloads/job-outside-k8s', bearer(readA.token))).status, 404);
    assert.ok(!(await workloadUids(s.base, readA.token)).includes('job-outside-k8s'));
    const seen = await get(s.base, '/api/v1/workloads/job-outside-k8s', bearer(readAll.token));
    assert.deepEqual([seen.status, seen.json.namespace], [200, null]);
    // The first report that names a namespace files it; later ones cannot move it.
    assert.equal((await ingest(ingestAll, nsMetrics('job-outside-k8s', 'team-a'))).status, 200);
    assert.equal((await get(s.base, '/api/v1/workloads/job-outside-k8s', bearer(readA.token))).status, 200);
    assert.equal(
      (await ingest(ingestAll, nsMetrics('job-outside-k8s', 'team-b'))).status,
      200,
      'a token for every namespace may still write',
    );
    assert.equal((await get(s.base, '/api/v1/workloads/job-outside-k8s', bearer(readAll.token))).json.namespace, 'team-a');
  });

  it("a read token for A: the list and its total hold only A, and B's workloads are 404 like unknown ones", async () => {
    assert.equal((await ingest(ingestA, nsMetrics('job-a2', 'team-a'))).status, 200);
    const list = await get(s.base, '/api/v1/workloads?limit=1', bearer(readA.token));
    const all = await get(s.base, '/api/v1/workloads?limit=1000', bearer(readAll.token));
    const inA = (all.json.workloads as Array<{ namespace: string | null }>).filter((w) => w.namespace === 'team-a').length;
    assert.ok(all.json.total > inA && inA >= 2, JSON.stringify(all.json));
    assert.equal(list.json.total, inA, "the total counts only the token's namespaces");
    const hidden = await get(s.base, '/api/v1/workloads/job-b', bearer(readA.token));
    const unknown = await get(s.base, '/api/v1/workloads/no-such-job', bearer(readA.token));
    assert.equal(hidden.status, 404);
    assert.deepEqual(
      { ...hidden.json, workload_uid: 'x' },
      { ...unknown.json, workload_uid: 'x' },
      'hidden and unknown answer alike',
    );
  });
});
