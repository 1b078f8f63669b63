import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CollectionPacer, COLLECT_EVERY_BYTES } from './memory.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A process that makes 48 MiB of garbage buffers (under V8's own 64 MiB trigger), counts 8 MiB
 * streamed on the real pacer, and prints whether the pacer is on and the array buffers' MiB
 * before and a moment after.
 */
const PROBE = `
const { streamedFiles } = await import('./server/src/memory.ts');
const mib = () => Math.round(process.memoryUsage().arrayBuffers / 1048576);
for (let i = 0; i < 48; i++) Buffer.allocUnsafeSlow(1048576).fill(i);
const before = mib();
streamedFiles.streamed(${COLLECT_EVERY_BYTES});
// V8 frees the dead buffers' memory on a background thread, right after the collection.
await new Promise((resolve) => setTimeout(resolve, 300));
console.log(JSON.stringify({ enabled: streamedFiles.enabled, before, after: mib() }));
`;

/**
 * A process that counts the collections the pacer asks for (node's own gc, wrapped before the
 * pacer takes it) while a 20 MiB file goes through the real upload path (storeFile) into a PGlite
 * database and back out through the one downloads, exports and mail read (attachmentStream).
 */
const FILES_PROBE = `
const real = globalThis.gc;
let collections = 0;
globalThis.gc = (options) => { collections++; return real(options); };
const { Readable } = await import('node:stream');
const { openDatabase } = await import('./server/src/db/index.ts');
const { storeFile, attachmentStream } = await import('./server/src/services/attachments.ts');
const { makeOrg, makeUser } = await import('./server/src/testing/factories.ts');
const database = await openDatabase({ kind: 'pglite', dataDir: null });
const org = await makeOrg(database.db);
const user = await makeUser(database.db, org);
const bytes = Buffer.alloc(20 * 1048576, 7);
const upload = Readable.from(Array.from({ length: 320 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)));
const row = await storeFile(database.db, upload, { filename: 'big.bin', encoding: '7bit', mimeType: 'application/octet-stream' }, { orgId: org.id, uploadedByUserId: user.id }, 25 * 1048576, 0);
const afterUpload = collections;
let read = 0;
for await (const chunk of attachmentStream(database.db, row.id, row.size)) read += chunk.length;
console.log(JSON.stringify({ size: row.size, read, afterUpload, afterDownload: collections - afterUpload }));
await database.close();
`;

async function probe(nodeArgs: string[]): Promise<{ enabled: boolean; before: number; after: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', PROBE], { cwd: root });
  return JSON.parse(stdout) as { enabled: boolean; before: number; after: number };
}

describe('collections paced by streamed bytes (memory.ts)', () => {
  it('counts what the upload path and the stored-file stream carry, together: one collection every 8 MiB', async function () {
    this.timeout(60_000);
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', FILES_PROBE], { cwd: root });
    const seen = JSON.parse(stdout) as { size: number; read: number; afterUpload: number; afterDownload: number };
    // 20 MiB in: collections at 8 and 16; 20 MiB out: at 24, 32 and 40 (the count runs on across both).
    expect(seen).to.deep.equal({ size: 20 * 1048576, read: 20 * 1048576, afterUpload: 2, afterDownload: 3 });
  });

  it('collects once every so many bytes, counting from the last time', () => {
    let collections = 0;
    const pacer = new CollectionPacer(100, () => collections++);
    expect(pacer.enabled).to.equal(true);
    pacer.streamed(60);
    pacer.streamed(39);
    expect(collections).to.equal(0);
    pacer.streamed(1);
    expect(collections).to.equal(1);
    pacer.streamed(99);
    expect(collections).to.equal(1);
    pacer.streamed(500); // one big chunk is one collection, not five
    expect(collections).to.equal(2);
    pacer.streamed(100);
    expect(collections).to.equal(3);
  });

  it('does nothing when the runtime offers no collection', () => {
    const pacer = new CollectionPacer(1, null);
    expect(pacer.enabled).to.equal(false);
    expect(() => pacer.streamed(1_000_000)).not.to.throw();
  });

  it('frees garbage buffers with a young collection when node runs with --expose-gc, and is off without it', async function () {
    this.timeout(30_000);
    const on = await probe(['--expose-gc']);
    expect(on.enabled).to.equal(true);
    expect(on.before, 'the garbage was there').to.be.at.least(40);
    expect(on.after, 'and the collection freed it').to.be.below(16);
    const off = await probe([]);
    expect(off.enabled).to.equal(false);
    expect(off.after, 'nothing collected it').to.be.at.least(40);
  });
});
