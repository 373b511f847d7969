// Serves the dashboard at `/`, its bundle under `/assets/`, and index.html for deep links such
// as /workloads/<uid>?metric=loss, so a pasted URL opens the right page. Files are served by
// @fastify/static: ETag and Last-Modified revalidation, and the .br/.gz siblings the build
// writes (preCompressed) for clients that accept them. Registers only these GET routes; the
// API lives under /api/v1 and /v1 and is not touched.
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { defaultWebRoot, isBuilt, isSafeAssetName } from './static-files.js';

export interface WebPluginOptions {
  /** folder with index.html and assets/ (default: <server>/dist/web, written by scripts/build-web.mjs) */
  root?: string;
}

const NOT_BUILT =
  'The Primus Lens dashboard is not built. Run `npm run build` in server/ (or `make build`). ' +
  'The API is available under /api/v1.';

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  const root = opts.root ?? defaultWebRoot();
  const shellRoutes = ['/', '/workloads', '/workloads/*'];
  if (!isBuilt(root)) {
    app.log.warn({ root }, 'dashboard bundle missing; / answers 503 until it is built');
    for (const path of shellRoutes) {
      app.get(path, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
    }
    return;
  }

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    preCompressed: true,
    // Asset names are not content-hashed, so every load revalidates (a 304 costs ~nothing), and
    // the shell likewise, so a redeploy is picked up on the next load.
    cacheControl: false,
    setHeaders: (reply) => {
      reply.header('cache-control', 'no-cache');
      reply.header('x-content-type-options', 'nosniff');
      // The answer depends on Accept-Encoding (br, gzip or plain), so shared caches must key on it.
      reply.header('vary', 'accept-encoding');
    },
    dotfiles: 'ignore',
    index: false,
    // "/assets/<name>" with a flat, safe name; anything else (sub-paths, encoded slashes) is a 404.
    allowedPath: (pathname) => isSafeAssetName(pathname.replace(/^\//, '')),
  });

  // The mime table behind @fastify/static still says application/javascript; RFC 9239 made
  // text/javascript the one type for scripts, which is what this server has always sent.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/javascript')) {
      reply.header('content-type', 'text/javascript; charset=utf-8');
    }
    done(null, payload);
  });

  const sendShell = (reply: FastifyReply) => reply.sendFile('index.html', root);
  for (const path of shellRoutes) app.get(path, async (_request, reply) => sendShell(reply));
};
