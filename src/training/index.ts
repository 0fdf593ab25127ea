/** Training: AdamW, schedules, checkpoints, teacher-feature sources and the distillation loop. */
export { AdamW, isNoDecayName, type AdamWOptions, type AdamWState } from './adamw.js';
export { warmupCosine, type LrSchedule, type ScheduleOptions } from './schedule.js';
export {
  saveCheckpoint, loadCheckpoint, checkpointExists, encodeCheckpoint, decodeCheckpoint, assertSameConfig, differingKeys,
  type CheckpointData, type StepRecord, type TensorBlob, type ByteWriter,
} from './checkpoint.js';
export { createTeacherSource, gatherRows, type TeacherSource, type CachedView, type TeacherSourceOptions } from './teacher-source.js';
export { appendStep, truncateLog, readLog } from './train-log.js';
export {
  train, timeTrainSteps, stepsPerEpoch, epochPermutation, stepView, CHECKPOINT_FILE, LOG_FILE, type TimeStepsOptions,
  type TrainConfig, type TrainEvent, type TrainOptions, type TrainResult,
} from './trainer.js';
export { saveLayersModel, saveMethodState, MODEL_FILE, WEIGHTS_FILE, VARIABLES_FILE, type MethodStateFile } from './save.js';
