/**
 * Export: a group with `messages` messages and `attachmentBytes` of attachments (half photos,
 * which do not compress, half CSV reports, which do), exported by an internal user through
 * GET /api/groups/:id/export from a server in its own process. Figures: the time to the last
 * byte, and the server's RSS growth (peak during the export − RSS before it, read from /proc),
 * each against a plain archiver run over the same entries (taken from the export itself, so the
 * bytes are the same) with the same per-entry settings, in a process of its own too, and
 * downloaded the same way (HTTP on loopback, into a file).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { get, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { Db } from '../server/src/db/index.ts';
import { attachmentChunks, attachments } from '../server/src/db/schema.ts';
import { CHUNK_SIZE } from '../server/src/services/attachments.ts';
import { ensurePublicGroup } from '../server/src/services/chat.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser, seedMessages } from '../server/src/testing/factories.ts';
import { benchServer, collectGarbage, MiB, round, sampleRss, rssOf, spawnScript, withDatabase, type Engine, type Figure } from './lib.ts';

const FILE_SIZE = 2 * MiB;

/** A CSV report: text that deflates well, but not trivially. */
function csv(bytes: number, seed: number): Buffer {
  const cities = ['Milano', 'Torino', 'Bologna', 'Napoli', 'Verona', 'Padova', 'Bari'];
  const lines: string[] = ['riga;ordine;data;importo;consegna'];
  let size = lines[0]!.length + 1;
  for (let i = 0; size < bytes; i++) {
    const n = (seed * 7919 + i * 104729) % 1_000_003;
    const line = `${i};ORD-${n};2026-${String((n % 12) + 1).padStart(2, '0')}-${String((n % 28) + 1).padStart(2, '0')};${(n % 99_999) / 100} EUR;${cities[n % cities.length]}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, bytes);
}

export async function seed(db: Db, count: number, attachmentBytes: number) {
  const org = await makeOrg(db);
  const user = await makeUser(db, org, { name: 'Piero Fanti' });
  const ctx = await makeContext(db, user, { subject: 'Export bench', bodyHtml: '<p>Ordine e consegne</p>' });
  const group = await ensurePublicGroup(db, ctx.id);
  const files = Math.max(1, Math.round(attachmentBytes / FILE_SIZE));
  const every = Math.max(1, Math.floor(count / files));
  const ids = await seedMessages(db, group, user, count, (n) => `Messaggio ${n}: la merce è partita stamattina, consegna prevista entro venerdì.`);
  for (let f = 0; f < files; f++) {
    const photo = f % 2 === 0;
    const data = photo ? randomBytes(FILE_SIZE) : csv(FILE_SIZE, f);
    const [row] = await db
      .insert(attachments)
      .values({
        orgId: org.id,
        contextId: ctx.id,
        messageId: ids[Math.min(ids.length - 1, f * every)]!,
        uploadedByUserId: user.id,
        fileName: photo ? `foto-${f}.jpg` : `report-${f}.csv`,
        contentType: photo ? 'image/jpeg' : 'text/csv',
        size: data.length,
        complete: true,
      })
      .returning({ id: attachments.id });
    for (let seq = 0, off = 0; off < data.length; seq++, off += CHUNK_SIZE) {
      await db.insert(attachmentChunks).values({ attachmentId: row!.id, seq, data: data.subarray(off, off + CHUNK_SIZE) });
    }
  }
  return { user, groupId: group.id, files };
}

interface ZipEntry {
  name: string;
  size: number;
  store: boolean;
}

/** Writes every entry of a zip file under `dir`, in the zip's order; answers them. */
async function extract(zipPath: string, dir: string): Promise<ZipEntry[]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(zipPath, { lazyEntries: true }, (err, z) => (err ? reject(err) : resolve(z!))));
  const entries: ZipEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const file = path.join(dir, String(entries.length));
        entries.push({ name: entry.fileName, size: entry.uncompressedSize, store: entry.compressionMethod === 0 });
        pipeline(stream!, createWriteStream(file)).then(() => zip.readEntry(), reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/**
 * GET `url` into the file `to` with node:http, as a browser's download would, but with less of
 * the bench's own CPU than fetch and web streams take (the client shares the server's 2 cores).
 */
async function download(url: string, cookie: string, to: string): Promise<void> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => get(url, { headers: { cookie } }, resolve).on('error', reject));
  if (res.statusCode !== 200) {
    res.resume();
    throw new Error(`export answered ${res.statusCode}`);
  }
  await pipeline(res, createWriteStream(to));
}

/**
 * `runs` downloads of `url` into `to`, each after `settle()`: the time to the last byte, and the
 * serving process's RSS growth (its peak meanwhile − its RSS before).
 */
async function timedDownloads(runs: number, pid: number, settle: () => Promise<unknown>, url: string, cookie: string, to: string): Promise<{ ms: number; growth: number }[]> {
  const out: { ms: number; growth: number }[] = [];
  for (let r = 0; r < runs; r++) {
    await settle();
    const before = rssOf(pid).rss;
    const sampler = sampleRss(pid);
    const start = performance.now();
    await download(url, cookie, to);
    out.push({ ms: performance.now() - start, growth: sampler.stop() - before });
  }
  return out;
}

export async function measureExport(engine: Engine, opts: { messages: number; attachmentBytes: number; runs: number }): Promise<Figure[]> {
  const seedStart = performance.now();
  return withDatabase(
    engine,
    (db) => seed(db, opts.messages, opts.attachmentBytes),
    async ({ url }, { user, groupId, files }) => {
      const seeded = (performance.now() - seedStart) / 1000;
      const dir = mkdtempSync(path.join(tmpdir(), 'chatpro-bench-export-'));
      const server = await benchServer(url);
      let baseline: Awaited<ReturnType<typeof spawnScript>> | undefined;
      try {
        const client = new TestClient(server.url);
        await client.signIn('internal', user.email);
        const zipPath = path.join(dir, 'export.zip');
        const product = await timedDownloads(opts.runs, server.child.pid!, () => collectGarbage(server.child), `${server.url}/api/groups/${groupId}/export`, client.cookieHeader(), zipPath);
        // The export is right (every file, whole), and its entries are the floor's input.
        const entryDir = path.join(dir, 'entries');
        mkdirSync(entryDir);
        const entries = await extract(zipPath, entryDir);
        const attachmentsOut = entries.filter((e) => e.name.startsWith('attachments/'));
        if (attachmentsOut.length !== files || attachmentsOut.some((e) => e.size !== FILE_SIZE)) {
          throw new Error(`the export holds ${attachmentsOut.length} of ${files} attachments, or some are cut`);
        }
        const chatLines = entries.find((e) => e.name === 'chat.txt');
        if (!chatLines) throw new Error('the export has no chat.txt');
        const manifest = entries.map((e, i) => ({ path: path.join(entryDir, String(i)), name: e.name, store: e.store }));
        baseline = await spawnScript('plainArchiver.ts', [], /ready (\d+)\n/, { nodeArgs: ['--expose-gc'], stdin: JSON.stringify(manifest) });
        const floorUrl = `http://127.0.0.1:${baseline.match[1]}/`;
        const floorZip = path.join(dir, 'floor.zip');
        // It collects its garbage after each archive (see plainArchiver.ts); this waits for that.
        const floor = await timedDownloads(opts.runs, baseline.child.pid!, () => new Promise((resolve) => setTimeout(resolve, 300)), floorUrl, '', floorZip);
        const best = (xs: { ms: number }[]) => Math.min(...xs.map((x) => x.ms));
        const worstGrowth = (xs: { growth: number }[]) => Math.max(...xs.map((x) => x.growth));
        const ratio = best(product) / best(floor);
        const growth = worstGrowth(product) / MiB;
        const stored = entries.filter((e) => e.store).length;
        const zipMiB = (file: string) => round(statSync(file).size / MiB, 1);
        const what = `${opts.messages} messages, ${files} × 2 MiB attachments (${round((files * FILE_SIZE) / MiB, 0)} MiB; ${stored} of ${entries.length} entries stored, the rest deflated at level 6; zip ${zipMiB(zipPath)} MiB, archiver's ${zipMiB(floorZip)} MiB; both downloaded over HTTP); seeded in ${round(seeded, 0)} s`;
        return [
          {
            engine,
            measure: 'export: time vs plain archiver',
            value: round(ratio, 2),
            unit: '×',
            target: '≤ 1.25× plain archiver',
            pass: ratio <= 1.25,
            detail: `${what}; export best of ${opts.runs}: ${round(best(product), 0)} ms (${product.map((p) => round(p.ms, 0)).join(', ')}), archiver alone: ${round(best(floor), 0)} ms (${floor.map((p) => round(p.ms, 0)).join(', ')})`,
          },
          {
            engine,
            measure: 'export: server RSS growth',
            value: round(growth, 1),
            unit: 'MiB',
            target: '≤ 64 MiB',
            pass: growth <= 64,
            detail: `peak − before, worst of ${opts.runs} (${product.map((p) => round(p.growth / MiB, 1)).join(', ')} MiB); archiver alone grew ${floor.map((p) => round(p.growth / MiB, 1)).join(', ')} MiB`,
          },
        ];
      } finally {
        await baseline?.stop();
        await server.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}
