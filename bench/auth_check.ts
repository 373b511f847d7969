// The token check alone, in the server's own code, on a real SQLite store: what the `token` side
// of the auth phase does per ingest request beyond the `open` side (bearer parsing, SHA-256, the
// cached token record, expiry and scope, the namespace test of the body), timed over many calls
// in alternating blocks against what both sides do (the namespace claim, cached after the first
// request of a workload). Prints one JSON line: microseconds of CPU per request for each.
//
// usage: tsx bench/auth_check.ts [--calls 200000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { WorkloadNamespaces } from "../server/src/auth/namespaces.js";
import { grants } from "../server/src/auth/scopes.js";
import { createToken, validateTokenRequest } from "../server/src/auth/token-admin.js";
import { OPEN_PRINCIPAL, TokenVerifier, type Principal } from "../server/src/auth/token-verifier.js";
import { openStore } from "../server/src/store/index.js";

const calls = Number(process.argv[process.argv.indexOf("--calls") + 1]) || 200_000;
const BLOCK = 5_000;
const noop = (): void => undefined;
/** The verifier logs only at start here; bench/ has no node_modules of its own for pino. */
const silent = { info: noop, warn: noop, debug: noop, error: noop, fatal: noop, trace: noop, silent: noop, level: "silent",
  child: () => silent } as unknown as FastifyBaseLogger;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "lens-auth-check-"));
  const store = await openStore(join(dir, "lens.db"));
  try {
    const now = Date.now() / 1000;
    const request = validateTokenRequest({ name: "bench", scope: "ingest", namespaces: ["bench"] }, now);
    if (Array.isArray(request)) throw new Error(JSON.stringify(request));
    const { token } = await createToken(store, request, "bench", now);
    const header = `Bearer ${token}`;
    const verifier = new TokenVerifier(store, { bootstrapToken: null, log: silent });
    await verifier.start();
    const namespaces = new WorkloadNamespaces(store);
    const workload = "bench-workload";
    await namespaces.authorizeWrite(OPEN_PRINCIPAL, workload, "bench", now);

    // What both sides do per request, and what only the token side adds to it.
    const both = async (p: Principal): Promise<void> => {
      await namespaces.authorizeWrite(p, workload, "bench", now);
    };
    const tokenSide = async (): Promise<void> => {
      const p = await verifier.verify(header);
      if ("reason" in p || !grants(p.scope, "ingest")) throw new Error("the token was refused");
      await both(p);
    };
    const cpu = { open: 0, token: 0 };
    let done = 0;
    while (done < calls) {
      for (const side of (done / BLOCK) % 2 === 0 ? (["open", "token"] as const) : (["token", "open"] as const)) {
        const start = process.cpuUsage();
        for (let i = 0; i < BLOCK; i++) {
          if (side === "open") await both(OPEN_PRINCIPAL);
          else await tokenSide();
        }
        const used = process.cpuUsage(start);
        cpu[side] += used.user + used.system;
      }
      done += BLOCK;
    }
    verifier.close();
    process.stdout.write(`${JSON.stringify({
      calls: done,
      open_us_per_request: cpu.open / done,
      token_us_per_request: cpu.token / done,
      added_us_per_request: (cpu.token - cpu.open) / done,
    })}\n`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`auth_check failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
