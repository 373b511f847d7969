// `npm run -s tokens -- <command>` (or `node dist/src/tokens.js <command>` in the image): API
// tokens, straight in the database named by LENS_DATABASE_URL, so the first admin token can be
// made before any token exists. Safe while servers run: they see a new or revoked token within
// seconds. The same rules as the admin API (auth/token-admin.ts).
//
//   create --name NAME --scope ingest|read|admin [--namespace NS]... [--expires 30d|2030-01-31T00:00:00Z] [--json]
//   list [--json]
//   revoke ID
//
// `create` prints the token alone on stdout (for `TOKEN=$(…)`) and what it is on stderr; the
// token is shown this once and stored only as a hash. Exit status 0, 1 (failed) or 2 (usage).
import { userInfo } from 'node:os';
import { createToken, parseExpiry, type TokenView, tokenView, validateTokenRequest } from './auth/token-admin.js';
import { ConfigError, loadConfig } from './config.js';
import { openStore, redactUrl, type Store } from './store/index.js';

const USAGE = `usage: npm run -s tokens -- <command>   (the database is LENS_DATABASE_URL)
  create --name NAME --scope ingest|read|admin [--namespace NS]... [--expires 30d|12h|2030-01-31T00:00:00Z] [--json]
  list [--json]
  revoke ID`;

class UsageError extends Error {}

function fail(code: number, message: string): never {
  process.stderr.write(`primus-lens tokens: ${message}\n`);
  process.exit(code);
}

interface Parsed {
  command: string;
  positional: string[];
  options: Map<string, string[]>;
  json: boolean;
}

function parse(argv: string[]): Parsed {
  const [command = '', ...rest] = argv;
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--json') {
      json = true;
    } else if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const value = inline ?? rest[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
      options.set(key, [...(options.get(key) ?? []), value]);
    } else {
      positional.push(arg);
    }
  }
  return { command, positional, options, json };
}

const OPTION_OF_FIELD: Record<string, string> = {
  name: '--name',
  scope: '--scope',
  namespaces: '--namespace',
  expires_at: '--expires',
};

/** "/namespaces/2" → "--namespace": the command line's name for an API field. */
function optionOf(path: string): string {
  const field = path.split('/')[1] ?? '';
  return OPTION_OF_FIELD[field] ?? field;
}

/** "30d", "12h", "45m" from now, or what parseExpiry takes (epoch seconds, ISO 8601). */
function expiryFrom(text: string, nowS: number): unknown {
  const relative = /^(\d+)\s*([dhm])$/i.exec(text.trim());
  if (relative === null) return parseExpiry(text) ?? text;
  const unit = { d: 86_400, h: 3_600, m: 60 }[(relative[2] as string).toLowerCase() as 'd' | 'h' | 'm'];
  return nowS + Number(relative[1]) * unit;
}

const when = (s: number | null): string => (s === null ? '-' : new Date(s * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));

function describe(v: TokenView): string {
  return (
    `${v.id}  ${v.name}  scope=${v.scope}  namespaces=${v.namespaces.length > 0 ? v.namespaces.join(',') : '(all)'}  ` +
    `${v.state}  created=${when(v.created_at)} by ${v.created_by ?? '-'}  expires=${when(v.expires_at)}  last_used=${when(v.last_used_at)}` +
    (v.revoked_at !== null ? `  revoked=${when(v.revoked_at)} by ${v.revoked_by ?? '-'}` : '')
  );
}

function actor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (a container running as an arbitrary uid) */
  }
  return `cli:${user}`;
}

async function run(store: Store, p: Parsed): Promise<void> {
  const nowS = Date.now() / 1000;
  const one = (key: string): string | undefined => {
    const values = p.options.get(key);
    if (values !== undefined && values.length > 1) throw new UsageError(`--${key} given twice`);
    return values?.[0];
  };
  if (p.command === 'create') {
    for (const key of p.options.keys()) {
      if (!['name', 'scope', 'namespace', 'expires'].includes(key)) throw new UsageError(`unknown option --${key}`);
    }
    const expires = one('expires');
    const valid = validateTokenRequest(
      {
        name: one('name'),
        scope: one('scope'),
        namespaces: (p.options.get('namespace') ?? [])
          .flatMap((v) => v.split(','))
          .map((v) => v.trim())
          .filter((v) => v !== ''),
        expires_at: expires === undefined ? undefined : expiryFrom(expires, nowS),
      },
      nowS,
    );
    if (Array.isArray(valid)) throw new UsageError(valid.map((e) => `${optionOf(e.path)} ${e.message}`).join('; '));
    const { record, token } = await createToken(store, valid, actor(), nowS);
    const view = tokenView(record, nowS);
    if (p.json) {
      process.stdout.write(`${JSON.stringify({ ...view, token })}\n`);
    } else {
      process.stdout.write(`${token}\n`);
      process.stderr.write(`created ${describe(view)}\nThe token is shown only now; it is stored as a hash.\n`);
    }
    process.stderr.write(
      `audit: token.created by ${actor()}: id=${view.id} name=${JSON.stringify(view.name)} scope=${view.scope}\n`,
    );
    return;
  }
  if (p.command === 'list') {
    const views = (await store.listTokens()).map((t) => tokenView(t, nowS));
    if (p.json) process.stdout.write(`${JSON.stringify({ tokens: views })}\n`);
    else process.stdout.write(views.length === 0 ? 'no tokens\n' : `${views.map(describe).join('\n')}\n`);
    return;
  }
  if (p.command === 'revoke') {
    const [id] = p.positional;
    if (id === undefined || p.positional.length !== 1) throw new UsageError('revoke takes one token id (see `list`)');
    const before = await store.findTokenById(id);
    if (before === null) fail(1, `no token with id ${id}`);
    const view = tokenView((await store.revokeToken(id, nowS, actor()))!, nowS);
    process.stdout.write(`${p.json ? JSON.stringify(view) : `revoked ${describe(view)}`}\n`);
    if (before.revoked_at === null)
      process.stderr.write(`audit: token.revoked by ${actor()}: id=${view.id} name=${JSON.stringify(view.name)}\n`);
    return;
  }
  throw new UsageError(p.command === '' ? 'no command' : `unknown command ${p.command}`);
}

async function main(): Promise<void> {
  let parsed: Parsed;
  let config: ReturnType<typeof loadConfig>;
  try {
    parsed = parse(process.argv.slice(2));
    if (parsed.command === '' || parsed.command === 'help' || parsed.options.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof UsageError) fail(2, `${err.message}\n${USAGE}`);
    if (err instanceof ConfigError) fail(2, err.message);
    throw err;
  }
  let store: Store;
  try {
    store = await openStore(config.databaseUrl, {
      pgPoolMax: 2,
      pgStatementTimeoutMs: config.pg.statementTimeoutMs,
      pgConnectTimeoutMs: config.pg.connectTimeoutMs,
    });
  } catch (err) {
    fail(1, `cannot open ${redactUrl(config.databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    await run(store, parsed);
  } catch (err) {
    await store.close();
    if (err instanceof UsageError) fail(2, `${err.message}\n${USAGE}`);
    fail(1, err instanceof Error ? err.message : String(err));
  }
  await store.close();
}

main().catch((err: unknown) => fail(1, err instanceof Error ? (err.stack ?? err.message) : String(err)));
