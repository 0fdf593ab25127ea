/**
 * A contact sheet: one image under every corruption (rows) and severity (columns), upscaled with nearest
 * neighbour so small images stay legible, labelled through an SVG overlay that sharp composites.
 */
import sharp from 'sharp';
import { corruptImage, corruptionNames } from './apply.js';
import type { Image } from './image.js';
import type { CorruptionName } from './params.js';

export interface ContactSheetOptions {
  corruptions?: readonly CorruptionName[];
  severities?: readonly number[];
  seed: number;
  /** Minimum cell side in pixels (the image is upscaled by an integer factor to reach it). Default 112. */
  minCell?: number;
  /** A line printed above the grid (e.g. the image's source). */
  title?: string;
}

const LABEL_WIDTH = 170;
const HEADER = 26;
const GAP = 4;

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[ch]!);
}

/** Renders the sheet as PNG bytes. The first column is the clean image. */
export async function renderContactSheet(img: Image, opts: ContactSheetOptions): Promise<Buffer> {
  const corruptions = opts.corruptions ?? corruptionNames;
  const severities = opts.severities ?? [1, 2, 3, 4, 5];
  const scale = Math.max(1, Math.ceil((opts.minCell ?? 112) / Math.max(img.height, img.width)));
  const cellH = img.height * scale;
  const cellW = img.width * scale;
  const titleH = opts.title ? HEADER : 0;
  const cols = severities.length + 1;
  const width = LABEL_WIDTH + cols * (cellW + GAP);
  const height = titleH + HEADER + corruptions.length * (cellH + GAP);
  const canvas = new Uint8Array(width * height * 3).fill(255);

  const paste = (cell: Image, row: number, col: number) => {
    const ox = LABEL_WIDTH + col * (cellW + GAP);
    const oy = titleH + HEADER + row * (cellH + GAP);
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      for (let x = 0; x < cellW; x++) {
        const s = (sy * cell.width + Math.floor(x / scale)) * cell.channels;
        const o = ((oy + y) * width + ox + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const v = cell.data[s + (cell.channels === 3 ? ch : 0)]!;
          canvas[o + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  };

  for (let row = 0; row < corruptions.length; row++) {
    paste(img, row, 0);
    for (let k = 0; k < severities.length; k++) paste(await corruptImage(img, corruptions[row]!, severities[k]!, opts.seed), row, k + 1);
  }

  const text: string[] = [];
  const label = (x: number, y: number, s: string, anchor = 'start') =>
    text.push(`<text x="${x}" y="${y}" text-anchor="${anchor}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="15" fill="#111">${escapeXml(s)}</text>`);
  if (opts.title) label(8, 18, opts.title);
  ['clean', ...severities.map((s) => `severity ${s}`)].forEach((s, col) => label(LABEL_WIDTH + col * (cellW + GAP) + cellW / 2, titleH + 18, s, 'middle'));
  corruptions.forEach((c, row) => label(8, titleH + HEADER + row * (cellH + GAP) + cellH / 2 + 5, c));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text.join('')}</svg>`;

  return sharp(canvas, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
