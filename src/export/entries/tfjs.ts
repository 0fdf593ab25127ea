/** Export format `tfjs`: the TF.js LayersModel (model.json + weights), which every export writes first (./exporter.ts). */
import type { ExportFormatEntry } from '../formats.js';

export const tfjsFormat: ExportFormatEntry = {
  name: 'tfjs',
  summary: 'TF.js LayersModel, model.json + weights',
  keepsTfjs: true,
};
