// Pure parts of the HTTP layer: the lenient JSON parser, configuration, field-error paths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { toFieldErrors } from '../../src/errors.js';
import { defaultThresholds } from '../../src/health/thresholds.js';
import { JsonSyntaxError, parseLenientJson, quoteNonFiniteTokens } from '../../src/http/lenient-json.js';
import { parseMetricList } from '../../src/query/grafana.js';

describe('parseLenientJson', () => {
  it('parses strict JSON unchanged', () => {
    assert.deepEqual(parseLenientJson('{"a":[1,"NaN",null]}'), { a: [1, 'NaN', null] });
  });

  it('quotes bare NaN/Infinity/-Infinity tokens in value positions only', () => {
    const parsed = parseLenientJson('{"v":NaN,"w":[Infinity, -Infinity],"s":"NaN Infinity","k":{"NaN":-Infinity}}');
    assert.deepEqual(parsed, { v: 'NaN', w: ['Infinity', '-Infinity'], s: 'NaN Infinity', k: { NaN: '-Infinity' } });
  });

  it('leaves escaped quotes inside strings alone', () => {
    assert.deepEqual(parseLenientJson('{"a":"say \\"NaN\\"","b":NaN}'), { a: 'say "NaN"', b: 'NaN' });
  });

  it('rejects look-alikes and broken JSON with a syntax error', () => {
    for (const text of ['{"a":NaNa}', '{"a":nan}', '{"a":Inf}', '{"a":1', 'NaN NaN', '{"a":-NaN}']) {
      assert.throws(() => parseLenientJson(text), JsonSyntaxError, text);
    }
    assert.equal(quoteNonFiniteTokens('{"a":1}'), null);
  });

  it('turns overflowing numbers into Infinity the way JSON.parse does', () => {
    assert.deepEqual(parseLenientJson('[1e400,-1e400]'), [Infinity, -Infinity]);
  });
});

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const { health, ...c } = loadConfig({});
    assert.deepEqual(health, { enabled: true, thresholds: defaultThresholds(), webhookUrl: null });
    assert.deepEqual(c, {
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: './data/lens.db',
      pg: { poolMax: 10, statementTimeoutMs: 30_000, connectTimeoutMs: 5_000 },
      apiToken: null,
      retentionDays: null,
      logLevel: 'info',
      bodyLimitBytes: 16 * 1024 * 1024,
      tls: null,
      ingestRateLimit: 2_000,
    });
  });

  it('reads every variable', () => {
    const { health: _health, ...c } = loadConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      LENS_DATABASE_URL: ':memory:',
      LENS_API_TOKEN: 't',
      LENS_RETENTION_DAYS: '7',
      LENS_LOG_LEVEL: 'DEBUG',
      LENS_BODY_LIMIT_BYTES: '2048',
      LENS_PG_POOL_MAX: '4',
      LENS_PG_STATEMENT_TIMEOUT_MS: '0',
      LENS_PG_CONNECT_TIMEOUT_MS: '1500',
      LENS_TLS_CERT_FILE: '/tls/tls.crt',
      LENS_TLS_KEY_FILE: '/tls/tls.key',
      LENS_INGEST_RATE_LIMIT: '50',
    });
    assert.deepEqual(c, {
      port: 9000,
      host: '127.0.0.1',
      databaseUrl: ':memory:',
      pg: { poolMax: 4, statementTimeoutMs: 0, connectTimeoutMs: 1500 },
      apiToken: 't',
      retentionDays: 7,
      logLevel: 'debug',
      bodyLimitBytes: 2048,
      tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
      ingestRateLimit: 50,
    });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({
        PORT: '70000',
        LENS_RETENTION_DAYS: '-1',
        LENS_BODY_LIMIT_BYTES: 'big',
        LENS_PG_POOL_MAX: '0',
        LENS_TLS_CERT_FILE: '/tls/tls.crt',
        LENS_INGEST_RATE_LIMIT: '-1',
      });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 6);
      assert.ok(
        err.problems.some((p) => p.includes('LENS_TLS_CERT_FILE and LENS_TLS_KEY_FILE go together')),
        err.message,
      );
    }
  });
});

describe('toFieldErrors', () => {
  it('expands required properties and collapses union branches into one message', () => {
    const errs = toFieldErrors([
      { instancePath: '/metrics/0', keyword: 'required', params: { requiredProperties: ['name', 'value'] }, message: 'x' },
      { instancePath: '/metrics/1/value', keyword: 'type', params: { type: 'number' }, message: 'must be number' },
      { instancePath: '/metrics/1/value', keyword: 'enum', params: { allowedValues: ['NaN'] }, message: 'must be equal' },
      { instancePath: '/metrics/1/value', keyword: 'anyOf', params: {}, message: 'must match a schema in anyOf' },
    ]);
    assert.deepEqual(errs, [
      { path: '/metrics/0/name', message: 'is required' },
      { path: '/metrics/0/value', message: 'is required' },
      { path: '/metrics/1/value', message: 'must be number or "NaN"' },
    ]);
  });
});

describe('parseMetricList (Grafana metrics=)', () => {
  it('understands comma lists, Grafana multi-values and all', () => {
    assert.deepEqual(parseMetricList('loss, acc'), ['loss', 'acc']);
    assert.deepEqual(parseMetricList('{loss,train/acc}'), ['loss', 'train/acc']);
    assert.equal(parseMetricList('all'), undefined);
    assert.equal(parseMetricList(''), undefined);
    assert.equal(parseMetricList(undefined), undefined);
  });
});
