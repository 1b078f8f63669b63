/**
 * The export's floor: archiver alone over the same entries (files on disk, read as streams, in
 * the same order, each stored or deflated at level 6 as the export did), into a sink that only
 * counts. Reads the entry list (JSON) from stdin, prints `ready`, then archives once per SIGUSR1
 * and prints `done <ms> <bytes>`. Run with --expose-gc so that each run starts from a clean heap.
 */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import archiver from 'archiver';

interface Entry {
  path: string;
  name: string;
  store: boolean;
}

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const entries = JSON.parse(Buffer.concat(chunks).toString()) as Entry[];
const gc = (globalThis as { gc?: () => void }).gc;

async function run(): Promise<void> {
  const start = performance.now();
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  // What the export wrote with before its own writer: archiver, deflating at level 6.
  const zip = archiver('zip', { zlib: { level: 6 } });
  const done = new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    sink.on('finish', resolve);
  });
  zip.pipe(sink);
  for (const e of entries) zip.append(createReadStream(e.path), { name: e.name, store: e.store });
  await zip.finalize();
  await done;
  process.stdout.write(`done ${(performance.now() - start).toFixed(1)} ${bytes}\n`);
  gc?.();
}

let running = Promise.resolve();
process.on('SIGUSR1', () => {
  running = running.then(run, run);
});
gc?.();
process.stdout.write('ready\n');
setInterval(() => {}, 1 << 30);
