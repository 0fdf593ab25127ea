/**
 * `tintem eval --model <export>[:form]`: resolves each spec to its export (verified through openExport), its forms
 * and the run folder of the fp32 student it came from (before anything slow), then builds the forms' embedders from
 * the verified bytes once the runs are loaded.
 */
import { join, resolve } from 'node:path';
import type { VerifiedExport } from '../export/verify.js';
import { readRunId } from '../training/run-folder.js';
import { UserError } from '../util/errors.js';
import { info, warn } from '../util/log.js';
import { quoteName } from '../util/quote.js';
import type { Embeddings } from '../evaluation/index.js';
import type { ImageSet } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { exportedMarkdown, type ExportedComparison, type ExportedEntry } from './exported-compare.js';
import { exportedName, findSourceRun, parseModelSpec, type ExportForm } from './exported.js';
import type { LoadedRun } from './load-run.js';

export interface ResolvedModel {
  spec: string;
  exportDir: string;
  /** The export as verified when the spec was parsed: the forms are built from these bytes. */
  exp: VerifiedExport;
  forms: ExportForm[];
  /** The fp32 student's run folder (also added to the run folders to evaluate). */
  runDir: string;
}

/** Parses every --model spec and finds its run; adds runs not given with --run to `runDirs`. */
export async function resolveExportedModels(specs: string[], runDirs: string[]): Promise<ResolvedModel[]> {
  const given = [...runDirs];
  const out: ResolvedModel[] = [];
  for (const spec of specs) {
    const { dir, exp, forms } = await parseModelSpec(spec);
    const { meta } = exp;
    const runDir = findSourceRun(dir, meta, given, readRunId);
    if (runDir === undefined) {
      throw new UserError(`--model ${spec}: its fp32 student${meta.runId ? ` (run ${meta.runId})` : ''} is not among the --run folders nor next to the export; pass the run folder it was exported from with --run`);
    }
    const id = readRunId(runDir);
    if (meta.runId !== undefined && id !== meta.runId) {
      warn(`--model ${spec}: was exported from run ${meta.runId}; comparing it with ${quoteName(runDir)} (run ${id ?? 'without an id'}), the only --run given`);
    }
    if (!runDirs.some((d) => resolve(d) === resolve(runDir))) {
      runDirs.push(runDir);
      info(`--model ${spec}: comparing with its fp32 student in ${quoteName(runDir)}`);
    }
    out.push({ spec, exportDir: dir, exp, forms, runDir });
  }
  return out;
}

/** Opens every form's embedder (pushed onto `opened` for the caller to dispose) and names it after its run. */
export async function openExportedModels(models: ResolvedModel[], runs: LoadedRun[], opened: Array<{ dispose(): void }>):
Promise<Array<ExportedEntry & { embed(set: ImageSet): Promise<Embeddings> }>> {
  const taken = new Set(runs.map((r) => r.name));
  const out: Array<ExportedEntry & { embed(set: ImageSet): Promise<Embeddings> }> = [];
  for (const m of models) {
    const run = runs.find((r) => resolve(r.runDir) === resolve(m.runDir))!;
    for (const form of m.forms) {
      const embedder = await form.open(m.exp);
      opened.push(embedder);
      const spec = run.summary.student.spec;
      if (embedder.meta.embedDim !== spec.embedDim || embedder.meta.inputSize !== spec.inputSize || embedder.meta.channels !== spec.channels) {
        throw new UserError(`--model ${m.spec}: the ${form.name} student (${embedder.meta.inputSize} px x ${embedder.meta.channels}, d = ${embedder.meta.embedDim}) is not the student of ${quoteName(run.runDir)} (${spec.inputSize} px x ${spec.channels}, d = ${spec.embedDim})`);
      }
      out.push({ model: exportedName(run.name, form.name, m.exportDir, taken), form: form.name, exportDir: m.exportDir, reference: run.name, embed: (set) => embedder.embed(set) });
    }
  }
  return out;
}

/**
 * Writes the comparisons to `<outDir>/exported.json` (beside scorecard.json) and returns their Markdown table for
 * the printed summary and the report; undefined when no exported form was scored.
 */
export async function publishExported(outDir: string, comparisons: ExportedComparison[] | undefined): Promise<string | undefined> {
  if (!comparisons) return undefined;
  await writeFileAtomic(join(outDir, 'exported.json'), `${JSON.stringify(comparisons, null, 2)}\n`);
  return exportedMarkdown(comparisons);
}
