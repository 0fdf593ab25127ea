#!/usr/bin/env node
// Runs the compiled CLI; falls back to the TypeScript sources (via tsx) in a checkout that was not built.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// Signals before the CLI has loaded (tsx alone takes a moment) get a message too. This one listener per signal
// stays for the whole process: a command that stops gracefully takes the signals over by setting `handler`
// (src/cli/signals.ts), never by removing it. Removing the last listener closes Node's signal watcher, and a
// signal that arrived just before (while the main thread was busy, e.g. loading the native backend) is then
// dropped unhandled: the run went on to the end and exited 0.
// Node builds process.stdout/stderr lazily from the type of fd 1/2 when first touched; touch them now, while they
// are what the user gave us: the native backend points fd 2 at /dev/null for a moment while it loads
// (src/backend/index.ts), and a stream first built then is a file stream (no isTTY, no progress bar) for good.
void process.stdout.isTTY;
void process.stderr.isTTY;

const EARLY_EXIT = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 };
const signals = { handler: undefined };
const onSignal = (signal) => {
  if (signals.handler) { signals.handler(signal); return; }
  for (const stream of [process.stderr, process.stdout]) stream.on('error', () => {});
  process.stderr.write(`\ntintem: ${signal}: stopped (nothing is half-written; run the same command again to continue)\n`);
  process.exit(EARLY_EXIT[signal] ?? 130);
};
for (const s of Object.keys(EARLY_EXIT)) process.on(s, onSignal);
globalThis[Symbol.for('tintem.signals')] = signals;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
if (existsSync(compiled) && !process.env.TINTEM_FROM_SOURCE) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
