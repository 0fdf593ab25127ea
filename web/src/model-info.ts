/** DOM-free pieces of the page's model card (web/src/render.ts), testable in Node (test/web/model-info.test.ts). */
import type { TintemJson } from '../../src/export/meta.js';

/** The model's size in KB: its own files, not gallery.json (thumbnails and embeddings for the page only). */
export function modelKb(meta: Pick<TintemJson, 'files'>): number {
  return Object.entries(meta.files).filter(([name]) => name !== 'gallery.json' && !name.endsWith('.onnx')).reduce((s, [, f]) => s + f.bytes, 0) / 1024;
}

/** Up to six headline figures of the scorecard; a seed is not a score (it read "seed: 0.000"), integers are counts. */
export function headline(scorecard: Record<string, unknown> | undefined): string[] {
  if (!scorecard) return [];
  return Object.entries(scorecard)
    .filter(([k, v]) => k !== 'seed' && (typeof v === 'number' || typeof v === 'string'))
    .slice(0, 6)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? (Number.isInteger(v) || Math.abs(v) >= 10 ? String(v) : v.toFixed(3)) : v}`);
}
