/**
 * SIGINT (Ctrl-C), SIGTERM (docker stop, a scheduler's preemption) and SIGHUP (a closed terminal), handled alike.
 * From process start bin/tintem.js answers them with a message and the exit code (loading the CLI and the native
 * backend takes a second or two; every file tintem writes is whole or absent, so stopping then loses nothing).
 * Commands that stop gracefully take them over here (takeOverSignals): the first signal asks the work to stop
 * after the current step with a checkpoint, a second one quits at once.
 */
import { info } from '../util/log.js';

export const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGHUP: 129, SIGTERM: 143 };
const SIGNALS = Object.keys(SIGNAL_EXIT_CODES) as NodeJS.Signals[];
const ROUTER = Symbol.for('tintem.signals');

/**
 * Sends the three signals to `handler` until the returned release is called. Started through bin/tintem.js, this
 * sets the handler its one listener per signal forwards to (it answers again after release); its listener must stay,
 * since removing it would drop a signal that arrived just before the takeover. Otherwise (the CLI imported
 * directly) it adds plain listeners.
 */
export function takeOverSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const router = (globalThis as unknown as Record<symbol, { handler?: (s: NodeJS.Signals) => void } | undefined>)[ROUTER];
  if (router) {
    router.handler = handler;
    return () => { if (router.handler === handler) router.handler = undefined; };
  }
  for (const s of SIGNALS) process.on(s, handler);
  return () => { for (const s of SIGNALS) process.off(s, handler); };
}

export interface GracefulStop {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** The exit code for the signal that stopped the work (130 when none did). */
  exitCode(): number;
  /** Stops handling the signals. */
  release(): void;
}

/** Takes the three signals over for work that stops after its current step with a checkpoint. */
export function stopAfterStepOnSignals(): GracefulStop {
  const controller = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // After SIGHUP the terminal is gone: writing to it must not turn into an unhandled EIO/EPIPE.
    if (signal === 'SIGHUP') for (const stream of [process.stderr, process.stdout]) stream.on('error', () => {});
    if (controller.signal.aborted) {
      info(`tintem: ${signal} again: stopping now (the last checkpoint is kept)`);
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 130);
    }
    stopSignal = signal;
    info(`\ntintem: ${signal}: stopping after the current step and saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)`);
    controller.abort();
  };
  const release = takeOverSignals(onSignal);
  return { signal: controller.signal, exitCode: () => SIGNAL_EXIT_CODES[stopSignal ?? 'SIGINT']!, release };
}
