#!/usr/bin/env node
// Bundles the in-browser student check (web/) with esbuild into web/dist/ (git-ignored):
//   index.html, app.js (+ lazily loaded chunks for the WebGL and WASM backends), the tfjs WASM binaries.
// Usage: node scripts/build-web.mjs [--quiet] [--dev]   (--dev: no minification, with source maps)
// Prints the size of every file (raw and gzip) and writes web/dist/sizes.json.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const outDir = join(webDir, 'dist');
const require = createRequire(import.meta.url);

/**
 * Redirects Node-only modules to browser stand-ins:
 * - src/backend/index.(js|ts) -> web/src/backend-shim.ts (WebGL/WASM/CPU instead of tfjs-node)
 * - '@tensorflow/tfjs' -> web/src/tfjs-slim.ts (core + layers + cpu; no converter or tfjs-data)
 */
const browserShims = {
  name: 'tintem-browser-shims',
  setup(build) {
    build.onResolve({ filter: /(^|\/)backend\/index\.(js|ts)$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path).replace(/\.(js|ts)$/, '');
      if (target !== join(root, 'src', 'backend', 'index')) return undefined;
      return { path: join(webDir, 'src', 'backend-shim.ts') };
    });
    build.onResolve({ filter: /^@tensorflow\/tfjs$/ }, (args) =>
      args.importer.endsWith('tfjs-slim.ts') ? undefined : { path: join(webDir, 'src', 'tfjs-slim.ts') });
  },
};

function listFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** Builds web/dist and returns { files: [{ file, bytes, gzip }], ... }. */
export async function buildWeb({ quiet = false, dev = false } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error("esbuild is not installed; run 'npm ci' (it is a devDependency) to build the web page");
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    metafile: true,
    absWorkingDir: root,
    entryPoints: { app: join(webDir, 'src', 'main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari16'],
    outdir: outDir,
    chunkNames: 'chunk-[hash]',
    minify: !dev,
    sourcemap: dev,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    // tfjs mentions these Node modules behind runtime checks; the browser never loads them.
    external: ['node-fetch', 'util', 'crypto', 'fs', 'path', 'worker_threads', 'perf_hooks', 'os'],
    plugins: [browserShims],
    logLevel: quiet ? 'error' : 'warning',
  });
  copyFileSync(join(webDir, 'index.html'), join(outDir, 'index.html'));
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const name of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(wasmDir, name), join(outDir, name));
  // onnxruntime-web (pinned 1.30.0): the WebAssembly build its wasm bundle loads, and the WebGPU (asyncify) one.
  const ortDir = dirname(require.resolve('onnxruntime-web/wasm')); // <package>/dist
  for (const name of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.wasm']) copyFileSync(join(ortDir, name), join(outDir, name));

  const files = listFiles(outDir).sort().map((p) => {
    const bytes = readFileSync(p);
    return { file: relative(outDir, p), bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const sum = (list, key) => list.reduce((s, f) => s + f[key], 0);
  // What a visit loads before any model: index.html, app.js and the chunks it imports statically (CPU backend).
  const outputs = result.metafile.outputs;
  const key = (file) => relative(outDir, resolve(root, file));
  const initial = new Set(['index.html']);
  const visit = (file) => {
    if (initial.has(key(file))) return;
    initial.add(key(file));
    for (const imp of outputs[file]?.imports ?? []) if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(Object.keys(outputs).find((f) => key(f) === 'app.js'));
  const page = files.filter((f) => initial.has(f.file));
  const sizes = {
    files,
    pageFiles: [...initial].sort(),
    pageBytes: sum(page, 'bytes'), pageGzip: sum(page, 'gzip'),
  };
  writeFileSync(join(outDir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const f of files) console.log(`${f.file.padEnd(40)} ${kb(f.bytes).padStart(11)} ${kb(f.gzip).padStart(11)} gzip`);
    console.log(`page before any model (${sizes.pageFiles.join(' + ')}): ${kb(sizes.pageBytes)}, ${kb(sizes.pageGzip)} gzip`);
    console.log(`built into ${relative(root, outDir)}/; the WebGL / WASM chunks and .wasm files load only when that backend is used`);
  }
  return sizes;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  buildWeb({ quiet: args.includes('--quiet'), dev: args.includes('--dev') }).catch((e) => {
    console.error(`build-web: ${e.message.split('\n')[0]}`);
    process.exit(1);
  });
}
