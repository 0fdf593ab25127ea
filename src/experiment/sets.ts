/** Evaluation sets from dataset specs: ID train/test, OOD sets, and the class-split near-OOD set. */
import { loadDataset, subsetImages } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
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
  test: string;
  ood: string[];
  trainLimit?: number;
  testLimit?: number;
  oodLimit?: number;
  /** Keep only these classes as in-distribution; the test images of the others become the 'held-out-classes' OOD set. */
  idClasses?: number[];
  seed: number;
  /** Side and channels of the ID sets (default: each source's own). */
  size?: number;
  channels?: 1 | 3;
}

export async function loadEvalSets(specs: SetSpecs): Promise<EvalSets> {
  let train = await loadDataset(specs.train, { limit: specs.trainLimit, seed: specs.seed, size: specs.size, channels: specs.channels });
  let test = await loadDataset(specs.test, { limit: specs.testLimit, seed: specs.seed, size: specs.size, channels: specs.channels });
  const ood: Record<string, ImageSet> = {};
  for (const spec of specs.ood) {
    const set = await loadDataset(spec, { limit: specs.oodLimit, seed: specs.seed, size: test.height, channels: test.channels });
    if (set.count === 0) throw new UserError(`--ood '${spec}': the set is empty`);
    ood[spec] = set;
  }
  if (specs.idClasses) {
    train = classSplit(train, specs.idClasses).inside;
    const split = classSplit(test, specs.idClasses);
    test = split.inside;
    ood['held-out-classes'] = split.outside;
  }
  return { train, test, ood };
}
