/** DOM output of the page: model card, one card per analysed image. Plain DOM, no framework. */
import type { Gallery } from '../../src/export/gallery-format.js';
import type { TintemJson } from '../../src/export/meta.js';
import type { BackendInfo } from './backend-shim.js';
import type { PageResult } from './main.js';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function setStatus(message: string, isError = false): void {
  const status = document.getElementById('status')!;
  status.textContent = message;
  status.classList.toggle('error', isError);
}

function headline(scorecard: Record<string, unknown> | undefined): string[] {
  if (!scorecard) return [];
  return Object.entries(scorecard)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .slice(0, 6)
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? (Math.abs(v) < 10 ? v.toFixed(3) : String(v)) : v}`);
}

/**
 * The teacher as a person would name it: its spec (e.g. 'inception', 'random:1') and width, not the cache key
 * (spec|input size|normalisation|grid) that identifies it to the embedding cache.
 */
export function teacherLabel(teacher: TintemJson['teacher']): string {
  const t = teacher as { id: string; spec?: unknown; embedDim?: unknown };
  const name = typeof t.spec === 'string' && t.spec ? t.spec : t.id.split('|')[0]!;
  return typeof t.embedDim === 'number' && t.embedDim > 0 ? `${name} (${t.embedDim}-d)` : name;
}

export function renderModelInfo(meta: TintemJson, backend: Pick<BackendInfo, 'fallbackReason'> & { name: string }, gallery: Gallery | undefined): void {
  const kb = Object.values(meta.files).reduce((s, f) => s + f.bytes, 0) / 1024;
  const rows: Array<[string, string]> = [
    ['Student', `${String(meta.student.kind ?? meta.student.type ?? 'model')} · ${meta.inputSize}×${meta.inputSize}×${meta.channels} → ${meta.embedDim}-d · ${kb.toFixed(0)} KB`],
    ['Teacher', teacherLabel(meta.teacher)],
    ['Method', meta.method],
    ['Backend', backend.name + (backend.fallbackReason ? ` (fell back: ${backend.fallbackReason})` : '')],
    ['Gallery', gallery
      ? `${gallery.count} images of ${gallery.set}; OOD if kNN distance (k=${gallery.calibration.k}) > ${gallery.calibration.threshold.toFixed(4)} (${Math.round(gallery.calibration.tpr * 100)}% of in-distribution images pass)`
      : 'none (export with a gallery to see neighbours)'],
  ];
  if (meta.ood?.threshold !== undefined) rows.push(['Scorecard', `kNN OOD threshold ${meta.ood.threshold.toFixed(4)} (k=${meta.ood.k}, against the full reference set)`]);
  const figures = headline(meta.scorecard);
  if (figures.length) rows.push(['Scores', figures.join(' · ')]);
  const dl = document.getElementById('model')!;
  dl.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', k === 'Teacher' ? { title: meta.teacher.id } : {}, v)]));
}

export function renderResult(result: PageResult, preview: HTMLCanvasElement, gallery: Gallery | undefined): void {
  const card = el('section', { class: 'result', 'data-name': result.name });
  preview.className = 'preview';
  const head = el('div', { class: 'head' });
  head.append(preview);
  const info = el('div');
  info.append(el('h2', {}, result.name), el('p', {}, `${result.width}×${result.height}, ${result.channels === 1 ? 'grey' : 'colour'}`));
  if (result.score !== null && result.threshold !== null) {
    const verdict = el('p', { class: result.outOfDistribution ? 'verdict ood' : 'verdict id' },
      result.outOfDistribution ? 'Looks out-of-distribution' : 'Looks in-distribution');
    info.append(verdict, el('p', { class: 'score' }, `kNN distance ${result.score.toFixed(4)} (threshold ${result.threshold.toFixed(4)})`));
  }
  head.append(info);
  card.append(head);
  if (gallery && result.neighbours.length) {
    const strip = el('ol', { class: 'neighbours' });
    for (const n of result.neighbours) {
      const item = gallery.items[n.index]!;
      const li = el('li', { 'data-index': String(n.index), title: item.source });
      li.append(el('img', { src: item.thumb, alt: item.className ?? item.source }), el('span', {}, `${item.className ?? ''} ${n.similarity.toFixed(3)}`.trim()));
      strip.append(li);
    }
    card.append(strip);
  }
  document.getElementById('results')!.prepend(card);
}
