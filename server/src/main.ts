// The process: read the environment, open the store, listen, and on SIGTERM/SIGINT drain
// in-flight requests, commit and close the database, exit 0. Everything HTTP lives in app.ts.
import { buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { TlsFileError } from './http/tls.js';
import { openStore, redactUrl, StoreOpenError } from './store/index.js';

/** A shutdown that takes longer than this is stuck; exit non-zero rather than hang a rollout. */
const SHUTDOWN_DEADLINE_MS = 25_000;

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`primus-lens: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  // Background store work (applying the SQLite ingest log) reports through the app's logger
  // once it exists; until then (replay at open) through stderr.
  let report = (err: unknown): void => {
    process.stderr.write(`primus-lens: applying the ingest log failed: ${String(err)}\n`);
  };
  const store = await openStore(config.databaseUrl, {
    pgPoolMax: config.pg.poolMax,
    pgStatementTimeoutMs: config.pg.statementTimeoutMs,
    pgConnectTimeoutMs: config.pg.connectTimeoutMs,
    onBackgroundError: (err) => report(err),
  });
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config, { store });
  } catch (err) {
    await store.close();
    throw err;
  }
  const appLog = app.log;
  report = (err) => appLog.error({ err }, 'applying the ingest log failed; the batches stay in the log');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal; exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining requests, committing, closing the database');
    setTimeout(() => {
      app.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app
      .close()
      .then(() => store.close())
      .then(() => {
        app.log.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    app.log.fatal({ err }, `cannot listen on ${config.host}:${config.port}`);
    await store.close();
    process.exit(1);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const scheme = config.tls !== null ? 'https' : 'http';
  app.log.info(
    { port, database: redactUrl(config.databaseUrl), tls: config.tls !== null },
    `Primus Lens telemetry processor listening on ${scheme}://${shownHost}:${port} (API ${scheme}://${shownHost}:${port}/api/v1)`,
  );
}

main().catch((err: unknown) => {
  // One line that names the setting and the path for what an operator can fix; the stack only
  // for the unexpected (it points at a bug, not at the configuration).
  const known = err instanceof StoreOpenError || err instanceof TlsFileError;
  const text = err instanceof Error ? (known ? err.message : (err.stack ?? err.message)) : String(err);
  process.stderr.write(`primus-lens: failed to start: ${text}\n`);
  process.exit(known ? 2 : 1);
});
