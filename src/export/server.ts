/**
 * `tintem serve`: a small static server for the web page (web/dist) and one exported student folder
 * (served under /model/). GET/HEAD only, no directory listings, no paths outside the two roots, loopback by default.
 */
import { existsSync, realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { GiB, isInside, readFileCheckedAsync } from '../util/safe-read.js';
import { METADATA_FILE } from './meta.js';
import { openExport } from './verify.js';

/** Repository root (the same relative path from src/export and dist/export). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_DIST = join(ROOT, 'web', 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};

/** Sent with every response: the page may only talk to this server (images never leave the device). */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Builds web/dist with scripts/build-web.mjs unless it exists (or `force`). */
export async function ensureWebBundle(force = false): Promise<string> {
  if (!force && existsSync(join(WEB_DIST, 'index.html')) && existsSync(join(WEB_DIST, 'app.js'))) return WEB_DIST;
  const script = join(ROOT, 'scripts', 'build-web.mjs');
  if (!existsSync(script)) throw new UserError(`web page not built (${WEB_DIST} missing) and ${script} is not available to build it`);
  try {
    await promisify(execFile)(process.execPath, [script, '--quiet'], { cwd: ROOT });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new UserError(`building the web page failed: ${(err.stderr || err.message).trim().split('\n')[0]}`);
  }
  return WEB_DIST;
}

export interface ServeOptions {
  /** Exported student folder (tintem.json, model.json, weights.bin, gallery.json). */
  modelDir: string;
  /** Built page (default web/dist). */
  webDir?: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Maps a URL path onto a file under `root`, or undefined when it would leave it or names a hidden file. */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try { decoded = decodeURIComponent(urlPath); } catch { return undefined; }
  if (decoded.includes('\0')) return undefined;
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p.startsWith('.') || p.includes('\\'))) return undefined;
  const full = resolve(root, ...parts);
  return full === resolve(root) || full.startsWith(resolve(root) + sep) ? full : undefined;
}

/**
 * The file's real path when it is a regular file whose real path (symlinks resolved) is inside the real `root`;
 * a link from the export folder to /etc is not followed out.
 */
async function realFileInside(root: string, path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  const real = await realpath(path).catch(() => undefined);
  if (!real || !isInside(root, real)) return undefined;
  return real;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * DNS rebinding guard: a page on evil.example that resolves its name to 127.0.0.1 sends `Host: evil.example`.
 * Only Host values naming the bound address (or localhost for a loopback / wildcard bind), with its port, pass.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  if (!header) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(header.trim());
  if (!m) return false;
  const name = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  const headerPort = m[2] === undefined ? 80 : Number(m[2]);
  if (headerPort !== port) return false;
  const bound = boundHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === bound) return true;
  const wildcard = bound === '0.0.0.0' || bound === '::';
  if (name === 'localhost') return wildcard || LOOPBACK.has(bound);
  // A wildcard bind answers on every local address: accept IP literals, never names.
  return wildcard && isIP(name) !== 0;
}

/** Gzipped bodies by path, size and mtime: the bundle and gallery shrink 3-4x, and each is compressed once. */
const gzipCache = new Map<string, Buffer>();
const COMPRESSIBLE = new Set(['.html', '.js', '.json', '.wasm', '.css', '.map', '.svg']);

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string | undefined): Promise<void> {
  const info = path ? await stat(path).catch(() => undefined) : undefined;
  if (!path || !info?.isFile()) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream', Vary: 'Accept-Encoding' };
  // Through the bounded, non-blocking reader: a file swapped for a FIFO or a device after the stat above cannot block.
  const read = () => readFileCheckedAsync(path, { what: 'served file', maxBytes: GiB });
  let body: Buffer | undefined = req.method === 'HEAD' ? undefined : await read();
  if (COMPRESSIBLE.has(extname(path)) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    const key = `${path}:${info.size}:${info.mtimeMs}`;
    let zipped = gzipCache.get(key);
    if (!zipped) {
      zipped = await promisify(gzip)(body ?? await read());
      gzipCache.set(key, zipped);
    }
    headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = zipped.length;
    if (body) body = zipped;
  } else {
    headers['Content-Length'] = info.size;
  }
  res.writeHead(200, headers);
  res.end(body);
}

/** Starts serving; resolves once listening. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  if (!existsSync(join(resolve(opts.modelDir), METADATA_FILE))) throw new UserError(`--model ${opts.modelDir}: no ${METADATA_FILE} there (expected a folder written by 'tintem export')`);
  const modelDir = realpathSync(resolve(opts.modelDir));
  // A tampered export (an edited tintem.json, a replaced model or ONNX file) is refused before the page is served.
  await openExport(modelDir);
  if (!existsSync(join(resolve(opts.webDir ?? WEB_DIST), 'index.html'))) throw new UserError(`${resolve(opts.webDir ?? WEB_DIST)}: no index.html (build the page with 'node scripts/build-web.mjs')`);
  const webDir = realpathSync(resolve(opts.webDir ?? WEB_DIST));
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: expected an integer 0..65535, got ${port}`);

  let boundPort = port;
  const server = createServer((req, res) => {
    if (!hostAllowed(req.headers.host, host, boundPort)) {
      res.writeHead(421, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('this server answers only requests for its own address\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const [root, file] = path === '/' ? [webDir, join(webDir, 'index.html')]
      : path.startsWith('/model/') ? [modelDir, resolveUnder(modelDir, path.slice('/model/'.length))]
        : [webDir, resolveUnder(webDir, path)];
    realFileInside(root, file).then((real) => sendFile(req, res, real)).catch(() => { if (!res.headersSent) res.writeHead(500).end(); else res.destroy(); });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => fail(
      e.code === 'EADDRINUSE' ? new UserError(`--port ${port}: already in use on ${host} (choose another, or 0 for any free port)`)
        : e.code === 'EADDRNOTAVAIL' ? new UserError(`--host ${host}: not an address of this machine`)
          : e));
    server.listen(port, host, () => ok());
  });
  const actual = (server.address() as AddressInfo).port;
  boundPort = actual;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
