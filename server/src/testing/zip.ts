/** Reads a whole .zip (from an export) back, for assertions: yauzl, an independent reader. */
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

/** An entry as the central directory describes it, with its bytes. */
export interface ReadEntry {
  entry: yauzl.Entry;
  data: Buffer;
}

const open = (buffer: Buffer) =>
  new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z!))));

/** The central directory's entries, without reading any data (which need not be there). */
export async function listZip(buffer: Buffer): Promise<yauzl.Entry[]> {
  const zip = await open(buffer);
  const entries: yauzl.Entry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/**
 * Every entry, in the central directory's order, with its bytes inflated. yauzl checks sizes but
 * not CRC-32s: this does, and fails on an entry whose bytes do not match the CRC it was given.
 */
export async function readZip(buffer: Buffer): Promise<ReadEntry[]> {
  const zip = await open(buffer);
  const entries: ReadEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream!.on('data', (c: Buffer) => chunks.push(c));
        stream!.on('error', reject);
        stream!.on('end', () => {
          const data = Buffer.concat(chunks);
          if (crc32(data) !== entry.crc32) return reject(new Error(`CRC-32 mismatch in ${entry.fileName}: ${crc32(data)} read, ${entry.crc32} recorded`));
          entries.push({ entry, data });
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/** Entry name → bytes. */
export async function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  return new Map((await readZip(buffer)).map((e) => [e.entry.fileName, e.data]));
}
