/** Bounds of a student spec: far above anything a CPU trains, low enough that a typo cannot ask for terabytes. */
export const STUDENT_LIMITS = { inputSize: 1024, embedDim: 8192, width: 4096, stages: 16, blocks: 64, depth: 64, multiplier: 64 } as const;

export const positiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
export const intUpTo = (max: number) => (v: unknown): boolean => positiveInt(v) && (v as number) <= max;
