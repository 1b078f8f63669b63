/**
 * The export's floor: archiver alone over the same entries (files on disk, read as streams, in
 * the same order, each stored or deflated at level 6 as the export did), served the way the
 * export is: over HTTP on loopback, to the same download as the product's, so that the two
 * differ only in what makes the archive (the product reads the database and writes chat.txt and
 * its own ZIP; this reads files into archiver). Reads the entry list (JSON) from stdin, listens,
 * prints `ready <port>`; each GET / is one archive. Run with --expose-gc: the heap is collected
 * after each archive, so that one run's garbage does not count for the next.
 */
import { createReadStream } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/zip' });
  const zip = archiver('zip', { zlib: { level: 6 } });
  zip.on('error', (err) => res.destroy(err));
  res.on('close', () => gc?.());
  zip.pipe(res);
  for (const e of entries) zip.append(createReadStream(e.path), { name: e.name, store: e.store });
  void zip.finalize();
});
gc?.();
server.listen(0, '127.0.0.1', () => process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`));
