/** Student export (TF.js LayersModel + tintem.json), loading and embedding, galleries and the web server. */
export { exportStudent, tintemVersion, type ExportOptions } from './exporter.js';
export { loadStudent, embedWithStudent, loadLayersModelDir, folderReader } from './load.js';
export { openStudent, wrapStudent, type LoadedStudent, type EmbedOptions, type ReadFile } from './open.js';
export { buildGallery, writeGallery, readGallery, DEFAULT_OOD_K, type GalleryOptions } from './gallery.js';
export { parseGallery, GALLERY_FILE, type Gallery } from './gallery-format.js';
export { indexGallery, matchGallery, type GalleryMatch } from './match.js';
export { knnScore, nearestNeighbours, normalizeRows, quantile, type Neighbour } from './knn.js';
export { bytesToUnit, toStudentInput } from './preprocess.js';
export { readImageFile, embedImageFiles, MAX_IMAGE_PIXELS } from './decode-node.js';
export { exportRun, type ExportRunOptions, type ExportRunResult } from './run.js';
export { startServer, ensureWebBundle, WEB_DIST, type ServeOptions, type RunningServer } from './server.js';
export {
  METADATA_FILE, MODEL_FILE, WEIGHTS_FILE, PREPROCESSING, studentMetadataSchema, tintemJsonSchema,
  type StudentMetadata, type TintemJson, type OodSpec,
} from './meta.js';
