/**
 * Training progress on stderr: a cli-progress bar (epoch, step, loss terms, images/s, ETA) on a terminal,
 * one line per epoch otherwise (logs, CI), nothing when disabled.
 */
import cliProgress from 'cli-progress';
import { info } from '../util/log.js';

export interface TrainProgress {
  start(totalSteps: number, doneSteps: number): void;
  step(done: number, epoch: number, epochs: number, terms: Record<string, number>, imagesPerSec: number): void;
  epochDone(epoch: number, epochs: number, means: Record<string, number>, imagesPerSec: number): void;
  stop(): void;
}

export function formatTerms(terms: Record<string, number>): string {
  return Object.entries(terms).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(' ');
}

export function createProgress(enabled: boolean): TrainProgress {
  if (!enabled) return { start() {}, step() {}, epochDone() {}, stop() {} };
  if (!process.stderr.isTTY) {
    return {
      start() {}, step() {}, stop() {},
      epochDone(epoch, epochs, means, ips) {
        info(`epoch ${epoch}/${epochs}  ${formatTerms(means)}  ${ips.toFixed(0)} img/s`);
      },
    };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'epoch {epoch}/{epochs} |{bar}| {value}/{total} | {terms} | {ips} img/s | ETA {eta_formatted}',
    barsize: 24,
    hideCursor: null,
    etaBuffer: 50,
  });
  return {
    start(total, done) {
      bar.start(total, done, { epoch: '-', epochs: '-', terms: '', ips: '-' });
    },
    step(done, epoch, epochs, terms, ips) {
      bar.update(done, { epoch, epochs, terms: formatTerms(terms), ips: ips.toFixed(0) });
    },
    epochDone(epoch, epochs, means) {
      bar.update({ epoch, epochs, terms: formatTerms(means) });
    },
    stop() {
      bar.stop();
    },
  };
}

export interface StageProgress {
  /** `n` more items done. */
  tick(n?: number): void;
  stop(): void;
}

/**
 * Progress of one long stage outside training (a student's pass over an evaluation set, the robustness cells):
 * a bar with rate and ETA on a terminal; nothing otherwise (the stage's own summary line is the log). Bars only
 * for stages of at least `minTotal` items, so short steps do not flicker.
 */
export function createStageProgress(label: string, total: number, unit: string, opts: { enabled?: boolean; minTotal?: number } = {}): StageProgress {
  const enabled = (opts.enabled ?? true) && Boolean(process.stderr.isTTY) && total >= (opts.minTotal ?? 1);
  if (!enabled) return { tick() {}, stop() {} };
  const started = performance.now();
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, hideCursor: null, etaBuffer: 50, barsize: 24,
    format: `${label} |{bar}| {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
  });
  bar.start(total, 0, { rate: '-' });
  let done = 0;
  return {
    tick(n = 1) {
      done += n;
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '-' });
    },
    stop() { bar.stop(); },
  };
}
