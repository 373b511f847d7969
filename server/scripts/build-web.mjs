// Build the dashboard: type-check server/web with its own DOM tsconfig, then bundle it
// with esbuild into dist/web/ (index.html + assets/app.js + assets/app.css, uPlot's CSS included).
// Everything is served by our own server: no CDN, because clusters are often offline.
//
//   node scripts/build-web.mjs              type-check + minified bundle
//   node scripts/build-web.mjs --no-check   bundle only (the type check runs in `npm run build`)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';

const serverRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const webSrc = join(serverRoot, 'web');
const outDir = join(serverRoot, 'dist', 'web');

if (!process.argv.includes('--no-check')) {
  const tsc = join(serverRoot, 'node_modules', '.bin', 'tsc');
  try {
    execFileSync(tsc, ['-p', join(webSrc, 'tsconfig.json')], { stdio: 'inherit', cwd: serverRoot });
  } catch {
    console.error('build-web: type check of server/web failed');
    process.exit(1);
  }
}

// Only our two outputs live here; dist/web/src (tsc output of modules shared with tests) is left alone.
rmSync(join(outDir, 'assets'), { recursive: true, force: true });
mkdirSync(join(outDir, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(webSrc, 'src', 'main.ts') },
  outdir: join(outDir, 'assets'),
  bundle: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(webSrc, 'index.html'), join(outDir, 'index.html'));

// Precompressed siblings (app.js.br, app.js.gz, …), served by @fastify/static's preCompressed
// to clients that accept them: compressed once here at the highest levels, never per request.
// Files under 1 KiB are left alone: compressing them costs more than it saves.
const assetsDir = join(outDir, 'assets');
for (const name of readdirSync(assetsDir)) {
  const body = readFileSync(join(assetsDir, name));
  if (body.length < 1024) continue;
  writeFileSync(join(assetsDir, `${name}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(
    join(assetsDir, `${name}.br`),
    brotliCompressSync(body, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  );
}

const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith('.map'))
  .map(([file, info]) => `${file.split('/').pop()} ${(info.bytes / 1024).toFixed(1)} KiB`);
console.log(`build-web: ${outDir} (${sizes.join(', ')})`);
