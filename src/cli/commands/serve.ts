import type { Command } from 'commander';
import { UserError } from '../../util/errors.js';
import { warn } from '../../util/log.js';
import { takeOverSignals } from '../signals.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the in-browser student check for an exported model (images never leave the browser)')
    .requiredOption('--model <exportDir>', "folder written by 'tintem export'")
    .option('--port <n>', 'port (0 = any free port)', '8080')
    .option('--host <address>', 'address to bind (loopback by default; anything else exposes the page to your network)', '127.0.0.1')
    .option('--rebuild', 'rebuild the web bundle (web/dist) first', false)
    .action(async (o: { model: string; port: string; host: string; rebuild: boolean }) => {
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: expected an integer 0..65535, got '${o.port}'`);
      const { ensureWebBundle, startServer } = await import('../../export/server.js');
      const webDir = await ensureWebBundle(o.rebuild);
      const server = await startServer({ modelDir: o.model, webDir, host: o.host, port });
      if (!['127.0.0.1', '::1', 'localhost'].includes(o.host)) warn(`serving on ${o.host}, reachable from other machines`);
      process.stdout.write(`tintem: serving ${o.model} at ${server.url}  (Ctrl-C to stop)\n`);
      await new Promise<void>((done) => {
        let watchdog: NodeJS.Timeout | undefined;
        // The first signal (or a lost parent) closes the server; after that bin/tintem.js answers a second one.
        const stop = () => { release(); clearInterval(watchdog); void server.close().then(done); };
        const release = takeOverSignals(stop);
        // Started by a wrapper (npm run web) that is killed without passing the signal on: its child must not
        // stay behind listening, so stop when the parent process is gone (we are re-parented).
        const parent = process.ppid;
        watchdog = setInterval(() => { if (process.ppid !== parent) stop(); }, 500);
        watchdog.unref();
      });
    });
}
