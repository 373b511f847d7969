// HTTPS served by the process itself (LENS_TLS_CERT_FILE / LENS_TLS_KEY_FILE). The files are
// read at start, and read again when either changes (checked every RELOAD_CHECK_MS), so a
// certificate renewed by cert-manager or a Secret update is served without a restart; a new
// pair that does not load is logged and the old one stays in use.
import { readFileSync, statSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { FastifyBaseLogger } from 'fastify';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

export const RELOAD_CHECK_MS = 30_000;

export class TlsFileError extends Error {}

export function readTlsPair(files: TlsFiles): TlsPair {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TlsFileError(`cannot read the TLS ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  return { cert: read(files.certFile, 'certificate (LENS_TLS_CERT_FILE)'), key: read(files.keyFile, 'key (LENS_TLS_KEY_FILE)') };
}

function stamp(files: TlsFiles): string {
  try {
    return [files.certFile, files.keyFile]
      .map((f) => {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      })
      .join('|');
  } catch {
    return 'missing';
  }
}

/** Starts watching the pair; returns the function that stops it. */
export function watchTlsFiles(
  server: HttpsServer,
  files: TlsFiles,
  log: FastifyBaseLogger,
  everyMs = RELOAD_CHECK_MS,
): () => void {
  let last = stamp(files);
  const timer = setInterval(() => {
    const now = stamp(files);
    if (now === last || now === 'missing') return;
    try {
      server.setSecureContext(readTlsPair(files));
      last = now;
      log.info({ cert: files.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      log.error(
        { err: err instanceof Error ? err.message : String(err), cert: files.certFile },
        'TLS certificate changed but does not load; still serving the previous one',
      );
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
