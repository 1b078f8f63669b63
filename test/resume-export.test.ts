import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { schema, type RunningServer } from '@chatpro/server';
import { JOIN_PAGE_SIZE } from '../server/src/realtime/socket.ts';
import { attachmentStream, CHUNK_SIZE, readChunks } from '../server/src/services/attachments.ts';
import { ensurePublicGroup, messagesSince } from '../server/src/services/chat.ts';
import { isCompressed, streamExport } from '../server/src/services/export.ts';
import type { Logger } from '../server/src/logger.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeCast, makeContext, seedMessages, type makeUser } from '../server/src/testing/factories.ts';
import { ask, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { listZip, unzip } from '../server/src/testing/zip.ts';

type User = Awaited<ReturnType<typeof makeUser>>;
const cid = () => randomUUID().replace(/-/g, '');

describeEngines('resume and export paths', (engine) => {
  let server: RunningServer;
  let piero: User;
  let daniele: User;
  let asPiero: TestClient;
  const sockets: ChatSocket[] = [];
  const track = (s: ChatSocket) => (sockets.push(s), s);

  before(async () => {
    server = await startTestServer(engine.options(), { MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) });
    ({ piero, daniele, asPiero } = await makeCast(server, { name: 'Tweppy Srl' }));
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
  });

  async function guestInNewContext() {
    const ctx = await makeContext(server.database.db, piero, { kind: 'email', subject: 'Ordine 4471' }, [piero.id, daniele.id]);
    const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
    const guest = new TestClient(server.url);
    await guest.signIn('external', `guest-${cid().slice(0, 6)}@customer.test`, { name: 'Stefania Nardu' });
    return { ctx, link: link as { token: string }, guest };
  }

  it('resumes with messages exactly as they were broadcast (authors, attachments), a thousand per chat:join', async () => {
    const { link, guest } = await guestInNewContext();
    const form = new FormData();
    form.append('file', new Blob([randomBytes(1000)]), 'foto.jpg');
    form.append('file', new Blob(['uno;due']), 'dati.csv');
    const up = await guest.post(`/api/guest/${link.token}/uploads`, form);
    const g = track(await connectSocket(guest, 'external'));
    const first = await ask(g, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Ecco la foto', attachmentIds: up.body.attachments.map((a: { id: string }) => a.id) });
    const groupId: string = first.message.groupId;
    const p = track(await connectSocket(asPiero, 'internal'));
    await ask(p, 'chat:join', { groupId, sinceSeq: 0 });
    const heard = next(g, 'message:new', (m) => m.body === 'Ricevuta, grazie');
    await ask(p, 'message:send', { groupId, clientId: cid(), body: 'Ricevuta, grazie' });
    const broadcast = await heard;
    // Many more, stored straight in the database (the page size is what is tested here).
    const db = server.database.db;
    const extra = JOIN_PAGE_SIZE + 5;
    await db.insert(schema.messages).values(
      Array.from({ length: extra }, (_, i) => ({ groupId, seq: i + 3, clientId: `bulk-${i}`, authorKind: 'internal' as const, authorUserId: daniele.id, body: `Riga ${i}` })),
    );
    await db.update(schema.groups).set({ lastSeq: extra + 2 }).where(eq(schema.groups.id, groupId));

    const resumed = track(await connectSocket(guest, 'external'));
    const page1 = await ask(resumed, 'chat:join', { linkToken: link.token, sinceSeq: 0 });
    expect(page1.ok).to.equal(true);
    expect(page1.messages).to.have.length(JOIN_PAGE_SIZE);
    expect(page1.hasMore).to.equal(true);
    expect(page1.messages[0]).to.deep.equal(first.message);
    expect(page1.messages[1]).to.deep.equal(broadcast);
    expect(page1.messages[0].attachments.map((a: { fileName: string }) => a.fileName)).to.deep.equal(['foto.jpg', 'dati.csv']);
    expect(page1.messages[2]).to.deep.include({ seq: 3, body: 'Riga 0', author: { kind: 'internal', id: daniele.id, name: 'Daniele Pezzini' }, attachments: [] });
    const page2 = await ask(resumed, 'chat:join', { linkToken: link.token, sinceSeq: page1.messages.at(-1).seq });
    expect(page2.hasMore).to.equal(false);
    expect(page2.messages.map((m: { seq: number }) => m.seq)).to.deep.equal(Array.from({ length: extra + 2 - JOIN_PAGE_SIZE }, (_, i) => JOIN_PAGE_SIZE + 1 + i));
    // An empty page, and the history endpoint's pages of its own size.
    expect(await messagesSince(db, groupId, extra + 2, 50)).to.deep.equal({ messages: [], hasMore: false });
    const history = await asPiero.get(`/api/groups/${groupId}/messages?since=1&limit=2`);
    expect(history.body.messages).to.deep.equal([broadcast, page1.messages[2]]);
    expect(history.body.hasMore).to.equal(true);
  });

  it('exports files of several chunks whole; photos and archives stored, text deflated', async () => {
    const { link, guest } = await guestInNewContext();
    // Past two read batches of 256 KiB chunks, so that reads overlap the compressor.
    // A JPEG's leading bytes (uploads are checked against their declared type), then noise.
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), randomBytes(2 * 1024 * 1024 + 12345)]);
    const text = Buffer.from('riga;ordine;importo\n'.repeat(60_000));
    const form = new FormData();
    form.append('file', new Blob([photo], { type: 'image/jpeg' }), 'foto.jpg');
    form.append('file', new Blob([text], { type: 'text/csv' }), 'ordini.csv');
    const up = await guest.post(`/api/guest/${link.token}/uploads`, form);
    expect(up.status).to.equal(201);
    const g = track(await connectSocket(guest, 'external'));
    await ask(g, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Allegati', attachmentIds: up.body.attachments.map((a: { id: string }) => a.id) });
    const res = await guest.raw('GET', `/api/guest/${link.token}/export`);
    expect(res.status).to.equal(200);
    const zip = Buffer.from(await res.arrayBuffer());
    const files = await unzip(zip);
    expect(files.get('attachments/foto.jpg')!.equals(photo)).to.equal(true);
    expect(files.get('attachments/ordini.csv')!.equals(text)).to.equal(true);
    const how = new Map((await listZip(zip)).map((e) => [e.fileName, e.compressionMethod]));
    expect(how.get('attachments/foto.jpg')).to.equal(0);
    expect(how.get('attachments/ordini.csv')).to.equal(8);
    expect(how.get('chat.txt')).to.equal(8);
    // The download of the same file streams the same bytes.
    const download = await guest.raw('GET', `/api/guest/${link.token}/files/${up.body.attachments[0].id}`);
    expect(download.status).to.equal(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(photo)).to.equal(true);
  });

  it('stops an export whose reader went away, instead of waiting for it forever', async () => {
    const { link, guest } = await guestInNewContext();
    const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), randomBytes(3 * 1024 * 1024)]);
    const form = new FormData();
    for (const name of ['uno.jpg', 'due.jpg', 'tre.jpg']) form.append('file', new Blob([photo], { type: 'image/jpeg' }), name);
    const up = await guest.post(`/api/guest/${link.token}/uploads`, form);
    expect(up.status).to.equal(201);
    const g = track(await connectSocket(guest, 'external'));
    const sent = await ask(g, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Tre foto', attachmentIds: up.body.attachments.map((a: { id: string }) => a.id) });
    // A reader that takes 64 KiB and leaves (a closed tab): it never finishes, it closes.
    let received = 0;
    const out = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        if (received >= 64 * 1024) this.destroy();
        else callback();
      },
    });
    const said: string[] = [];
    const logger = { info: (_o: unknown, msg: string) => said.push(msg), warn: (_o: unknown, msg: string) => said.push(msg) } as unknown as Logger;
    const started = Date.now();
    await streamExport(server.database.db, out, { groupId: sent.message.groupId, subject: 'Ordine 4471', bodyHtml: null, logger });
    expect(said).to.include('export abandoned by the client');
    expect(received).to.be.lessThan(9 * 1024 * 1024);
    expect(Date.now() - started).to.be.lessThan(30_000);
  });

  it('fails an export whose attachment cannot be read, rather than hang or end a whole-looking archive', async () => {
    const { link, guest } = await guestInNewContext();
    const g = track(await connectSocket(guest, 'external'));
    const sent = await ask(g, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Con un allegato illeggibile' });
    let received = 0;
    const out = new Writable({
      write(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        callback();
      },
    });
    const logger = { info: () => {}, warn: () => {} } as unknown as Logger;
    const started = Date.now();
    // A file whose read fails (an id the chunk query refuses), after chat.txt has been written.
    const bodyFiles = [{ id: 'not-a-uuid', fileName: 'contratto.csv', size: 10 }];
    let failed: unknown;
    await streamExport(server.database.db, out, { groupId: sent.message.groupId, subject: 'Ordine 4471', bodyHtml: '<p>corpo</p>', bodyFiles, logger }).catch((err: unknown) => (failed = err));
    expect((failed as Error).message).to.match(/^Bad chunk range: not-a-uuid/);
    expect(received).to.be.greaterThan(0);
    // No central directory, no end: a reader sees a broken download, not a complete archive.
    expect(out.writableEnded).to.equal(false);
    expect(Date.now() - started).to.be.lessThan(30_000);
  });

  it('exports many files whole and in order, and every message across pages (500 a page)', async () => {
    const db = server.database.db;
    const ctx = await makeContext(db, piero, { subject: 'Molti allegati' });
    const group = await ensurePublicGroup(db, ctx.id);
    // More messages than several pages of the export (500 each), a few with files.
    const count = 4321;
    const ids = await seedMessages(db, group, piero, count, (n) => `Riga ${n}`);
    // Sizes around the chunk (256 KiB) and the read batch (4 chunks), stored and deflated.
    const sizes = [1, CHUNK_SIZE, 4 * CHUNK_SIZE, 9 * CHUNK_SIZE + 7, 3 * CHUNK_SIZE - 1, 5 * CHUNK_SIZE];
    const expected = new Map<string, Buffer>();
    for (const [f, size] of sizes.entries()) {
      const photo = f % 2 === 0;
      const data = photo ? randomBytes(size) : Buffer.from(`${f};riga;ordine;importo\n`.repeat(Math.ceil(size / 20))).subarray(0, size);
      const fileName = photo ? `foto-${f}.jpg` : `report-${f}.csv`;
      const [row] = await db
        .insert(schema.attachments)
        .values({ orgId: piero.orgId, contextId: ctx.id, messageId: ids[f * 700]!, uploadedByUserId: piero.id, fileName, contentType: photo ? 'image/jpeg' : 'text/csv', size, complete: true })
        .returning({ id: schema.attachments.id });
      for (let seq = 0, off = 0; off < size; seq++, off += CHUNK_SIZE) {
        await db.insert(schema.attachmentChunks).values({ attachmentId: row!.id, seq, data: data.subarray(off, off + CHUNK_SIZE) });
      }
      expected.set(`attachments/${fileName}`, data);
    }
    const res = await asPiero.raw('GET', `/api/groups/${group.id}/export`);
    expect(res.status).to.equal(200);
    const zip = Buffer.from(await res.arrayBuffer());
    const files = await unzip(zip);
    expect([...files.keys()]).to.deep.equal(['chat.txt', 'corpo.html', ...expected.keys()]);
    for (const [name, data] of expected) expect(files.get(name)!.equals(data), name).to.equal(true);
    const lines = files.get('chat.txt')!.toString().split('\n').filter((l) => l.startsWith('['));
    expect(lines).to.have.length(count);
    expect(lines.map((l) => /: Riga (\d+)/.exec(l)?.[1])).to.deep.equal(Array.from({ length: count }, (_, i) => String(i + 1)));
    expect(lines[2100]).to.match(/: Riga 2101 \[allegati: attachments\/report-3\.csv\]$/);
  });

  it('fails a file whose stored chunks do not add up to its size, in a download and in an export, rather than end it short', async () => {
    const db = server.database.db;
    const ctx = await makeContext(db, piero, { subject: 'File rovinato' });
    const data = randomBytes(3 * CHUNK_SIZE);
    const stored = async (seqs: number[], size: number) => {
      const [row] = await db.insert(schema.attachments).values({ orgId: piero.orgId, contextId: ctx.id, uploadedByUserId: piero.id, fileName: 'rovinato.bin', contentType: 'application/octet-stream', size, complete: true }).returning();
      for (const seq of seqs) await db.insert(schema.attachmentChunks).values({ attachmentId: row!.id, seq, data: data.subarray(seq * CHUNK_SIZE, (seq + 1) * CHUNK_SIZE) });
      return row!;
    };
    const read = async (id: string, size: number) => {
      let bytes = 0;
      for await (const chunk of attachmentStream(db, id, size)) bytes += (chunk as Buffer).length;
      return bytes;
    };
    const whole = await stored([0, 1, 2], data.length);
    expect(await read(whole.id, whole.size)).to.equal(data.length);
    const holed = await stored([0, 2], data.length);
    const truncated = await stored([0, 1], data.length);
    const longer = await stored([0, 1, 2], data.length - 1);
    const failures = await Promise.all([holed, truncated, longer].map((f) => read(f.id, f.size).then(() => null, (err: Error) => err.message)));
    expect(failures[0]).to.match(/chunk 1 is missing/);
    expect(failures[1]).to.match(/of its \d+ bytes stored/);
    expect(failures[2]).to.match(/more than its \d+ bytes/);
    // A download is cut (no whole-looking file); an export fails (no end record).
    const download = await asPiero.raw('GET', `/api/attachments/${holed.id}`);
    expect(download.status).to.equal(200);
    let cut: unknown;
    await download.arrayBuffer().catch((err: unknown) => (cut = err));
    expect(cut, 'the download ended whole-looking').to.be.instanceOf(Error);
    const group = await ensurePublicGroup(db, ctx.id);
    const out = new Writable({ write: (_chunk, _enc, callback) => callback() });
    const logger = { info: () => {}, warn: () => {} } as unknown as Logger;
    let failed: unknown;
    await streamExport(db, out, { groupId: group.id, subject: 'File rovinato', bodyHtml: null, bodyFiles: [{ id: holed.id, fileName: 'rovinato.bin', size: holed.size }], logger }).catch((err: unknown) => (failed = err));
    expect((failed as Error)?.message).to.match(/chunk 1 is missing/);
    expect(out.writableEnded).to.equal(false);
  });

  it('reads chunks the same with a binary COPY (the database) as with a SELECT (a transaction)', async () => {
    const db = server.database.db;
    const ctx = await makeContext(db, piero);
    const data = randomBytes(6 * CHUNK_SIZE + 3);
    const [row] = await db.insert(schema.attachments).values({ orgId: piero.orgId, contextId: ctx.id, uploadedByUserId: piero.id, fileName: 'x.bin', contentType: 'application/octet-stream', size: data.length, complete: true }).returning();
    for (let seq = 0; seq * CHUNK_SIZE < data.length; seq++) await db.insert(schema.attachmentChunks).values({ attachmentId: row!.id, seq, data: data.subarray(seq * CHUNK_SIZE, (seq + 1) * CHUNK_SIZE) });
    for (const [from, limit] of [[0, 4], [4, 4], [6, 4], [7, 4], [2, 1]] as const) {
      const copied = await readChunks(db, row!.id, from, limit);
      const selected = await db.transaction((tx) => readChunks(tx as unknown as typeof db, row!.id, from, limit));
      expect(copied.map((c) => c.seq)).to.deep.equal(selected.map((c) => c.seq));
      for (const [i, c] of copied.entries()) {
        expect(c.data.equals(selected[i]!.data)).to.equal(true);
        expect(c.data.equals(data.subarray(c.seq * CHUNK_SIZE, (c.seq + 1) * CHUNK_SIZE))).to.equal(true);
      }
    }
    expect((await readChunks(db, row!.id, 0, 100)).length).to.equal(7);
    expect(await readChunks(db, randomUUID(), 0, 4)).to.deep.equal([]);
    let refused: unknown;
    await readChunks(db, "x' or true --", 0, 4).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(Error);
  });

  it('keeps no session object on a connected socket, which still works', async () => {
    const { link, guest } = await guestInNewContext();
    const g = track(await connectSocket(guest, 'external'));
    const sent = await ask(g, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Buongiorno' });
    expect(sent.ok).to.equal(true);
    const onServer = [...server.io.of('/').sockets.values()];
    expect(onServer.length).to.be.greaterThan(0);
    for (const s of onServer) expect((s.request as { session?: unknown }).session).to.equal(undefined);
    const joined = await ask(g, 'chat:join', { linkToken: link.token, sinceSeq: 0 });
    expect(joined.messages.map((m: { body: string }) => m.body)).to.include('Buongiorno');
  });
});

describe('isCompressed', () => {
  it('knows compressed files by type or by name, and leaves text to deflate', () => {
    expect(isCompressed({ fileName: 'x.bin', contentType: 'image/jpeg' })).to.equal(true);
    expect(isCompressed({ fileName: 'scan.PDF' })).to.equal(true);
    expect(isCompressed({ fileName: 'offerta.docx', contentType: 'application/octet-stream' })).to.equal(true);
    expect(isCompressed({ fileName: 'note.txt', contentType: 'text/plain' })).to.equal(false);
    expect(isCompressed({ fileName: 'audio.wav', contentType: 'audio/wav' })).to.equal(false);
  });
});
