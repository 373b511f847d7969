// A minimal keep-alive HTTP client: one socket per concurrent client, like a real exporter.
import http from "node:http";

export interface Reply {
  status: number;
  body: string;
  retryAfterS: number | null;
}

let agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function useSockets(count: number): void {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: count });
}

export function closeSockets(): void {
  agent.destroy();
}

/**
 * The source address for client `i` of a load against `baseUrl`: on loopback each client gets an
 * address of its own (127.0.0.2, .3, …), as each exporter in a cluster runs in a pod of its own.
 * Otherwise every client would be one address to the server, and a limit kept per client address
 * (the server's ingest rate limit in open mode) would count eight pods as one.
 */
export function clientAddress(baseUrl: string, i: number): string | undefined {
  return new URL(baseUrl).hostname === "127.0.0.1" ? `127.0.${Math.floor(i / 250)}.${(i % 250) + 2}` : undefined;
}

export function send(baseUrl: string, path: string, body: Buffer, headers: Record<string, string>,
  timeoutMs: number, localAddress?: string): Promise<Reply> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: "POST", agent, timeout: timeoutMs, ...(localAddress === undefined ? {} : { localAddress }),
      headers: { ...headers, "content-length": String(body.length) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const ra = res.headers["retry-after"];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString("utf8"),
          retryAfterS: ra === undefined ? null : Number(ra),
        });
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms on ${path}`)));
    req.on("error", reject);
    req.end(body);
  });
}

export async function postJson(baseUrl: string, path: string, payload: unknown): Promise<unknown> {
  const reply = await send(baseUrl, path, Buffer.from(JSON.stringify(payload)),
    { "content-type": "application/json" }, 60_000);
  if (reply.status !== 200) throw new Error(`${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  return JSON.parse(reply.body) as unknown;
}
