/**
 * Evaluation sets from dataset specs: ID train/test, OOD sets, and the class-split near-OOD set; and the specs a
 * run implies when the user names none (its training data as the bank, a test set it names or a held-out split).
 */
import type { DistillConfig } from '../config/schema.js';
import { DEFAULT_OOD, defaultOodFor, isRedecodable, isSeeded, loadDataset, sameImages, subsetImages, testSplitOf } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import type { EvalSetRecord } from '../evaluation/index.js';
import { UserError } from '../util/errors.js';
import { warn } from '../util/log.js';
import { Rng } from '../util/random.js';
import { configImageShape } from './distill.js';
import type { EvalSets } from './evaluate.js';

/** Parses '0-4' or '0,2,4' into class ids. */
export function parseClassList(text: string, option = '--id-classes'): number[] {
  const ids = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UserError(`${option}: '${part}' is not a class id or range like 0-4`);
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new UserError(`${option}: range '${part}' runs backwards`);
    for (let c = lo; c <= hi; c++) ids.add(c);
  }
  if (ids.size === 0) throw new UserError(`${option}: expected class ids like 0-4`);
  return [...ids].sort((a, b) => a - b);
}

/** Splits a labelled set into the images of `classes` and those of every other class. */
export function classSplit(set: ImageSet, classes: number[], option = '--id-classes'): { inside: ImageSet; outside: ImageSet } {
  if (!set.labels) throw new UserError(`${option}: ${set.name} has no labels, so it cannot be split by class`);
  const keep = new Set(classes);
  const inside: number[] = [], outside: number[] = [];
  set.labels.forEach((l, i) => (keep.has(l) ? inside : outside).push(i));
  if (inside.length === 0 || outside.length === 0) throw new UserError(`${option}: classes ${classes.join(',')} leave one side of ${set.name} empty`);
  return { inside: { ...subsetImages(set, inside), name: `${set.name}[${classes.join(',')}]` }, outside: { ...subsetImages(set, outside), name: `${set.name}[other classes]` } };
}

export interface SetSpecs {
  train: string;
  /** Query set; undefined = a held-out `heldOut` fraction of the train set's images. */
  test?: string;
  ood: string[];
  trainLimit?: number;
  testLimit?: number;
  oodLimit?: number;
  /** Keep only these classes as in-distribution; the test images of the others become the 'held-out-classes' OOD set. */
  idClasses?: number[];
  seed: number;
  /**
   * Load the train set exactly as a run's training did (its limit and seed), before any `trainLimit` subset,
   * so the bank is the run's training images.
   */
  trainSource?: { limit?: number; seed: number };
  /** Fraction of the train set's images held out as queries when `test` is undefined (default 0.2). */
  heldOut?: number;
  /** Image shape for the ID sets (a run's student input); undefined = the loader's default for the spec. */
  size?: number;
  channels?: 1 | 3;
  /** Image folders: fail on the first unreadable file. */
  strict?: boolean;
  /**
   * The teacher's decode size (its decodeSize or inputSize): sets whose source can be decoded at more pixels than
   * `size` (photos, image folders) are also loaded at it for the teacher column (EvalSets.teacherView).
   */
  teacherSize?: number;
  /** Which specs came from the run rather than the caller (recorded in the scorecard). */
  fromRun?: { train?: boolean; test?: boolean; ood?: boolean };
  /** The OOD sets are tintem's defaults (defaultOodFor), named by neither the run nor the caller. */
  oodDefault?: boolean;
}

export const DEFAULT_HELD_OUT = 0.2;

/** The first `limit` images of a set (all when undefined). */
function firstImages(set: ImageSet, limit: number | undefined): ImageSet {
  if (limit === undefined || limit >= set.count) return set;
  return { ...subsetImages(set, Array.from({ length: limit }, (_, i) => i)), name: set.name };
}

