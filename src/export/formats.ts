/**
 * Export formats, one registry entry each (src/export/entries/): the `--format` name, a one-line summary, the
 * quantised variants it can also write (`--quantize`), what it adds to an export folder and the lines the CLI
 * prints about it. `tintem export --format` / `--quantize` choices and help come from these entries; `--format all`
 * writes every registered format. The TF.js LayersModel is always written first (every other form is converted
 * from it, and the gallery is embedded with it); it stays in the export only when the `tfjs` format is chosen.
 * This module loads no TensorFlow: entries import their implementation lazily.
 */
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { createRegistry } from '../util/registry.js';
import { onnxFormat } from './entries/onnx.js';
import { tfjsFormat } from './entries/tfjs.js';

export interface ExportFormatContext {
  /** The export folder being written (holds the TF.js student and tintem.json). */
  dir: string;
  /** Images to check a converted file against TF.js with (the gallery images, or seeded noise). */
  checkImages: ImageSet;
  /** The quantised variant asked for, when this format lists it. */
  quantize?: string;
  /** Time the quantised form against fp32 (the CLI asks for it). */
  timing?: boolean;
  /** One line per stage for the log. */
  onStage(message: string): void;
}

export interface ExportFormatEntry {
  /** The `--format` name. */
  name: string;
  /** One line for help texts and docs. */
  summary: string;
  /** Quantised variants this format can also write (`--quantize <type>`). */
  quantize?: readonly string[];
  /** Whether keeping this format keeps the TF.js model files (model.json + weights) in the export. */
  keepsTfjs?: boolean;
  /** Adds this format's files to the folder; returns a report for `describe`. */
  write?(ctx: ExportFormatContext): Promise<unknown>;
  /** Lines the CLI prints about what `write` did. */
  describe?(report: unknown): string[];
}

const formats = createRegistry<ExportFormatEntry>('export format', {
  check: (e) => { if (e.name === 'all') throw new Error("register export format: 'all' is reserved (every format)"); },
});

export function registerExportFormat(entry: ExportFormatEntry): ExportFormatEntry {
  return formats.register(entry);
}

export function unregisterExportFormat(name: string): void {
  formats.unregister(name);
}

export function exportFormatEntries(): ExportFormatEntry[] {
  return formats.entries();
}

/** '--format' help: "tfjs (...) | onnx (...) | all: ..." */
export function exportFormatHelp(): string {
  return `${[...exportFormatEntries().map((e) => `${e.name} (${e.summary})`), 'all'].join(' | ')}: which model files to write`;
}

/** The quantised variants any format can write ('int8'). */
export function quantizeChoices(): string[] {
  return [...new Set(exportFormatEntries().flatMap((e) => e.quantize ?? []))];
}

/**
 * The entries a `--format` value names ('all': every registered format) after checking `--quantize` against them;
 * one-line UserErrors otherwise.
 */
export function resolveExportFormats(format: unknown, quantize: unknown): ExportFormatEntry[] {
  const chosen = format === 'all' ? exportFormatEntries() : [formats.find(format)].filter((e): e is ExportFormatEntry => e !== undefined);
  if (chosen.length === 0) {
    throw new UserError(`--format: expected one of ${[...formats.names(), 'all'].join(', ')}, got '${String(format).slice(0, 40)}'`);
  }
  if (quantize !== undefined) {
    const choices = quantizeChoices();
    if (typeof quantize !== 'string' || !choices.includes(quantize)) throw new UserError(`--quantize: expected ${choices.join(' or ')}, got '${String(quantize).slice(0, 40)}'`);
    if (!chosen.some((e) => e.quantize?.includes(quantize))) {
      const by = exportFormatEntries().filter((e) => e.quantize?.includes(quantize)).map((e) => e.name);
      throw new UserError(`--quantize ${quantize} writes ${by.length === 1 && by[0] === 'onnx' ? 'an ONNX file' : `a ${by.join(' or ')} file`}: use it with --format ${[...by, 'all'].join(' or ')}`);
    }
  }
  return chosen;
}

for (const entry of [tfjsFormat, onnxFormat]) registerExportFormat(entry);
