/**
 * Training checkpoints: one binary file holding student weights, method variables, optimiser moments and the
 * loop position, closed by a SHA-256 of everything before it. Written to a temp file and renamed over the old
 * one, so a failed write (disk full, crash) leaves the previous checkpoint intact.
 *
 * Layout: "TINTEMCK" | u32 version | u32 header bytes | header JSON | pad to 4 | float32 tensors | sha256 (32 bytes)
 */
import { open, rename, rm, stat } from 'node:fs/promises';
import { GiB, readFileCheckedAsync } from '../util/safe-read.js';
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';
import type { AdamWState } from './adamw.js';

const MAGIC = 'TINTEMCK';
const VERSION = 1;
const DIGEST_BYTES = 32;

export interface TensorBlob {
  shape: number[];
  data: Float32Array;
}

/** Loss terms of one optimiser step, as logged. */
export interface StepRecord {
  epoch: number;
  /** Global step, 1-based (the number of updates applied after this one). */
  step: number;
  lr: number;
  loss: number;
  terms: Record<string, number>;
  /** On an epoch's last step, with distill --monitor/--converge: label-free faithfulness on the held-out slice. */
  labelFree?: Record<string, number>;
}

export interface CheckpointData {
  /** Hash of the training-relevant config; resume refuses a different one. */
  configFingerprint: string;
  /** The fingerprinted config itself, to name what differs on a mismatch. */
  config: Record<string, unknown>;
  /** Epochs fully completed. */
  epoch: number;
  /** Steps done inside epoch `epoch` (0 at an epoch boundary; > 0 after an interrupt). */
  stepInEpoch: number;
  /** Global optimiser steps done. */
  step: number;
  /** Seed the per-epoch shuffles and view choices derive from (with the epoch and step). */
  seed: number;
  elapsedSeconds: number;
  /** Last steps' loss terms, for summaries after a resume. */
  lossTail: StepRecord[];
  /** Mean loss terms of each completed epoch. */
  epochMeans: Array<Record<string, number>>;
  /** Running sums of the interrupted epoch's loss terms, so its mean stays exact after a resume. */
  partialEpoch?: { sums: Record<string, number>; count: number };
  student: TensorBlob[];
  method: TensorBlob[];
  optimizer: AdamWState;
}

type Group = 'student' | 'method' | 'm' | 'v';
interface TableEntry { group: Group; shape: number[]; offset: number; length: number }

/** Writes the bytes of a new file (the temp file); injectable so tests can simulate a full disk. */
export type ByteWriter = (path: string, bytes: Uint8Array) => Promise<void>;

async function writeAndSync(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function encodeCheckpoint(ck: CheckpointData): Uint8Array {
  const groups: Array<[Group, Float32Array[], number[][]]> = [
    ['student', ck.student.map((t) => t.data), ck.student.map((t) => t.shape)],
    ['method', ck.method.map((t) => t.data), ck.method.map((t) => t.shape)],
    ['m', ck.optimizer.m, ck.optimizer.shapes],
    ['v', ck.optimizer.v, ck.optimizer.shapes],
  ];
  const table: TableEntry[] = [];
  let floats = 0;
  for (const [group, arrays, shapes] of groups) {
    arrays.forEach((a, i) => {
      table.push({ group, shape: shapes[i] ?? [a.length], offset: floats, length: a.length });
      floats += a.length;
    });
  }
  const { student: _s, method: _m, optimizer, ...rest } = ck;
  const header = new TextEncoder().encode(JSON.stringify({ ...rest, optimizerStep: optimizer.step, table }));
  const headerEnd = 16 + header.length;
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  const total = dataStart + floats * 4 + DIGEST_BYTES;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, 16);
  const data = new Float32Array(bytes.buffer, dataStart, floats);
  let k = 0;
  for (const [, arrays] of groups) for (const a of arrays) { data.set(a, k); k += a.length; }
  const digest = createHash('sha256').update(bytes.subarray(0, total - DIGEST_BYTES)).digest();
  bytes.set(digest, total - DIGEST_BYTES);
  return bytes;
}