/**
 * A set as the student sees it and, when the teacher wants more pixels and the source can give them, the same
 * images decoded again at the teacher's resolution (as distill does, experiment/distill.ts loadTeacherData). Every
 * subset below is applied to both, so row i is the same image in each.
 */
interface SetPair { student: ImageSet; teacher?: ImageSet }

const both = (p: SetPair, f: (s: ImageSet) => ImageSet): SetPair => ({ student: f(p.student), teacher: p.teacher && f(p.teacher) });

function checkPair(p: SetPair, spec: string): SetPair {
  if (p.teacher && p.teacher.count !== p.student.count) throw new Error(`${spec}: teacher-resolution decode gave ${p.teacher.count} images, the student's ${p.student.count}`);
  return p;
}

export async function loadEvalSets(specs: SetSpecs): Promise<EvalSets> {
  const shape = { size: specs.size, channels: specs.channels, strict: specs.strict };
  const load = async (spec: string, opts: { limit?: number; seed: number; size?: number; channels?: 1 | 3 }): Promise<SetPair> => {
    const student = await loadDataset(spec, { strict: specs.strict, ...opts });
    const size = specs.teacherSize;
    const teacher = size !== undefined && size > student.height && isRedecodable(spec)
      ? await loadDataset(spec, { strict: specs.strict, ...opts, size, channels: student.channels }) : undefined;
    return checkPair({ student, teacher }, spec);
  };
  const from = (key: 'train' | 'test' | 'ood') => (key === 'ood' && specs.oodDefault ? 'default' : specs.fromRun?.[key] ? 'run' : 'option') as EvalSetRecord['from'];
  let train = specs.trainSource
    ? await load(specs.train, { ...shape, limit: specs.trainSource.limit, seed: specs.trainSource.seed })
    : await load(specs.train, { ...shape, limit: specs.trainLimit, seed: specs.seed });
  let trainNote = specs.trainSource ? "the run's training images" : undefined;
  let test: SetPair;
  let testNote: string | undefined;
  // The same images as queries and bank score each image against itself (nearest neighbour 1.000, issue 27):
  // hold out queries instead, as when no test set is named.
  const sameAsTrain = specs.test !== undefined && sameImages(specs.test, specs.train) && specs.testLimit === undefined;
  if (sameAsTrain) {
    warn(`--test ${specs.test} names the bank's own images (--train ${specs.train}): holding out ${Math.round((specs.heldOut ?? DEFAULT_HELD_OUT) * 100)}% of them as the queries instead, so that no query is in the bank`);
  }
  if (specs.test !== undefined && !sameAsTrain) {
    test = await load(specs.test, { ...shape, limit: specs.testLimit, seed: specs.seed });
  } else {
    // Seeded split of the bank: the queries are never in the bank (the student did train on them, label-free).
    const fraction = specs.heldOut ?? DEFAULT_HELD_OUT;
    const count = train.student.count;
    const queries = Math.round(count * fraction);
    if (queries < 2 || count - queries < 2) {
      throw new UserError(`${specs.train}: ${count} images are too few to hold out ${Math.round(fraction * 100)}% as queries; pass --test <spec>`);
    }
    const order = new Rng(specs.seed).fork('held-out').permutation(count);
    const testIdx = Array.from(order.subarray(0, queries)).sort((a, b) => a - b);
    const bankIdx = Array.from(order.subarray(queries)).sort((a, b) => a - b);
    test = both(train, (t) => ({ ...subsetImages(t, testIdx), name: `${t.name}[held-out]` }));
    train = both(train, (t) => ({ ...subsetImages(t, bankIdx), name: t.name }));
    testNote = `held-out ${Math.round(fraction * 100)}% of ${trainNote ?? specs.train}, not in the bank; seed ${specs.seed}`;
    trainNote = `${trainNote ?? specs.train} except the held-out queries`;
    test = both(test, (t) => firstImages(t, specs.testLimit));
  }
  if (specs.trainSource) train = both(train, (t) => firstImages(t, specs.trainLimit));
  // Whatever the specs, a query never sits in the bank: bank images identical to a query are left out.
  const overlap = bankRowsInQueries(train.student, test.student);
  if (overlap.length > 0) {
    if (overlap.length === train.student.count) throw new UserError(`--train ${specs.train}: every bank image is also a query (--test ${specs.test ?? specs.train}); choose a test set with other images, or leave --test out to hold out queries from the bank`);
    warn(`${overlap.length} of ${train.student.count} bank images (${specs.train}) are also queries; left out of the bank so that no query is scored against itself`);
    const drop = new Set(overlap);
    const keep = Array.from({ length: train.student.count }, (_, i) => i).filter((i) => !drop.has(i));
    train = both(train, (t) => ({ ...subsetImages(t, keep), name: t.name }));
    trainNote = `${trainNote ?? specs.train}, less ${overlap.length} images that are also queries`;
  }
  const ood: Record<string, SetPair> = {};
  for (const spec of specs.ood) {
    const set = await load(spec, { limit: specs.oodLimit, seed: specs.seed, size: test.student.height, channels: test.student.channels });
    if (set.student.count === 0) throw new UserError(`--ood '${spec}': the set is empty`);
    ood[spec] = set;
  }
  if (specs.idClasses) {
    const classes = specs.idClasses;
    train = both(train, (t) => classSplit(t, classes).inside);
    const testBefore = test;
    test = both(testBefore, (t) => classSplit(t, classes).inside);
    ood['held-out-classes'] = both(testBefore, (t) => classSplit(t, classes).outside);
  }
  const record = (spec: string, set: ImageSet, f: EvalSetRecord['from'], note?: string): EvalSetRecord => ({ spec, count: set.count, from: f, ...(note ? { note } : {}) });
  const records = {
    train: record(specs.train, train.student, from('train'), trainNote),
    test: record(specs.test ?? specs.train, test.student, from('test'), testNote),
    ood: Object.fromEntries(Object.entries(ood).map(([name, set]) => [name, record(name === 'held-out-classes' ? `${specs.test ?? specs.train} (other classes)` : name, set.student, name === 'held-out-classes' ? from('test') : from('ood'))])),
  };
  const oodStudent = Object.fromEntries(Object.entries(ood).map(([name, p]) => [name, p.student]));
  const anyTeacher = train.teacher || test.teacher || Object.values(ood).some((p) => p.teacher);
  const teacherView = anyTeacher ? {
    train: train.teacher ?? train.student, test: test.teacher ?? test.student,
    ood: Object.fromEntries(Object.entries(ood).map(([name, p]) => [name, p.teacher ?? p.student])),
  } : undefined;
  return { train: train.student, test: test.student, ood: oodStudent, records, ...(teacherView ? { teacherView } : {}) };
}

