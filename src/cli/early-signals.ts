/**
 * Signal handlers from the first moment of the CLI, before any command has installed its own (loading the
 * native backend alone takes a second or two). Without them SIGINT, SIGTERM or SIGHUP then ends the process
 * with no message. Every file tintem writes is written whole or not at all (temp + rename), so stopping here
 * loses nothing; the message says so. bin/tintem.js installs the same handler before it loads anything and
 * leaves it here; commands that stop gracefully (distill, demo, serve) call `releaseEarlySignals` when they
 * install their own handlers.
 */
const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 };
const SIGNALS = Object.keys(EXIT_CODES) as NodeJS.Signals[];
const KEY = Symbol.for('tintem.earlySignalHandler');

function onEarlySignal(signal: NodeJS.Signals): void {
  // After SIGHUP the terminal may be gone: a failed write must not become an unhandled error.
  for (const stream of [process.stderr, process.stdout]) stream.on('error', () => {});
  process.stderr.write(`\ntintem: ${signal}: stopped (nothing is half-written; run the same command again to continue)\n`);
  process.exit(EXIT_CODES[signal] ?? 130);
}

const holder = globalThis as unknown as Record<symbol, ((s: NodeJS.Signals) => void) | undefined>;
const handler = holder[KEY] ?? onEarlySignal;
if (!holder[KEY]) for (const s of SIGNALS) process.on(s, handler);
holder[KEY] = handler;

/** Hands the three signals over to a command's own handlers. */
export function releaseEarlySignals(): void {
  for (const s of SIGNALS) process.off(s, handler);
}
