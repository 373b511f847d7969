// Loads the built dashboard (dist/web) into memory once: it is ~100 KiB, so every request is a
// map lookup, with a precomputed ETag and gzip body instead of disk reads per request.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  contentType: string;
}

export interface WebBundle {
  index: StaticFile;
  assets: Map<string, StaticFile>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Compressing tiny files costs more than it saves. */
const GZIP_MIN_BYTES = 1_024;

/**
 * The server package root (the folder holding package.json), found from this module's location
 * so it works both from src/ under tsx and from dist/src/ after tsc.
 */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "web");
    dir = dirname(dir);
  }
  return join(process.cwd(), "dist", "web");
}

/** Returns null when the dashboard has not been built (index.html missing). */
export function loadWebBundle(root: string): WebBundle | null {
  const indexPath = join(root, "index.html");
  if (!existsSync(indexPath)) return null;
  const assets = new Map<string, StaticFile>();
  const assetDir = join(root, "assets");
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      const path = join(assetDir, name);
      if (isSafeAssetName(name) && statSync(path).isFile()) assets.set(name, toStaticFile(readFileSync(path), name));
    }
  }
  return { index: toStaticFile(readFileSync(indexPath), "index.html"), assets };
}

/** Flat names only: no path separators, no dot-files, so a request can never leave assets/. */
export function isSafeAssetName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) && !name.includes("..");
}

function toStaticFile(body: Buffer, name: string): StaticFile {
  const etag = `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`;
  return {
    body,
    gzip: body.length >= GZIP_MIN_BYTES ? gzipSync(body) : null,
    etag,
    contentType: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
  };
}