/** FNV-1a over an image's pixels (a fingerprint for exact duplicates). */
function imageHash(set: ImageSet, i: number): string {
  const per = set.height * set.width * set.channels;
  const px = set.pixels.subarray(i * per, (i + 1) * per);
  let h1 = 0x811c9dc5, h2 = 0x01000193 ^ per;
  for (let k = 0; k < px.length; k++) {
    const v = Math.round(px[k]! * 255);
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ v, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `${(h1 >>> 0).toString(16)}:${(h2 >>> 0).toString(16)}`;
}

/** Rows of `bank` whose pixels equal those of some row of `queries` (same shape only). */
export function bankRowsInQueries(bank: ImageSet, queries: ImageSet): number[] {
  if (bank.height !== queries.height || bank.width !== queries.width || bank.channels !== queries.channels) return [];
  const seen = new Set<string>();
  for (let i = 0; i < queries.count; i++) seen.add(imageHash(queries, i));
  const rows: number[] = [];
  for (let i = 0; i < bank.count; i++) if (seen.has(imageHash(bank, i))) rows.push(i);
  return rows;
}

/**
 * Whether runs can be scored on one set of evaluation images without the user naming them: they trained on the
 * same images (same data spec, test set and limit, and the same seed where the spec's images depend on it). Student
 * input sizes may differ: the images are loaded at the largest size (and in colour if any run is) and each student
 * gets them resized to its own input. Throws a UserError naming what differs otherwise.
 */
export function sharedRunData(runs: ReadonlyArray<{ runDir: string; config: DistillConfig }>): { size?: number; channels?: 1 | 3 } {
  const first = runs[0]!;
  const seeded = (c: DistillConfig) => isSeeded(c.data.train) || c.data.limit !== undefined;
  const fields = (c: DistillConfig): Record<string, unknown> => ({
    'data.train': c.data.train, 'data.test': c.data.test ?? '(none)', 'data.limit': c.data.limit ?? '(all)', ...(seeded(c) ? { seed: c.seed } : {}),
  });
  for (const r of runs.slice(1)) {
    const a = fields(first.config), b = fields(r.config);
    const diff = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    if (diff.length > 0) {
      throw new UserError(`--run: ${first.runDir} and ${r.runDir} were trained on different images (${diff.map((k) => `${k} ${String(a[k] ?? '-')} vs ${String(b[k] ?? '-')}`).join(', ')}); pass --train <spec> (and --test <spec>) to score both on the same images`);
    }
  }
  return largestRunShape(runs);
}

/** The image shape that serves every run: the largest input size, colour if any run is. */
export function largestRunShape(runs: ReadonlyArray<{ config: DistillConfig }>): { size?: number; channels?: 1 | 3 } {
  const shapes = runs.map((r) => configImageShape(r.config));
  const sizes = shapes.map((s) => s.size);
  const size = sizes.every((s) => s !== undefined) ? Math.max(...(sizes as number[])) : undefined;
  const channels = shapes.some((s) => s.channels === 3) ? 3 : shapes.every((s) => s.channels === 1) ? 1 : undefined;
  return { size, channels };
}

/** One line per set for the evaluation header: which images are the bank, the queries and the OOD sets. */
export function describeEvalSets(records: NonNullable<EvalSets['records']>): string {
  const line = (role: string, r: EvalSetRecord) => `  ${role.padEnd(8)} ${r.spec}: ${r.count} images${r.note ? ` (${r.note})` : ''}${r.from === 'run' ? ' [from the run]' : r.from === 'default' ? ' [default OOD set]' : ''}`;
  return [
    'evaluation sets:',
    line('bank', records.train),
    line('queries', records.test),
    ...Object.entries(records.ood).map(([name, r]) => line('OOD', { ...r, spec: name === r.spec ? r.spec : `${name} = ${r.spec}` })),
  ].join('\n');
}

/** Synthetic default OOD sets for colour and folder runs (the data registry's DEFAULT_OOD). */
export const COLOUR_DEFAULT_OOD = DEFAULT_OOD;

export interface RunDataOptions {
  train?: string;
  test?: string;
  ood?: string[];
}

/**
 * The evaluation specs for runs trained on `config`'s data: the caller's where given, else the run's training
 * images as the bank, the test set the run names (data.test), the matching built-in test split, or a held-out
 * split of the training images as queries, and OOD sets other than the ID family.
 */
export function evalSpecsForRun(config: DistillConfig, given: RunDataOptions): Pick<SetSpecs, 'train' | 'test' | 'ood' | 'trainSource' | 'fromRun' | 'oodDefault'> {
  const train = given.train ?? config.data.train;
  const test = given.test ?? (given.train ? testSplitOf(given.train) : config.data.test ?? testSplitOf(config.data.train));
  return {
    train,
    test,
    ood: given.ood ?? defaultOodFor(train),
    trainSource: given.train ? undefined : { limit: config.data.limit, seed: config.seed },
    fromRun: { train: !given.train, test: !given.test && !given.train, ood: false },
    oodDefault: !given.ood,
  };
}
