/**
 * Draws the add-in's icons (a speech bubble on the ChatPro blue) as PNG files, so that they can be
 * remade at any size without an image editor. Run by hand when the design changes:
 * `node --import tsx outlook-addin/scripts/icons.ts`; the outputs are committed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) row.set(pixel(x, y), 1 + x * 4);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** Coverage (0..1) of a shape sampled 4×4 per pixel, for smooth edges. */
function cover(x: number, y: number, size: number, inside: (u: number, v: number) => boolean): number {
  let hits = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (inside((x + (i + 0.5) / 4) / size, (y + (j + 0.5) / 4) / size)) hits++;
  return hits / 16;
}
const roundedSquare = (u: number, v: number) => {
  const r = 0.2;
  const dx = Math.max(r - u, 0, u - (1 - r));
  const dy = Math.max(r - v, 0, v - (1 - r));
  return dx * dx + dy * dy <= r * r;
};
/** A speech bubble: an ellipse with a tail at the bottom left. */
const bubble = (u: number, v: number) => {
  const inEllipse = ((u - 0.5) / 0.34) ** 2 + ((v - 0.45) / 0.26) ** 2 <= 1;
  const inTail = v >= 0.6 && v <= 0.82 && u >= 0.26 && u <= 0.42 && u - 0.26 <= (0.82 - v) * 0.9;
  return inEllipse || inTail;
};
const dots = (u: number, v: number) => [0.36, 0.5, 0.64].some((cx) => (u - cx) ** 2 + (v - 0.45) ** 2 <= 0.045 ** 2);

const BLUE: [number, number, number] = [37, 99, 235];

function colorIcon(size: number): Buffer {
  return png(size, (x, y) => {
    const bg = cover(x, y, size, roundedSquare);
    const fg = cover(x, y, size, (u, v) => bubble(u, v) && !dots(u, v));
    const mix = (c: number) => Math.round(c * (1 - fg) + 255 * fg);
    return [mix(BLUE[0]), mix(BLUE[1]), mix(BLUE[2]), Math.round(255 * bg)];
  });
}
/** Teams/Microsoft 365 outline icon: white on transparent. */
function outlineIcon(size: number): Buffer {
  return png(size, (x, y) => [255, 255, 255, Math.round(255 * cover(x, y, size, (u, v) => bubble(u, v) && !dots(u, v)))]);
}

const root = path.resolve(import.meta.dirname, '..');
for (const size of [16, 32, 64, 80, 128]) writeFileSync(path.join(root, 'public/icons', `icon-${size}.png`), colorIcon(size));
writeFileSync(path.join(root, 'manifest/color.png'), colorIcon(192));
writeFileSync(path.join(root, 'manifest/outline.png'), outlineIcon(32));
