/**
 * Group commit of the send path (server/src/services/sendBatch.ts): sends of one tick across
 * groups share one statement, yet every message gets its own gap-free seq, once; client ids stay
 * idempotent inside a batch and against stored rows; a merged group fails only its own message;
 * a batch whose commit fails answers errors and leaves nothing; nothing is acknowledged or
 * broadcast before its batch committed.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { schema, type RunningServer } from '@chatpro/server';
import type { Db } from '../server/src/db/index.ts';
import { ensurePublicGroup, type Author } from '../server/src/services/chat.ts';
import { batchExecutor, SendBatcher } from '../server/src/services/sendBatch.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { ask, collect, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

const cid = () => randomUUID().replace(/-/g, '');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEngines('group commit of sends', (engine) => {
  let server: RunningServer;
  let db: Db;
  let author: Author;
  let other: Author;
  let owner: { id: string; orgId: string };

  before(async () => {
    server = await startTestServer(engine.options());
    db = server.database.db;
    const org = await makeOrg(db);
    const u = await makeUser(db, org);
    const v = await makeUser(db, org);
    owner = u;
    author = { kind: 'internal', id: u.id, name: u.name };
    other = { kind: 'internal', id: v.id, name: v.name };
  });
  after(async () => {
    await server?.close();
  });

  async function freshGroup() {
    const ctx = await makeContext(db, owner);
    return ensurePublicGroup(db, ctx.id);
  }

  async function storedSeqs(groupId: string) {
    const rows = await db.select({ seq: schema.messages.seq, clientId: schema.messages.clientId }).from(schema.messages).where(eq(schema.messages.groupId, groupId));
    return rows.sort((a, b) => a.seq - b.seq);
  }

  it('gives many concurrent sends across groups consecutive, gap-free seqs, each once, in few statements', async () => {
    const batcher = new SendBatcher(db, { maxBatch: 64, execute: batchExecutor(server.database) });
    const groups = await Promise.all(Array.from({ length: 8 }, () => freshGroup()));
    const perGroup = 40;
    const sends = groups.flatMap((group) => Array.from({ length: perGroup }, (_, i) => ({ group, author, clientId: cid(), body: `m${i}` })));
    const results = await Promise.all(sends.map((s) => batcher.store(s)));
    expect(results.every((r) => r.created)).to.equal(true);
    for (const group of groups) {
      const rows = await storedSeqs(group.id);
      expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: perGroup }, (_, i) => i + 1));
      const mine = sends.filter((s) => s.group.id === group.id).map((s) => s.clientId);
      expect(rows.map((r) => r.clientId).sort()).to.deep.equal([...mine].sort());
      // Each answer carries the seq that was stored for its client id.
      const bySeq = new Map(rows.map((r) => [r.clientId, r.seq]));
      for (const r of results.filter((x) => x.message.groupId === group.id)) expect(r.message.seq).to.equal(bySeq.get(r.message.clientId));
      const [g] = await db.select().from(schema.groups).where(eq(schema.groups.id, group.id));
      expect(g!.lastSeq).to.equal(perGroup);
    }
    expect(batcher.stats.messages).to.equal(sends.length);
    expect(batcher.stats.batches).to.be.at.most(Math.ceil(sends.length / 64) + 2);
    console.log(`figure: group commit [${engine.engine}] ${sends.length} concurrent sends over ${groups.length} groups in ${batcher.stats.batches} statements`);
  });

  it('runs batches of different groups at once, and never two that share a group (a lane per group)', async () => {
    const real = batchExecutor(server.database);
    const running = new Set<string>();
    let overlapped = 0;
    let shared = 0;
    const batcher = new SendBatcher(db, {
      maxBatch: 8,
      maxInFlight: 4,
      execute: async (d, json) => {
        const mine = new Set((JSON.parse(json) as { group_id: string }[]).map((r) => r.group_id));
        if (running.size > 0) overlapped++;
        for (const g of mine) if (running.has(g)) shared++;
        for (const g of mine) running.add(g);
        try {
          await sleep(5);
          return await real(d, json);
        } finally {
          for (const g of mine) running.delete(g);
        }
      },
    });
    const groups = await Promise.all(Array.from({ length: 12 }, () => freshGroup()));
    const sends = groups.flatMap((group) => Array.from({ length: 10 }, (_, i) => ({ group, author, clientId: cid(), body: `m${i}` })));
    const results = await Promise.all(sends.map((s) => batcher.store(s)));
    expect(results.every((r) => r.created)).to.equal(true);
    expect(shared, 'statements that shared a group').to.equal(0);
    // PGlite runs one statement at a time, but the batcher still hands it several.
    expect(overlapped, 'statements started while another ran').to.be.greaterThan(0);
    for (const group of groups) expect((await storedSeqs(group.id)).map((r) => r.seq)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('answers a client id repeated inside one batch, across batches and from another process with the same message', async () => {
    const batcher = new SendBatcher(db, { execute: batchExecutor(server.database) });
    const group = await freshGroup();
    const id = cid();
    const [a, b, c] = await Promise.all([
      batcher.store({ group, author, clientId: id, body: 'uno' }),
      batcher.store({ group, author, clientId: id, body: 'uno' }),
      batcher.store({ group, author, clientId: cid(), body: 'due' }),
    ]);
    expect(a.created).to.equal(true);
    expect(b.created).to.equal(false);
    expect(b.message.id).to.equal(a.message.id);
    expect(c.message.seq).to.equal(2);
    const again = await batcher.store({ group, author, clientId: id, body: 'uno' });
    expect(again).to.include({ created: false });
    expect(again.message.id).to.equal(a.message.id);
    // Someone else's send with that client id is refused, inside a batch and after it.
    const stolen = await Promise.allSettled([batcher.store({ group, author, clientId: id, body: 'x' }), batcher.store({ group, author: other, clientId: id, body: 'x' })]);
    expect(stolen[0].status).to.equal('fulfilled');
    expect(stolen[1].status === 'rejected' && (stolen[1].reason as { status?: number }).status).to.equal(409);
    // Two batchers (two processes) sending the same new client id at the same moment.
    const second = new SendBatcher(db, { execute: batchExecutor(server.database) });
    for (let round = 0; round < 5; round++) {
      const shared = cid();
      const answers = await Promise.all([batcher.store({ group, author, clientId: shared, body: 'tre' }), second.store({ group, author, clientId: shared, body: 'tre' })]);
      expect(answers[0].message.id).to.equal(answers[1].message.id);
      expect(answers.filter((x) => x.created)).to.have.length(1);
    }
    const rows = await storedSeqs(group.id);
    expect(rows.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses a message to a merged group without failing the rest of its batch', async () => {
    const batcher = new SendBatcher(db, { execute: batchExecutor(server.database) });
    const [merged, live] = [await freshGroup(), await freshGroup()];
    await db.update(schema.groups).set({ mergedInto: live.id }).where(eq(schema.groups.id, merged.id));
    const outcomes = await Promise.allSettled([
      batcher.store({ group: live, author, clientId: cid(), body: 'a' }),
      batcher.store({ group: merged, author, clientId: cid(), body: 'b' }),
      batcher.store({ group: live, author, clientId: cid(), body: 'c' }),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).to.include({ status: 409, code: 'conflict' });
    expect((await storedSeqs(live.id)).map((r) => r.seq)).to.deep.equal([1, 2]);
    expect(await storedSeqs(merged.id)).to.deep.equal([]);
  });

  it('stores a send alone (a batch of one, the usual case) under the rules of a batch', async () => {
    const real = batchExecutor(server.database);
    const sizes: number[] = [];
    const batcher = new SendBatcher(db, {
      execute: (d, json) => {
        sizes.push((JSON.parse(json) as unknown[]).length);
        return real(d, json);
      },
    });
    const group = await freshGroup();
    const first = await batcher.store({ group, author, clientId: cid(), body: 'uno' });
    expect(first).to.include({ created: true });
    expect(first.message).to.include({ seq: 1, body: 'uno', groupId: group.id });
    expect(first.message.author).to.include({ kind: 'internal', id: author.id });
    const second = await batcher.store({ group, author, clientId: cid(), body: 'due' });
    expect(second.message.seq).to.equal(2);
    // A client id stored before: the earlier message, and no seq taken.
    const again = await batcher.store({ group, author, clientId: first.message.clientId, body: 'uno' });
    expect(again).to.include({ created: false });
    expect(again.message.id).to.equal(first.message.id);
    // ... someone else's: refused.
    const stolen = await batcher.store({ group, author: other, clientId: first.message.clientId, body: 'x' }).catch((err: unknown) => err);
    expect(stolen).to.include({ status: 409 });
    // A text PostgreSQL refuses fails alone and takes no seq.
    const nul = await batcher.store({ group, author, clientId: cid(), body: 'nul \u0000 inside' }).catch((err: unknown) => err);
    expect(nul).to.be.an('error');
    // A guest's message carries its author.
    const [guest] = await db.insert(schema.externalUsers).values({ provider: 'google', subject: cid(), email: `g-${cid().slice(0, 8)}@customer.test`, name: 'Mario Rossi' }).returning();
    const fromGuest = await batcher.store({ group, author: { kind: 'external', id: guest!.id, name: guest!.name }, clientId: cid(), body: 'tre' });
    expect(fromGuest.message.seq).to.equal(3);
    const [row] = await db.select().from(schema.messages).where(eq(schema.messages.id, fromGuest.message.id));
    expect(row).to.include({ authorKind: 'external', authorExternalId: guest!.id, authorUserId: null, seq: 3 });
    // A merged group: refused, nothing stored, its seq untouched.
    const live = await freshGroup();
    await db.update(schema.groups).set({ mergedInto: live.id }).where(eq(schema.groups.id, group.id));
    const merged = await batcher.store({ group, author, clientId: cid(), body: 'quattro' }).catch((err: unknown) => err);
    expect(merged).to.include({ status: 409, code: 'conflict' });
    expect((await storedSeqs(group.id)).map((r) => r.seq)).to.deep.equal([1, 2, 3]);
    const [g] = await db.select().from(schema.groups).where(eq(schema.groups.id, group.id));
    expect(g!.lastSeq).to.equal(3);
    // Every one of them was a batch of its own.
    expect(sizes.every((n) => n === 1), `batch sizes ${sizes.join(', ')}`).to.equal(true);
    expect(sizes).to.have.length(7);
  });

  it('fails only the message whose text PostgreSQL refuses, and stores the rest of its batch', async () => {
    const batcher = new SendBatcher(db, { execute: batchExecutor(server.database) });
    const group = await freshGroup();
    const outcomes = await Promise.allSettled([
      batcher.store({ group, author, clientId: cid(), body: 'prima' }),
      batcher.store({ group, author, clientId: cid(), body: 'nul \u0000 inside' }),
      batcher.store({ group, author, clientId: cid(), body: 'lone \ud800 surrogate' }),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    const rows = await db.select().from(schema.messages).where(eq(schema.messages.groupId, group.id));
    expect(rows.map((r) => [r.seq, r.body]).sort()).to.deep.equal([
      [1, 'prima'],
      [2, 'lone \ufffd surrogate'],
    ]);
  });
  it('commits a batch on its own, never inside a transaction of someone else that is open meanwhile', async () => {
    // On PGlite (one session) the prepared batch must wait for the transaction to end: run in the
    // middle of it, the batch would be rolled back with it after its sender was answered.
    const batcher = new SendBatcher(db, { execute: batchExecutor(server.database) });
    const group = await freshGroup();
    let stored: Promise<unknown> | undefined;
    let storedBeforeRollback = false;
    const rolledBack = db
      .transaction(async (tx) => {
        await tx.insert(schema.messages).values({ groupId: group.id, seq: 1000, clientId: cid(), authorKind: 'internal', authorUserId: author.id, body: 'rolled back' });
        stored = batcher.store({ group, author, clientId: cid(), body: 'kept' }).then(() => {
          storedBeforeRollback = true;
        });
        await sleep(150);
        tx.rollback();
      })
      .catch((err: unknown) => err);
    await rolledBack;
    // PGlite has one session: the batch had to wait. PostgreSQL's pool gives it another connection.
    if (engine.engine === 'pglite') expect(storedBeforeRollback, 'answered while the transaction was open').to.equal(false);
    await stored;
    expect((await db.select({ body: schema.messages.body }).from(schema.messages).where(eq(schema.messages.groupId, group.id))).map((r) => r.body)).to.deep.equal(['kept']);
  });


  describe('through the sockets', () => {
    let groupId: string;
    let guestSocket: ChatSocket;
    let pieroSocket: ChatSocket;

    before(async () => {
      const org = await makeOrg(db);
      const piero = await makeUser(db, org, { name: 'Piero Fanti' });
      const ctx = await makeContext(db, piero, { kind: 'email', subject: 'Preventivo' }, [piero.id]);
      const asPiero = new TestClient(server.url);
      await asPiero.signIn('internal', piero.email);
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const guest = new TestClient(server.url);
      await guest.signIn('external', `guest-${cid().slice(0, 8)}@customer.test`, { name: 'Mario Rossi' });
      guestSocket = await connectSocket(guest);
      pieroSocket = await connectSocket(asPiero);
      const first = await ask(guestSocket, 'message:send', { linkToken: (link as { token: string }).token, clientId: cid(), body: 'Buongiorno' });
      expect(first.ok, JSON.stringify(first)).to.equal(true);
      groupId = first.message.groupId;
      await ask(pieroSocket, 'chat:join', { groupId, sinceSeq: 0 });
      await ask(guestSocket, 'chat:join', { groupId, sinceSeq: 0 });
    });
    after(() => {
      guestSocket?.disconnect();
      pieroSocket?.disconnect();
    });

    const count = async () => (await db.select({ n: sql<number>`count(*)::integer` }).from(schema.messages).where(eq(schema.messages.groupId, groupId)))[0]!.n;

    it('acknowledges and broadcasts nothing before the batch committed', async () => {
      const batcher = server.chat.batcher;
      const real = batcher.execute;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      batcher.execute = async (d, json) => {
        await gate;
        return real(d, json);
      };
      try {
        const heard = collect<{ clientId: string; seq: number }>(pieroSocket, 'message:new');
        let acked = false;
        const id = cid();
        const ack = ask(guestSocket, 'message:send', { groupId, clientId: id, body: 'Attendo' }).then((a) => ((acked = true), a));
        await sleep(300);
        expect(acked).to.equal(false);
        expect(heard).to.deep.equal([]);
        expect(await count()).to.equal(1);
        const broadcast = next<{ clientId: string }>(pieroSocket, 'message:new', (m) => m.clientId === id);
        open();
        expect((await ack).ok).to.equal(true);
        await broadcast;
        const [row] = await db.select().from(schema.messages).where(and(eq(schema.messages.groupId, groupId), eq(schema.messages.clientId, id)));
        expect(row?.seq).to.equal(2);
      } finally {
        batcher.execute = real;
      }
    });

    it('stores a guest’s message and its notifications in one commit, and tells the members at once', async () => {
      const notifications = async (messageId: string) => db.select().from(schema.notifications).where(eq(schema.notifications.messageId, messageId));
      const id = cid();
      const told = next<{ message: { id: string; body: string } | null; contextSubject: string }>(pieroSocket, 'notification:new', (n) => n.message?.body === 'Subito?');
      const ack = await ask(guestSocket, 'message:send', { groupId, clientId: id, body: 'Subito?' });
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
      // Read as soon as the ack came: the after-send round (50 ms on PostgreSQL, 250 on PGlite)
      // has not run yet, and the notification is already there.
      const rows = await notifications(ack.message.id);
      expect(rows.map((r) => ({ kind: r.kind, groupId: r.groupId, readAt: r.readAt }))).to.deep.equal([{ kind: 'message', groupId, readAt: null }]);
      const live = await told;
      expect(live).to.deep.include({ id: rows[0]!.id, contextSubject: 'Preventivo' });
      // A retry of the same client id answers the message and notifies nobody again.
      const again = await ask(guestSocket, 'message:send', { groupId, clientId: id, body: 'Subito?' });
      expect(again.message.id).to.equal(ack.message.id);
      await server.chat.settle();
      expect(await notifications(ack.message.id)).to.have.length(1);
      // An internal user's message notifies nobody.
      const own = await ask(pieroSocket, 'message:send', { groupId, clientId: cid(), body: 'Arrivo' });
      expect(await notifications(own.message.id)).to.deep.equal([]);
    });

    it('writes and tells a guest’s notifications on the one-message path too (a batch replayed message by message)', async () => {
      const batcher = server.chat.batcher;
      const real = batcher.execute;
      // A serialization failure: the batcher replays each of its messages alone, through storeMessage.
      batcher.execute = () => Promise.reject(Object.assign(new Error('could not serialize access'), { code: '40001' }));
      try {
        const replayedBefore = batcher.stats.replayed;
        const told = next<{ message: { id: string; body: string } | null }>(pieroSocket, 'notification:new', (n) => n.message?.body === 'Di nuovo io');
        const ack = await ask(guestSocket, 'message:send', { groupId, clientId: cid(), body: 'Di nuovo io' });
        expect(ack.ok, JSON.stringify(ack)).to.equal(true);
        expect(batcher.stats.replayed).to.equal(replayedBefore + 1);
        const rows = await db.select().from(schema.notifications).where(eq(schema.notifications.messageId, ack.message.id));
        expect(rows).to.have.length(1);
        expect((await told).message!.id).to.equal(ack.message.id);
      } finally {
        batcher.execute = real;
      }
    });

    it('answers every sender of a batch whose commit fails with an error, and stores nothing of it', async () => {
      const batcher = server.chat.batcher;
      const real = batcher.execute;
      // The statement runs for real, then its transaction is rolled back: a commit that fails.
      batcher.execute = (d, json) =>
        d.transaction(async (tx) => {
          await tx.execute(SendBatcher.statement(json));
          throw new Error('commit failed');
        });
      const heard = collect<{ clientId: string }>(pieroSocket, 'message:new');
      const before = await count();
      const notifiedBefore = (await db.select().from(schema.notifications).where(eq(schema.notifications.groupId, groupId))).length;
      const [gSeq] = await db.select({ s: schema.groups.lastSeq }).from(schema.groups).where(eq(schema.groups.id, groupId));
      try {
        const ids = [cid(), cid(), cid()];
        const acks = await Promise.all([
          ask(guestSocket, 'message:send', { groupId, clientId: ids[0], body: 'uno' }),
          ask(pieroSocket, 'message:send', { groupId, clientId: ids[1], body: 'due' }),
          ask(guestSocket, 'message:send', { groupId, clientId: ids[2], body: 'tre' }),
        ]);
        for (const a of acks) expect(a).to.deep.include({ ok: false, error: { code: 'internal_error', message: 'Something went wrong on our side' } });
        await sleep(100);
        expect(heard).to.deep.equal([]);
        expect(await count()).to.equal(before);
        expect(await db.select().from(schema.messages).where(inArray(schema.messages.clientId, ids))).to.deep.equal([]);
        // Nor any notification of the guest's two messages.
        expect((await db.select().from(schema.notifications).where(eq(schema.notifications.groupId, groupId))).length).to.equal(notifiedBefore);
        const [after] = await db.select({ s: schema.groups.lastSeq }).from(schema.groups).where(eq(schema.groups.id, groupId));
        expect(after!.s).to.equal(gSeq!.s);
      } finally {
        batcher.execute = real;
      }
      // The next send takes the next seq: nothing of the failed batch left a gap.
      const ok = await ask(guestSocket, 'message:send', { groupId, clientId: cid(), body: 'di nuovo' });
      expect(ok.message.seq).to.equal(gSeq!.s + 1);
      await server.chat.settle();
    });
  });
});
