/**
 * Data sources, one registry entry each (src/data/entries/): the spec prefix (`name[:arg]`), how a spec is written,
 * a one-line summary, a check of the argument that reads nothing, the default image shape, whether the images can
 * be decoded again at another resolution, their test split and their default OOD sets, and a loader. `loadDataset`,
 * the CLI help, `tintem doctor`, docs/config.md, the experiment's evaluation defaults and the export's gallery
 * choice read these entries; no spec string is matched outside this folder. This module loads no TensorFlow:
 * loaders import their implementation lazily, so a bad spec fails before any data is read.
 */
import { existsSync, statSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { createRegistry } from '../util/registry.js';
import { blobsSource, noiseSource } from './entries/noise.js';
import { folderSource } from './entries/folder.js';
import { fashionSource, mnistSource } from './entries/mnist.js';
import { photosSource } from './entries/photos.js';
import type { ImageSet } from './types.js';

export interface LoadDatasetOptions {
  limit?: number;
  /** Output size (square). MNIST-family sets are resized only when this differs from 28. */
  size?: number;
  channels?: 1 | 3;
  seed?: number;
  /** Image folders: fail on the first unreadable file instead of skipping it. */
  strict?: boolean;
}

/** One line of `tintem doctor`. */
export interface DataSourceCheck { name: string; ok: boolean; detail: string }

export interface DataSourceEntry {
  /** The spec prefix: 'mnist' in 'mnist:train'. */
  name: string;
  /** How a spec of this source is written, e.g. 'mnist:train|test'. */
  usage: string;
  /** One line for help texts, doctor and the docs table. */
  summary: string;
  /**
   * Checks the argument after ':' (undefined when the spec has no ':') without reading anything: an error text,
   * or undefined when it is fine.
   */
  check(arg: string | undefined): string | undefined;
  /** The image shape when the caller asks for none. */
  defaultShape(arg: string | undefined): { size: number; channels: 1 | 3 };
  /** Whether the images can be decoded again at another resolution from more pixels (photos, image folders). */
  redecodable: boolean;
  /** Whether which images the spec names depends on the seed (generated or randomly cropped images). */
  seeded(arg: string | undefined): boolean;
  /** The matching test split of this spec ('mnist:train' -> 'mnist:test'), if the source has one. */
  testSplit?(arg: string | undefined): string | undefined;
  /** The default OOD sets of a run trained on this source (default: DEFAULT_OOD, synthetic sets). */
  defaultOod?(arg: string | undefined): string[];
  /** The canonical form of the argument, for telling whether two specs name the same images. */
  normalise?(arg: string | undefined): string;
  /** `tintem doctor` lines: whether the source's files are there. */
  doctor?(): Promise<DataSourceCheck[]>;
  load(arg: string | undefined, opts: LoadDatasetOptions): Promise<ImageSet>;
}

/** Synthetic default OOD sets for colour and folder runs: generated in milliseconds, so they cannot overlap a user's images. */
export const DEFAULT_OOD = ['blobs:300', 'noise:300'];

const sources = createRegistry<DataSourceEntry>('data source');

export function registerDataSource(entry: DataSourceEntry): DataSourceEntry {
  return sources.register(entry);
}

export function unregisterDataSource(name: string): void {
  sources.unregister(name);
}

export function dataSourceEntries(): DataSourceEntry[] {
  return sources.entries();
}

/** "mnist:train|test, fashion:train|test, ..., folder:<path> (or an existing directory)" */
export function dataSpecHelp(): string {
  return dataSourceEntries().map((e) => e.usage).join(', ');
}

export interface ParsedDataSpec {
  entry: DataSourceEntry;
  /** The text after the first ':' (undefined when there is none; a plain directory path for folders). */
  arg: string | undefined;
}

/** Splits and checks a data spec (reads nothing but whether a plain path is a directory); `where` names the option. */
export function parseDataSpec(spec: string, where = 'dataset'): ParsedDataSpec {
  const colon = spec.indexOf(':');
  const prefix = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  const entry = sources.find(prefix);
  const problem = entry?.check(arg);
  if (entry && problem === undefined) return { entry, arg };
  // Named specs win over same-named directories; any other existing directory is an image folder.
  const folder = sources.find('folder');
  if (folder && isDirectory(spec)) return { entry: folder, arg: spec };
  if (entry) throw new UserError(`${where} '${spec}': ${problem}`);
  throw new UserError(`${where} '${spec}': unknown spec (expected one of ${dataSpecHelp()})`);
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Loads a dataset from a spec ('mnist:train', 'folder:<path>' or a plain directory, 'photos', 'noise:<n>', ...). */
export async function loadDataset(spec: string, opts: LoadDatasetOptions = {}): Promise<ImageSet> {
  const { entry, arg } = parseDataSpec(spec);
  return entry.load(arg, opts);
}

/** Whether the spec's images can be decoded again at another resolution (false for specs that do not parse). */
export function isRedecodable(spec: string): boolean {
  return tryParse(spec)?.entry.redecodable ?? false;
}

/** Whether the images a spec names depend on the seed. */
export function isSeeded(spec: string): boolean {
  const p = tryParse(spec);
  return p ? p.entry.seeded(p.arg) : false;
}

/** The matching test split of a training spec ('mnist:train' -> 'mnist:test'), if its source has one. */
export function testSplitOf(spec: string): string | undefined {
  const p = tryParse(spec);
  return p?.entry.testSplit?.(p.arg);
}

/** The default OOD sets for a run trained on `spec`. */
export function defaultOodFor(spec: string): string[] {
  const p = tryParse(spec);
  return p?.entry.defaultOod ? p.entry.defaultOod(p.arg) : [...DEFAULT_OOD];
}

/** Whether two dataset specs name the same images ('folder:X' and 'X', trailing slashes). */
export function sameImages(a: string, b: string): boolean {
  const key = (s: string) => {
    const p = tryParse(s);
    return p ? `${p.entry.name}:${p.entry.normalise ? p.entry.normalise(p.arg) : p.arg ?? ''}` : s;
  };
  return key(a) === key(b);
}

/** The default image shape of a spec's source. */
export function defaultShapeOf(spec: string): { size: number; channels: 1 | 3 } | undefined {
  const p = tryParse(spec);
  return p?.entry.defaultShape(p.arg);
}

function tryParse(spec: string): ParsedDataSpec | undefined {
  try {
    return parseDataSpec(spec);
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
}

for (const entry of [mnistSource, fashionSource, folderSource, photosSource, noiseSource, blobsSource]) registerDataSource(entry);
