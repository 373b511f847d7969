// deploy/grafana/primus-lens-training.json against a live server: every query of the
// dashboard (panels and variables) hits a route that answers 200, every JSONPath finds
// data, the fields of one query have equal lengths (the JSON API datasource requires it)
// and number/time fields really hold numbers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { get, metricsBody, postJson, suiteServer } from '../support/app-server.js';

const dashboardPath = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'),
  'deploy',
  'grafana',
  'primus-lens-training.json',
);

interface JsonApiQuery {
  urlPath: string;
  params: Array<[string, string]>;
  fields: Array<{ jsonPath: string; type?: string; name?: string }>;
}

/** The JSONPath subset the dashboard uses: `$.a`, `$.a[*].b`. */
function evaluate(doc: unknown, path: string): unknown[] {
  const m = /^\$\.(\w+)(?:\[\*\]\.(\w+))?$/.exec(path);
  assert.ok(m, `unsupported JSONPath ${path}`);
  const top = (doc as Record<string, unknown>)[m[1] as string];
  if (m[2] === undefined) return top === undefined ? [] : [top];
  assert.ok(Array.isArray(top), `${path}: ${m[1]} is not an array`);
  return top.map((row) => (row as Record<string, unknown>)[m[2] as string]);
}

describe('Grafana dashboard (deploy/grafana)', () => {
  const s = suiteServer();
  const T0 = Math.floor(Date.now() / 1000) - 600;
  before(async () => {
    const points = Array.from({ length: 30 }, (_, i) => ({
      name: i % 2 === 0 ? 'loss' : 'step',
      value: i,
      step: i,
      timestamp: T0 + i,
    }));
    const r = await postJson(s.base, '/api/v1/wandb/metrics', metricsBody({ workload_uid: 'gd' }, points));
    assert.equal(r.status, 200);
  });

  it('uses the JSON API datasource and answers every query with data', async () => {
    const dash = JSON.parse(readFileSync(dashboardPath, 'utf8')) as {
      templating: { list: Array<{ type: string; query: unknown }> };
      panels: Array<{ title: string; datasource: { type: string }; targets: JsonApiQuery[] }>;
    };
    const queries: Array<[string, JsonApiQuery]> = [];
    for (const v of dash.templating.list)
      if (v.type === 'query') queries.push([`variable ${JSON.stringify(v.query).slice(0, 40)}`, v.query as JsonApiQuery]);
    for (const p of dash.panels) {
      assert.equal(p.datasource.type, 'marcusolsson-json-datasource');
      for (const t of p.targets) queries.push([p.title, t]);
    }
    assert.ok(queries.length >= 7);
    const vars: Record<string, string> = {
      workload_uid: 'gd',
      'metric:csv': 'loss,step',
      __from: String((T0 - 60) * 1000),
      __to: String((T0 + 60) * 1000),
    };
    const fill = (text: string) => text.replace(/\$\{([^}]+)\}/g, (_, name: string) => vars[name] ?? `<unset ${name}>`);
    for (const [title, q] of queries) {
      const qs = q.params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(fill(v))}`).join('&');
      const url = `/api/v1${fill(q.urlPath)}${qs ? `?${qs}` : ''}`;
      const r = await get(s.base, url);
      assert.equal(r.status, 200, `${title}: ${url} → ${r.status} ${r.text}`);
      const columns = q.fields.map((f) => evaluate(r.json, f.jsonPath));
      for (const [i, col] of columns.entries()) {
        assert.ok(col.length > 0, `${title}: ${q.fields[i]?.jsonPath} found nothing in ${r.text.slice(0, 200)}`);
        if (q.fields[i]?.type === 'number' || q.fields[i]?.type === 'time') {
          assert.ok(
            col.every((v) => typeof v === 'number' || v === null),
            `${title}: ${q.fields[i]?.jsonPath} is not numeric`,
          );
        }
      }
      assert.equal(new Set(columns.map((c) => c.length)).size, 1, `${title}: fields differ in length`);
    }
  });
});
