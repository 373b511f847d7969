// Serves the dashboard (issue 5) at `/`, its bundle under `/assets/`, and index.html for deep
// links such as /workloads/<uid>?metric=loss, so a pasted URL opens the right page.
// Registers only these GET routes; the API lives under /api/v1 and /v1 and is not touched.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { defaultWebRoot, loadWebBundle, type StaticFile } from "./static-files.js";

export interface WebPluginOptions {
  /** folder with index.html and assets/ (default: <server>/dist/web, written by scripts/build-web.mjs) */
  root?: string;
}

const NOT_BUILT = "The Primus Lens dashboard is not built. Run `npm run build` in server/ (or `make build`). "
  + "The API is available under /api/v1.";

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  const root = opts.root ?? defaultWebRoot();
  const bundle = loadWebBundle(root);
  if (!bundle) app.log.warn({ root }, "dashboard bundle missing; / answers 503 until it is built");

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!bundle) return reply.code(503).type("text/plain; charset=utf-8").send(NOT_BUILT);
    // The shell must always be revalidated, so a redeploy is picked up on the next load.
    return sendFile(request, reply, bundle.index, "no-cache");
  };

  app.get("/", sendIndex);
  app.get("/workloads", sendIndex);
  app.get("/workloads/*", sendIndex);

  app.get<{ Params: { file: string } }>("/assets/:file", async (request, reply) => {
    const file = bundle?.assets.get(request.params.file);
    if (!file) return reply.code(404).type("application/json").send({ error: "not found", path: request.url });
    // Asset names are not content-hashed, so they are revalidated by ETag (a 304 costs ~nothing).
    return sendFile(request, reply, file, "no-cache");
  });
};

function sendFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile, cacheControl: string) {
  reply.header("cache-control", cacheControl).header("etag", file.etag).header("vary", "accept-encoding")
    .header("x-content-type-options", "nosniff");
  if (request.headers["if-none-match"] === file.etag) return reply.code(304).send();
  reply.type(file.contentType);
  const acceptsGzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
  if (file.gzip && acceptsGzip) return reply.header("content-encoding", "gzip").send(file.gzip);
  return reply.send(file.body);
}
