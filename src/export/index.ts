/** Student export (TF.js LayersModel and ONNX + tintem.json), loading and embedding, galleries and the web server. */
export { exportStudent, tintemVersion, writeTintemJson, updateExportMetadata, type ExportOptions } from './exporter.js';
export { convertToOnnx, SUPPORTED_LAYERS, ONNX_INPUT, ONNX_POOLED, ONNX_TOKENS, type ConvertOptions } from './onnx-convert.js';
export { addOnnxForms, onnxMetadata, ONNX_MATCH_TOLERANCE, type OnnxExportOptions, type OnnxExportReport } from './onnx-export.js';
export { openExport, loadOnnxStudent, type VerifiedExport, type OnnxStudent } from './verify.js';
export { loadStudent, embedWithStudent, loadLayersModelDir, folderReader } from './load.js';
export { openStudent, wrapStudent, type LoadedStudent, type EmbedOptions, type ReadFile } from './open.js';
export { buildGallery, writeGallery, readGallery, DEFAULT_OOD_K, type GalleryOptions } from './gallery.js';
export { parseGallery, GALLERY_FILE, type Gallery } from './gallery-format.js';
export { indexGallery, matchGallery, type GalleryMatch } from './match.js';
export { knnScore, nearestNeighbours, normalizeRows, quantile, type Neighbour } from './knn.js';
export { bytesToUnit, toStudentInput } from './preprocess.js';
export { readImageFile, embedImageFiles, MAX_IMAGE_PIXELS } from './decode-node.js';
export {
  exportFormatEntries, exportFormatHelp, quantizeChoices, registerExportFormat, resolveExportFormats, unregisterExportFormat,
  type ExportFormatContext, type ExportFormatEntry,
} from './formats.js';
export { exportRun, type ExportFormat, type ExportRunOptions, type ExportRunResult } from './export-run.js';
export { startServer, ensureWebBundle, WEB_DIST, type ServeOptions, type RunningServer } from './server.js';
export {
  METADATA_FILE, MODEL_FILE, WEIGHTS_FILE, ONNX_FILE, ONNX_INT8_FILE, EXPORT_FORMS, PREPROCESSING, studentMetadataSchema, tintemJsonSchema,
  exportForms, type ExportForm, type OnnxInfo, type StudentMetadata, type TintemJson, type OodSpec,
} from './meta.js';
