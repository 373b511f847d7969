// Load generator: sends one metric stream to one target with C concurrent clients and prints
// one JSON line of results. Body encoding happens inside the timed run (the generator's CPU
// is part of "load generator included").
//
// usage: main.ts --target ours|ours-gzip|ours-legacy|mlflow --base URL[,URL…] --runs N --metrics M
//        --steps S [--points-per-request 1000] [--concurrency C] [--tag unique-name]
//        [--timeout-ms 60000] [--workload-per-base 0|1] [--namespace NS] [--shared-address 0|1]
// The bearer token for `ours`, when the server requires one, comes from LENS_BENCH_TOKEN (an
// environment variable, so it never shows in a process list).
// Several bases are replicas of one server behind one database: run r goes to base
// r % bases (a Service spreads a job's ranks the same way). With --workload-per-base 1 each
// base gets workloads of its own (tag-b0, tag-b1, …) instead of sharing the tag. On loopback
// each client sends from an address of its own (127.0.0.2, …), as exporters in pods do (http.ts);
// --shared-address 1 sends all from one, as several processes on one host would.
import { performance } from "node:perf_hooks";
import { chunks, chunkPoints, metricNames, type StreamShape } from "./stream.js";
import { LegacyTarget, MlflowTarget, OursTarget, type Target } from "./targets.js";
import { clientAddress, closeSockets, send, useSockets } from "./http.js";

function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === undefined || !key.startsWith("--") || value === undefined) throw new Error(`bad argument near ${key}`);
    out.set(key.slice(2), value);
  }
  return out;
}

function intArg(args: Map<string, string>, name: string, fallback?: number): number {
  const raw = args.get(name);
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

function makeTarget(kind: string, base: string, workloadOf: (run: number) => string, tag: string, namespace?: string): Target {
  const auth = { token: process.env.LENS_BENCH_TOKEN || undefined, namespace };
  if (kind === "ours") return new OursTarget(workloadOf, false, auth);
  if (kind === "ours-gzip") return new OursTarget(workloadOf, true, auth);
  if (kind === "ours-legacy") return new LegacyTarget(workloadOf);
  if (kind === "mlflow") return new MlflowTarget(base, tag);
  throw new Error(`unknown target ${kind}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isStaleSocket(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "ECONNRESET" || code === "EPIPE" || (err instanceof Error && err.message === "socket hang up");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const bases = (args.get("base") ?? "").split(",").filter((b) => b.length > 0);
  if (bases.length === 0) throw new Error("--base is required");
  const baseOf = (run: number): string => bases[run % bases.length]!;
  const shape: StreamShape = {
    runs: intArg(args, "runs"), metrics: intArg(args, "metrics"), steps: intArg(args, "steps"),
    pointsPerRequest: intArg(args, "points-per-request", 1000),
  };
  const concurrency = intArg(args, "concurrency", shape.runs);
  const timeoutMs = intArg(args, "timeout-ms", 60_000);
  const tag = args.get("tag") ?? `bench-${Date.now()}`;
  const perBase = (args.get("workload-per-base") ?? "0") === "1" && bases.length > 1;
  const sharedAddress = (args.get("shared-address") ?? "0") === "1";
  const workloadOf = (run: number): string => (perBase ? `${tag}-b${run % bases.length}` : tag);
  const target = makeTarget(args.get("target") ?? "", bases[0]!, workloadOf, tag, args.get("namespace"));
  useSockets(concurrency);
  await target.setup(shape.runs);

  const work = chunks(shape);
  const names = metricNames(shape.metrics);
  const t0 = Date.now() / 1000;
  const latencies: number[] = [];
  let next = 0;
  let points = 0;
  let retries = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();

  async function client(i: number): Promise<void> {
    for (;;) {
      const chunk = work[next++];
      if (chunk === undefined) return;
      const pts = chunkPoints(shape, chunk, names, t0);
      const enc = target.encode(chunk.run, pts);
      for (let attempt = 0; ; attempt++) {
        const sent = performance.now();
        let reply;
        try {
          const base = baseOf(chunk.run);
          reply = await send(base, enc.path, enc.body, enc.headers, timeoutMs, sharedAddress ? undefined : clientAddress(base, i));
        } catch (err) {
          // A keep-alive socket the server closed while idle (uvicorn does after 5 s): resend
          // once on a fresh socket, as HTTP client libraries do. Both targets are idempotent.
          if (attempt < 2 && isStaleSocket(err)) {
            retries++;
            continue;
          }
          throw err;
        }
        latencies.push(performance.now() - sent);
        // A saturated server may ask us to come back; a real exporter would, so we do too.
        if ((reply.status === 429 || reply.status === 503) && attempt < 20) {
          retries++;
          await sleep(Math.min(2000, 1000 * (reply.retryAfterS ?? 0.05)));
          continue;
        }
        target.check(reply.status, reply.body, pts.length);
        break;
      }
      points += pts.length;
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, i) => client(i)));
  const elapsedS = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  closeSockets();
  latencies.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    target: target.name, tag, bases: bases.length, points, requests: work.length, retries, concurrency, elapsed_s: elapsedS,
    points_per_s: points / elapsedS,
    latency_ms: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN },
    loadgen_cpu_s: (cpu.user + cpu.system) / 1e6,
  }) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`loadgen failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
