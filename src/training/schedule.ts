/**
 * Learning-rate schedule: linear warm-up from ~0 to the base rate, then cosine decay to a floor.
 * Steps are 0-based: lr(0) is the rate of the first update.
 */
export interface ScheduleOptions {
  baseLr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

export type LrSchedule = (step: number) => number;

export function warmupCosine(opts: ScheduleOptions): LrSchedule {
  const { baseLr, minLr, totalSteps } = opts;
  const warmup = Math.max(0, Math.min(opts.warmupSteps, totalSteps));
  return (step: number) => {
    // (step + 1) so the first update already moves the weights; warm-up ends exactly at baseLr.
    if (step < warmup) return (baseLr * (step + 1)) / warmup;
    const decaySteps = totalSteps - warmup;
    if (decaySteps <= 1) return baseLr;
    const progress = Math.min(1, (step - warmup) / (decaySteps - 1));
    return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
  };
}
