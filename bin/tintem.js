#!/usr/bin/env node
// Runs the compiled CLI; falls back to the TypeScript sources (via tsx) in a checkout that was not built.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

// Signals before the CLI has loaded (tsx alone takes a moment) get a message too; src/cli/signals.ts
// takes this handler over when a command installs its own.
const EARLY_EXIT = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 };
const onEarlySignal = (signal) => {
  for (const stream of [process.stderr, process.stdout]) stream.on('error', () => {});
  process.stderr.write(`\ntintem: ${signal}: stopped (nothing is half-written; run the same command again to continue)\n`);
  process.exit(EARLY_EXIT[signal] ?? 130);
};
for (const s of Object.keys(EARLY_EXIT)) process.on(s, onEarlySignal);
globalThis[Symbol.for('tintem.earlySignalHandler')] = onEarlySignal;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
if (existsSync(compiled) && !process.env.TINTEM_FROM_SOURCE) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
