// Where the built dashboard lives and which asset names may be served. The serving itself is
// @fastify/static (ETag, Last-Modified, 304, the precompressed .br/.gz siblings that
// scripts/build-web.mjs writes next to each asset).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The default dashboard folder, <server package>/dist/web, found from this module's location
 * so it works both from src/ under tsx and from dist/src/ after tsc.
 */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'dist', 'web');
}

/** True once the dashboard has been built into `root`. */
export function isBuilt(root: string): boolean {
  return existsSync(join(root, 'index.html')) && existsSync(join(root, 'assets'));
}

/** Flat names only: no path separators, no dot-files, so a request can never leave assets/. */
export function isSafeAssetName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) && !name.includes('..');
}
