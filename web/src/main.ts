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
import { MODEL_FILE, WEIGHTS_FILE, type TintemJson } from '../../src/export/meta.js';
import { openStudent, readMetadata } from '../../src/export/open.js';
import { openOnnxStudent, type OnnxEp } from './onnx-student.js';
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

/** What the page runs: the TF.js model, or the ONNX (float32 / int8) file on onnxruntime-web. */
export type Runtime = 'tfjs' | 'onnx' | 'onnx-int8';
const RUNTIMES: Runtime[] = ['tfjs', 'onnx', 'onnx-int8'];

/** The student as the page uses it, whichever runtime runs it. */
interface PageStudent {
  meta: TintemJson;
  /** Pooled embedding of one image (1 x H x W x C in [0, 1]). */
  embed(image: tf.Tensor4D): Promise<number[]>;
}

interface PageState {
  state: 'loading' | 'ready' | 'busy' | 'error';
  /** 'tfjs' | 'onnx' | 'onnx-int8'. */
  runtime?: Runtime;
  /** TF.js backend (webgl, wasm, cpu) or onnxruntime-web execution provider (onnx-wasm, onnx-webgpu). */
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

async function loadGallery(base: URL, student: PageStudent): Promise<GalleryIndex | undefined> {
  const url = new URL(GALLERY_FILE, base);
  const res = await fetch(url, { credentials: 'omit', cache: 'no-store' });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  const gallery = await parseSealedGallery(new Uint8Array(await res.arrayBuffer()), url.pathname, student.meta.files);
  if (gallery.embedDim !== student.meta.embedDim) throw new Error(`${url.pathname}: embedding dim ${gallery.embedDim}, the model gives ${student.meta.embedDim}`);
  // The gallery was embedded with the TF.js weights; an ONNX-only export records which ones it was converted from.
  if (gallery.weightsSha256 !== (student.meta.files[WEIGHTS_FILE]?.sha256 ?? student.meta.onnx?.sourceWeightsSha256)) {
    throw new Error(`${url.pathname}: built for different weights; re-run 'tintem export' to rebuild it`);
  }
  return indexGallery(gallery);
}

async function analyse(file: File, student: PageStudent, gallery: GalleryIndex | undefined): Promise<PageResult> {
  const image = await decodeImageFile(file, file.name);
  const tensor = tf.tensor4d(image.pixels, [1, image.height, image.width, image.channels]);
  let values: number[];
  try {
    values = await student.embed(tensor);
  } finally {
    tensor.dispose();
  }
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
  const base = modelBase(params);
  const read = (name: string) => fetchBytes(new URL(name, base));
  const shown = (name: string) => new URL(name, base).pathname;
  const meta = await readMetadata(read, shown);
  // ?runtime=tfjs|onnx|onnx-int8 (default: TF.js when the export has it, else ONNX); the selector reloads with it.
  const asked = params.get('runtime') ?? 'auto';
  if (asked !== 'auto' && !RUNTIMES.includes(asked as Runtime)) throw new Error(`?runtime=${asked}: expected one of auto, ${RUNTIMES.join(', ')}`);
  const runtime: Runtime = asked === 'auto' ? (meta.files[MODEL_FILE] ? 'tfjs' : 'onnx') : (asked as Runtime);
  setupRuntimePicker(runtime, meta, params);
  page.runtime = runtime;
  document.body.dataset.runtime = runtime;
  let student: PageStudent;
  let backendLabel: { name: string; fallbackReason?: string };
  if (runtime === 'tfjs') {
    const backend = await initBackend(params.get('backend') ?? 'auto');
    setStatus(`Loading the student (${backend.name} backend)…`);
    const tfjs = await openStudent(read, shown);
    student = {
      meta: tfjs.meta,
      async embed(image) {
        const embedding = tfjs.embedBatch(image);
        try { return Array.from(await embedding.data()); } finally { embedding.dispose(); }
      },
    };
    backendLabel = backend;
  } else {
    // TF.js (CPU) only resizes the image; onnxruntime-web runs the model.
    await initBackend('cpu');
    const ep = params.get('ep') ?? 'auto';
    if (!['auto', 'wasm', 'webgpu'].includes(ep)) throw new Error(`?ep=${ep}: expected auto, wasm or webgpu`);
    setStatus(`Loading the ONNX student (onnxruntime-web)…`);
    const onnx = await openOnnxStudent(read, shown, runtime, ep as OnnxEp | 'auto');
    student = onnx;
    backendLabel = { name: `onnxruntime-web ${onnx.ep}${runtime === 'onnx-int8' ? ', int8' : ''}`, fallbackReason: onnx.fallbackReason };
  }
  page.backend = runtime === 'tfjs' ? backendLabel.name : `onnx-${(student as { ep?: string }).ep}`;
  document.body.dataset.backend = page.backend;
  const gallery = await loadGallery(base, student);
  renderModelInfo(student.meta, backendLabel, gallery?.gallery);

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

/** The runtime selector: the forms this export holds; choosing one reloads the page with ?runtime=. */
function setupRuntimePicker(runtime: Runtime, meta: TintemJson, params: URLSearchParams): void {
  const select = document.getElementById('runtime') as HTMLSelectElement | null;
  if (!select) return;
  const has: Record<Runtime, boolean> = { tfjs: !!meta.files[MODEL_FILE], onnx: !!meta.onnx, 'onnx-int8': !!meta.onnx?.int8 };
  for (const option of Array.from(select.options)) option.disabled = !has[option.value as Runtime];
  select.value = runtime;
  select.addEventListener('change', () => {
    params.set('runtime', select.value);
    location.search = params.toString();
  });
}

main().catch((e: unknown) => {
  const message = (e as Error)?.message ?? String(e);
  setStatus(message, true);
  setState('error', message);
});
