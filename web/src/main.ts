/**
 * The tintem web page: loads an exported student and its gallery from the serving folder, embeds images the
 * user picks or drops (all on this device), and shows their nearest gallery images and a kNN OOD score.
 * Results are also exposed as window.tintem and body[data-state] for automated checks.
 */
// Registers the students' custom (ViT) layers so exported ViTs load in the page.
import '../../src/students/layers.js';
import { initBackend, tf } from './backend-shim.js';
import { GALLERY_FILE, parseSealedGallery } from '../../src/export/gallery-format.js';
import { indexGallery, matchGallery, type GalleryIndex } from '../../src/export/match.js';
import { WEIGHTS_FILE } from '../../src/export/meta.js';
import { openStudent, type LoadedStudent } from '../../src/export/open.js';
import { decodeImageFile } from './decode.js';
import { renderModelInfo, renderResult, setStatus } from './render.js';

export interface PageResult {
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  embedding: number[];
  neighbours: Array<{ index: number; similarity: number; source: string }>;
  score: number | null;
  threshold: number | null;
  outOfDistribution: boolean | null;
  error?: string;
}

interface PageState {
  state: 'loading' | 'ready' | 'busy' | 'error';
  backend?: string;
  error?: string;
  results: PageResult[];
}

declare global {
  interface Window { tintem: PageState }
}

const page: PageState = { state: 'loading', results: [] };
window.tintem = page;

function setState(state: PageState['state'], error?: string): void {
  page.state = state;
  page.error = error;
  document.body.dataset.state = state;
  document.body.dataset.count = String(page.results.length);
}

/** The model folder: ?model=<path>, default 'model/'; anything off this origin is refused (no image leaves). */
function modelBase(params: URLSearchParams): URL {
  const base = new URL(params.get('model') ?? 'model/', document.baseURI);
  if (base.origin !== location.origin) throw new Error(`?model=${params.get('model')}: must be on this server (${location.origin})`);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function loadGallery(base: URL, student: LoadedStudent): Promise<GalleryIndex | undefined> {
  const url = new URL(GALLERY_FILE, base);
  const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  const gallery = await parseSealedGallery(new Uint8Array(await res.arrayBuffer()), url.pathname, student.meta.files);
  if (gallery.embedDim !== student.meta.embedDim) throw new Error(`${url.pathname}: embedding dim ${gallery.embedDim}, the model gives ${student.meta.embedDim}`);
  if (gallery.weightsSha256 !== student.meta.files[WEIGHTS_FILE]?.sha256) {
    throw new Error(`${url.pathname}: built for different weights; re-run 'tintem export' to rebuild it`);
  }
  return indexGallery(gallery);
}

async function analyse(file: File, student: LoadedStudent, gallery: GalleryIndex | undefined): Promise<PageResult> {
  const image = await decodeImageFile(file, file.name);
  const embedding = tf.tidy(() => student.embedBatch(tf.tensor4d(image.pixels, [1, image.height, image.width, image.channels])));
  const values = Array.from(await embedding.data());
  embedding.dispose();
  const match = gallery ? matchGallery(values, gallery) : undefined;
  const result: PageResult = {
    name: file.name, width: image.width, height: image.height, channels: image.channels, embedding: values,
    neighbours: match?.neighbours.map((n) => ({ ...n, source: gallery!.gallery.items[n.index]!.source })) ?? [],
    score: match?.score ?? null,
    threshold: match?.threshold ?? null,
    outOfDistribution: match?.outOfDistribution ?? null,
  };
  renderResult(result, image.canvas, gallery?.gallery);
  return result;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = await initBackend(params.get('backend') ?? 'auto');
  page.backend = backend.name;
  document.body.dataset.backend = backend.name;
  const base = modelBase(params);
  setStatus(`Loading the student (${backend.name} backend)…`);
  const student = await openStudent((name) => fetchBytes(new URL(name, base)), (name) => new URL(name, base).pathname);
  const gallery = await loadGallery(base, student);
  renderModelInfo(student.meta, backend, gallery?.gallery);

  const queue: File[] = [];
  let running = false;
  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    setState('busy');
    while (queue.length) {
      const file = queue.shift()!;
      try {
        page.results.push(await analyse(file, student, gallery));
      } catch (e) {
        const message = (e as Error).message;
        page.results.push({ name: file.name, width: 0, height: 0, channels: 1, embedding: [], neighbours: [], score: null, threshold: null, outOfDistribution: null, error: message });
        setStatus(message, true);
      }
      document.body.dataset.count = String(page.results.length);
    }
    running = false;
    setState('ready');
  }
  const accept = (files: FileList | null) => {
    for (const f of Array.from(files ?? [])) queue.push(f);
    void drain();
  };
  const input = document.getElementById('files') as HTMLInputElement;
  input.addEventListener('change', () => { accept(input.files); input.value = ''; });
  const drop = document.getElementById('drop')!;
  for (const type of ['dragenter', 'dragover']) drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); accept((e as DragEvent).dataTransfer?.files ?? null); });
  setStatus('Ready. Images stay on this device.');
  setState('ready');
}

main().catch((e: unknown) => {
  const message = (e as Error)?.message ?? String(e);
  setStatus(message, true);
  setState('error', message);
});
