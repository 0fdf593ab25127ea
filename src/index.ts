/** tintem library API: the main entry points of each pipeline stage. */
export { initBackend, backendInfo, tf } from './backend/index.js';
export type { BackendInfo, BackendName } from './backend/index.js';
export { UserError } from './util/errors.js';
export { Rng } from './util/random.js';

export { loadDataset, loadMnist, loadFashionMnist, loadImageFolder, loadNaturalPhotos, makeNoiseImages, augmentImages, resizeImages, subsetImages } from './data/index.js';
export type { ImageSet } from './data/types.js';
export type { ViewSpec } from './data/index.js';

export { createTeacher, listBuiltinTeachers, forwardTeacher } from './teachers/index.js';
export type { Teacher, TeacherOutput } from './teachers/index.js';
export { embedWithCache } from './cache/index.js';
export type { CachedEmbeddings } from './cache/index.js';

export { createStudent, defaultStudentSpec, defaultVitSpec } from './students/index.js';
export type { Student, StudentSpec } from './students/index.js';
export { createMethod, createTintem, methodNames, prefitHead, pcaInitHead } from './methods/index.js';
export type { DistillMethod } from './methods/types.js';

export { baseConfigSchema } from './config/index.js';
export { loadDistillConfig, parseDistillConfig } from './training/config.js';
export type { DistillConfig } from './config/index.js';
export { runDistill } from './experiment/distill.js';
export { readRunSummary, verifyRunFolder, loadRunStudent, RUN_FILES, type RunSummary } from './training/run-folder.js';
export { train } from './training/trainer.js';

export { evaluateFaithfulness, formatScorecard, knnClassify, trainLinearProbe, linearCka, mutualKnn, auroc, fprAtTpr, aupr, embeddings } from './evaluation/index.js';
export type { Embeddings, Scorecard } from './evaluation/index.js';
export { corruptImage, corruptImageSet, corruptionNames, evaluateRobustness } from './robustness/index.js';

export { renderHtmlReport, writeReport } from './report/index.js';
export type { ReportData } from './report/types.js';
export { exportStudent, loadStudent, embedWithStudent } from './export/index.js';
export type { LoadedStudent } from './export/index.js';

export { loadRun } from './experiment/load-run.js';
export { evaluateRuns } from './experiment/evaluate.js';
export { runDemo } from './experiment/demo.js';