export function decodeCheckpoint(bytes: Uint8Array, path: string): CheckpointData {
  const corrupt = (why: string) =>
    new UserError(`${path}: checkpoint is damaged (${why}); delete it to start over, or restore a copy`);
  if (bytes.length < 16 + DIGEST_BYTES) throw corrupt(`only ${bytes.length} bytes, truncated`);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new UserError(`${path}: not a tintem checkpoint (bad magic bytes)`);
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) throw corrupt('SHA-256 mismatch: truncated or modified');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) throw new UserError(`${path}: checkpoint format version ${version}, this tintem reads ${VERSION}`);
  const headerLen = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLen))) as
    Omit<CheckpointData, 'student' | 'method' | 'optimizer'> & { optimizerStep: number; table: TableEntry[] };
  const dataStart = Math.ceil((16 + headerLen) / 4) * 4;
  // Copy out so the tensors do not pin (or alias) the whole file buffer.
  const floats = new Float32Array(new Uint8Array(body.subarray(dataStart)).buffer);
  const pick = (g: Group) => header.table.filter((e) => e.group === g)
    .map((e) => ({ shape: e.shape, data: floats.slice(e.offset, e.offset + e.length) }));
  const { table: _t, optimizerStep, ...rest } = header;
  const m = pick('m'), v = pick('v');
  return {
    ...rest,
    student: pick('student'),
    method: pick('method'),
    optimizer: { step: optimizerStep, m: m.map((x) => x.data), v: v.map((x) => x.data), shapes: m.map((x) => x.shape) },
  };
}

/**
 * Saves atomically: the bytes go to `<path>.partial`, then a rename replaces the old checkpoint. If writing
 * fails the partial file is removed, the previous checkpoint stays, and a one-line UserError says so.
 */
export async function saveCheckpoint(path: string, ck: CheckpointData, writeBytes: ByteWriter = writeAndSync): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const bytes = encodeCheckpoint(ck);
  try {
    await writeBytes(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    const reason = (e as Error).message.split('\n')[0];
    throw new UserError(`${path}: could not write checkpoint (${reason}); the previous checkpoint, if any, is intact`);
  }
}

export async function checkpointExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The largest checkpoint read (student, method and AdamW moments: a ViT-B would be about 1 GB). */
export const MAX_CHECKPOINT_BYTES = 2 * GiB;

export async function loadCheckpoint(path: string): Promise<CheckpointData> {
  // A regular file only (a FIFO or a device link is refused before anything waits on it), at most MAX_CHECKPOINT_BYTES.
  const bytes = await readFileCheckedAsync(path, { what: 'checkpoint', maxBytes: MAX_CHECKPOINT_BYTES });
  return decodeCheckpoint(bytes, path);
}

/** Dotted keys whose values differ between two JSON-able objects (for a readable config-mismatch message). */
export function differingKeys(a: unknown, b: unknown, prefix = ''): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || '(root)'];
}

/** Refuses to resume a checkpoint made with a different training config. */
export function assertSameConfig(ck: CheckpointData, fingerprint: string, config: Record<string, unknown>, path: string): void {
  // A checkpoint from before a change of the loss formulas cannot continue: its history optimised other losses.
  if (config.lossVersion !== undefined && ck.config.lossVersion !== config.lossVersion) {
    throw new UserError(`${path}: made with loss version ${JSON.stringify(ck.config.lossVersion ?? 1)}, this tintem computes version ${JSON.stringify(config.lossVersion)} (the losses now follow the authors' formulas), so it cannot resume; start a new run directory`);
  }
  if (ck.configFingerprint === fingerprint) return;
  const keys = differingKeys(ck.config, config);
  const shown = keys.slice(0, 4).map((k) => {
    const get = (o: unknown) => k.split('.').reduce<unknown>((x, p) => (x as Record<string, unknown> | undefined)?.[p], o);
    return `${k}: ${JSON.stringify(get(ck.config))} -> ${JSON.stringify(get(config))}`;
  });
  const more = keys.length > 4 ? ` and ${keys.length - 4} more` : '';
  throw new UserError(`${path}: config differs from the checkpoint's (${shown.join('; ') || 'fingerprint'}${more}); resume with the same config or use a new run directory`);
}
