/**
 * Several server processes on one PostgreSQL database: a message sent through any process reaches
 * the sockets of every process, and a process killed mid-conversation loses nothing acknowledged.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { and, eq, inArray } from 'drizzle-orm';
import pg from 'pg';
import { schema, type RunningServer } from '@chatpro/server';
import type { DatabaseOptions } from '../server/src/db/index.ts';
import { spawnServer, type ChildServer } from '../server/src/testing/childServer.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { ask, collect, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { cid, sleep } from './support/crowd.ts';


interface Msg {
  id: string;
  seq: number;
  clientId: string;
  body: string;
  groupId: string;
}

/** Piero (internal) and a guest, both signed in on `home`, and a context with a link. */
async function world(home: RunningServer) {
  const db = home.database.db;
  const org = await makeOrg(db);
  const piero = await makeUser(db, org, { name: 'Piero Fanti' });
  const ctx = await makeContext(db, piero, { kind: 'email', subject: 'Preventivo' }, [piero.id]);
  const asPiero = new TestClient(home.url);
  await asPiero.signIn('internal', piero.email);
  const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
  const guest = new TestClient(home.url);
  await guest.signIn('external', `guest-${cid().slice(0, 8)}@customer.test`, { name: 'Mario Rossi' });
  return { piero, ctx, link: link as { token: string }, asPiero, guest };
}

/** The guest writes first through the link (on the guest's process); Piero opens the group. */
async function openConversation(guestSocket: ChatSocket, pieroSocket: ChatSocket, ctxId: string, token: string) {
  await ask(pieroSocket, 'context:watch', { contextId: ctxId });
  const changed = next(pieroSocket, 'group:changed', (g: { contextId: string }) => g.contextId === ctxId, 10_000);
  const first = await ask(guestSocket, 'message:send', { linkToken: token, clientId: cid(), body: 'Buongiorno' });
  expect(first.ok, JSON.stringify(first)).to.equal(true);
  const group = await changed;
  const opened = await ask(pieroSocket, 'chat:join', { groupId: group.id, sinceSeq: 0 });
  expect(opened.messages.map((m: Msg) => m.seq)).to.deep.equal([1]);
  await ask(guestSocket, 'chat:join', { groupId: group.id, sinceSeq: 0 });
  return group.id as string;
}

interface TwoProcesses extends Awaited<ReturnType<typeof world>> {
  a: RunningServer;
  b: RunningServer;
  /** Piero's socket, on `a`. */
  pieroSocket: ChatSocket;
  /** The guest's socket, on `b`. */
  guestSocket: ChatSocket;
}

/** Two processes on one database, Piero's socket on the first and the guest's on the second; all closed after `fn`. */
async function onTwoProcesses(database: DatabaseOptions, fn: (p: TwoProcesses) => Promise<void>): Promise<void> {
  const a = await startTestServer(database);
  const b = await startTestServer(database);
  const sockets: ChatSocket[] = [];
  try {
    const w = await world(a);
    sockets.push(await connectSocket(w.asPiero));
    sockets.push(await connectSocket(w.guest.via(b.url)));
    await fn({ ...w, a, b, pieroSocket: sockets[0]!, guestSocket: sockets[1]! });
  } finally {
    for (const s of sockets) s.disconnect();
    // (closing twice is closing once: a test may have closed one)
    await a.close();
    await b.close();
  }
}

/** The guest types and Piero sees it; Piero reads the first message and the guest sees that. */
async function typeAndRead(guestSocket: ChatSocket, pieroSocket: ChatSocket, groupId: string): Promise<void> {
  const typing = next(pieroSocket, 'typing', (e: { groupId: string }) => e.groupId === groupId);
  expect((await ask(guestSocket, 'typing', { groupId, typing: true })).ok).to.equal(true);
  expect(await typing).to.deep.include({ groupId, typing: true });
  const read = next(guestSocket, 'read', (e: { groupId: string }) => e.groupId === groupId);
  expect((await ask(pieroSocket, 'read', { groupId, seq: 1 })).seq).to.equal(1);
  expect(await read).to.deep.include({ groupId, kind: 'internal', seq: 1 });
}

describeEngines('several server processes', (engine) => {
  if (engine.engine !== 'postgres') return;

  it('lets a guest on one process and an internal user on the other talk live, in order, once', async () => {
    await onTwoProcesses(engine.options(), async ({ a, ctx, link, asPiero, pieroSocket, guestSocket }) => {
      const groupId = await openConversation(guestSocket, pieroSocket, ctx.id, link.token);
      const atPiero = collect<Msg>(pieroSocket, 'message:new');
      const atGuest = collect<Msg>(guestSocket, 'message:new');
      const notified = collect<{ kind: string; message: { body: string } | null }>(pieroSocket, 'notification:new');
      const sent: string[] = [];
      // What each side sent, as its acks gave it back (the sending socket is left out of the broadcast).
      const acked = { piero: [] as Msg[], guest: [] as Msg[] };
      const live = () => atPiero.length + acked.piero.length < sent.length || atGuest.length + acked.guest.length < sent.length;
      // A conversation: each turn is a burst of one to three messages from one side, sent
      // without waiting for the acks; the other side answers once it has read them live.
      for (let turn = 0; turn < 10; turn++) {
        const [from, who] = turn % 2 === 0 ? ([guestSocket, 'guest'] as const) : ([pieroSocket, 'piero'] as const);
        const bodies = Array.from({ length: 1 + (turn % 3) }, (_, i) => `${who} ${turn}.${i}`);
        const acks = bodies.map((body) => ask(from, 'message:send', { groupId, clientId: cid(), body }));
        sent.push(...bodies);
        for (const ack of await Promise.all(acks)) {
          expect(ack.ok, JSON.stringify(ack)).to.equal(true);
          acked[who].push(ack.message as Msg);
        }
        const until = Date.now() + 10_000;
        while (live() && Date.now() < until) await sleep(5);
      }
      const last = await ask(guestSocket, 'message:send', { groupId, clientId: cid(), body: 'fine' });
      sent.push('fine');
      acked.guest.push(last.message as Msg);
      const until = Date.now() + 10_000;
      while (live() && Date.now() < until) await sleep(20);
      await sleep(200); // anything extra (a duplicate) would have come by now
      // Within a burst the database picks the order (the seq); everyone sees that order, once:
      // the other side's messages live, in order, and its own in its acks.
      const stored = await a.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, groupId)).orderBy(schema.messages.seq);
      expect(new Set(stored.map((m) => m.body))).to.deep.equal(new Set(['Buongiorno', ...sent]));
      for (const [seen, own] of [
        [atPiero, acked.piero],
        [atGuest, acked.guest],
      ] as const) {
        expect(seen.map((m) => m.seq)).to.deep.equal([...seen.map((m) => m.seq)].sort((x, y) => x - y));
        expect(seen.filter((m) => own.some((o) => o.id === m.id))).to.deep.equal([]);
        const all = [...seen, ...own].sort((x, y) => x.seq - y.seq);
        expect(all.map((m) => m.seq)).to.deep.equal(sent.map((_, i) => i + 2));
        expect(all.map((m) => m.body)).to.deep.equal(stored.slice(1).map((m) => m.body));
        expect(all.every((m) => m.groupId === groupId)).to.equal(true);
      }
      expect(last.message.seq).to.equal(sent.length + 1);
      // Each of the guest's messages (stored on the guest's process) notified Piero on his, once.
      const fromGuest = sent.filter((body) => !body.startsWith('piero'));
      expect(notified.map((n) => `${n.kind} ${n.message?.body}`).sort()).to.deep.equal(fromGuest.map((body) => `message ${body}`).sort());
      // A change on one process reaches the membership caches of the other (the link closes).
      const closed = await asPiero.patch(`/api/links/${(await linkId(a, groupId))!}`, { expiresAt: new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date()) });
      expect(closed.status, closed.text).to.be.oneOf([200, 204]);
      await sleep(300);
      const refused = await ask(guestSocket, 'message:send', { groupId, clientId: cid(), body: 'troppo tardi' });
      expect(refused.ok).to.equal(false);
    });
  });

  it('tells typing and reads to the sockets of the other process', async () => {
    await onTwoProcesses(engine.options(), async ({ ctx, link, pieroSocket, guestSocket }) => {
      const groupId = await openConversation(guestSocket, pieroSocket, ctx.id, link.token);
      await typeAndRead(guestSocket, pieroSocket, groupId);
    });
  });

  it('has a process alone on its database tell typing and reads without a NOTIFY', async () => {
    const database = engine.options() as { kind: 'postgres'; url: string };
    const a = await startTestServer(database);
    const listener = new pg.Client({ connectionString: database.url });
    const sockets: ChatSocket[] = [];
    try {
      await listener.connect();
      // What the socket.io adapter publishes, by type: a broadcast (3) or a server-side emit (9)
      // would be an event sent through the database to nobody.
      let published: number[] = [];
      listener.on('notification', (n) => published.push((JSON.parse(n.payload ?? '{}') as { type?: number }).type ?? 0));
      await listener.query('LISTEN "socket.io#/"');
      const { ctx, link, asPiero, guest } = await world(a);
      const pieroSocket = await connectSocket(asPiero);
      const guestSocket = await connectSocket(guest);
      sockets.push(pieroSocket, guestSocket);
      const groupId = await openConversation(guestSocket, pieroSocket, ctx.id, link.token);
      // A new group is published (its members' sockets on other processes join it, and their
      // membership caches forget it): the listener hears the adapter.
      await sleep(100);
      expect(published).to.include.members([4, 9]);
      published = [];
      await typeAndRead(guestSocket, pieroSocket, groupId);
      await sleep(300);
      expect(published.filter((type) => type === 3 || type === 9), `published types: ${published.join(', ')}`).to.deep.equal([]);
    } finally {
      for (const s of sockets) s.disconnect();
      await listener.end();
      await a.close();
    }
  });

  it('answers the other process which of the guests asked it holds, and nothing for ids that are not ids', async () => {
    await onTwoProcesses(engine.options(), async ({ a, ctx, link, pieroSocket, guestSocket }) => {
      const groupId = await openConversation(guestSocket, pieroSocket, ctx.id, link.token);
      const [first] = await a.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, groupId));
      const guestId = first!.authorExternalId!;
      const online = (ids: unknown) => a.io.serverSideEmitWithAck('hub:online', ids as string[]);
      // The guest's socket is on b. A stranger's id, and values that are not ids (an array holding the
      // guest's id would name the guest's room), are answered with nothing; a payload that is not a list too.
      expect(await online([guestId, randomUUID()])).to.deep.equal([[guestId]]);
      expect(await online([42, null, [guestId], guestId])).to.deep.equal([[guestId]]);
      expect(await online('not a list')).to.deep.equal([[]]);
      guestSocket.disconnect();
      await sleep(200);
      expect(await online([guestId])).to.deep.equal([[]]);
    });
  });

  it('emails the guests who are connected nowhere, asking the other process which of them it holds', async () => {
    // Mario stays, on the other process (with his session watched there); Anna leaves.
    await onTwoProcesses(engine.options(), async ({ a, b, ctx, link, pieroSocket, guestSocket: mario }) => {
      const withMario = await openConversation(mario, pieroSocket, ctx.id, link.token);
      const anna = new TestClient(a.url);
      await anna.signIn('external', `anna-${cid().slice(0, 8)}@customer.test`, { name: 'Anna Neri' });
      const annaSocket = await connectSocket(anna.via(b.url));
      const withAnna = await openConversation(annaSocket, pieroSocket, ctx.id, link.token);
      annaSocket.disconnect();
      await sleep(100);
      // Both answers in one after-send round: one question to the other process for both guests.
      const sent = await Promise.all([withMario, withAnna].map((groupId) => ask(pieroSocket, 'message:send', { groupId, clientId: cid(), body: 'Ecco il preventivo' })));
      expect(sent.every((s) => s.ok), JSON.stringify(sent)).to.equal(true);
      await a.chat.settle();
      const q = schema.guestEmailQueue;
      const rows = await a.database.db.select().from(q).where(inArray(q.groupId, [withMario, withAnna]));
      expect(rows.map((r) => r.groupId)).to.deep.equal([withAnna]);
    });
  });

  it('has a process that shuts down beside another finish the work after its last sends, offline emails included', async () => {
    await onTwoProcesses(engine.options(), async ({ a, b, ctx, link, pieroSocket, guestSocket }) => {
      const groupId = await openConversation(guestSocket, pieroSocket, ctx.id, link.token);
      // The guest leaves; Piero answers through the process that is about to stop.
      guestSocket.disconnect();
      const sent = await ask(pieroSocket, 'message:send', { groupId, clientId: cid(), body: 'Le mando il preventivo' });
      expect(sent.ok, JSON.stringify(sent)).to.equal(true);
      // Its after-send round (the guest's offline email) has not run yet: stopping runs it, and it
      // asks the other process whether the guest is connected there.
      await a.close();
      const q = schema.guestEmailQueue;
      const [row] = await b.database.db.select().from(q).where(eq(q.groupId, groupId));
      expect(row, 'the guest is to get an email').to.not.equal(undefined);
      expect(row!.lastSeq).to.equal(sent.message.seq);
    });
  });

  it('loses no acknowledged message when a process is killed, and the clients resume on the other', async function () {
    this.timeout(120_000);
    const database = engine.options();
    const a = await startTestServer(database);
    let b: ChildServer | undefined;
    const sockets: ChatSocket[] = [];
    try {
      const { ctx, link, asPiero, guest } = await world(a);
      b = await spawnServer((database as { url: string }).url);
      // Both talk through the process that will die.
      const pieroOnB = await connectSocket(asPiero.via(b.url));
      const guestOnB = await connectSocket(guest.via(b.url));
      sockets.push(pieroOnB, guestOnB);
      const groupId = await openConversation(guestOnB, pieroOnB, ctx.id, link.token);
      const seenBy = { piero: collect<Msg>(pieroOnB, 'message:new'), guest: collect<Msg>(guestOnB, 'message:new') };
      for (let i = 0; i < 5; i++) expect((await ask(guestOnB, 'message:send', { groupId, clientId: cid(), body: `prima ${i}` })).ok).to.equal(true);
      // A burst in flight when the process dies: some acknowledged, some not.
      const burst = Array.from({ length: 40 }, (_, i) => ({ groupId, clientId: cid(), body: `raffica ${i}` }));
      const acked: Msg[] = [];
      const pending = burst.map((m, i) =>
        ask(i % 2 ? pieroOnB : guestOnB, 'message:send', m, 3000)
          .then((ack: { ok: boolean; message: Msg }) => {
            if (ack.ok) acked.push(ack.message);
            // Killed at the fifth acknowledgement, with the rest of the burst in flight.
            if (acked.length === 5) b!.child.kill('SIGKILL');
          })
          .catch(() => {}),
      );
      await Promise.all(pending);
      await b.kill();
      expect(acked.length, 'some sends were acknowledged before the kill').to.be.greaterThan(0);
      // Resume on the surviving process: join since the last seq seen, retry what was not acknowledged.
      const pieroOnA = await connectSocket(asPiero);
      const guestOnA = await connectSocket(guest.via(a.url));
      sockets.push(pieroOnA, guestOnA);
      const lastSeen = (seen: Msg[]) => Math.max(1, ...seen.map((m) => m.seq).filter((s, i, all) => all.slice(0, i + 1).every((x, j) => x === j + 2)));
      const resumed = { piero: lastSeen(seenBy.piero), guest: lastSeen(seenBy.guest) };
      const joinPiero = await ask(pieroOnA, 'chat:join', { groupId, sinceSeq: resumed.piero });
      const joinGuest = await ask(guestOnA, 'chat:join', { groupId, sinceSeq: resumed.guest });
      const ackedIds = new Set(acked.map((m) => m.clientId));
      for (const [i, m] of burst.entries()) {
        if (ackedIds.has(m.clientId)) continue;
        const retry = await ask(i % 2 ? pieroOnA : guestOnA, 'message:send', m);
        expect(retry.ok, JSON.stringify(retry)).to.equal(true);
      }
      const rows = await a.database.db
        .select()
        .from(schema.messages)
        .where(and(eq(schema.messages.groupId, groupId), inArray(schema.messages.clientId, burst.map((m) => m.clientId))));
      // Every message of the burst stored exactly once, each acknowledged one with its acknowledged seq.
      expect(rows).to.have.length(burst.length);
      const bySeq = new Map(rows.map((r) => [r.clientId, r.seq]));
      for (const m of acked) expect(bySeq.get(m.clientId)).to.equal(m.seq);
      // The resume gave each client exactly what it lacked, with no gap and no repeat.
      const total = 1 + 5 + burst.length;
      const afterJoin = await ask(pieroOnA, 'messages:since', { groupId, sinceSeq: 0, limit: 200 });
      expect(afterJoin.messages.map((m: Msg) => m.seq)).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
      for (const [who, join] of [['piero', joinPiero], ['guest', joinGuest]] as const) {
        const seqs = join.messages.map((m: Msg) => m.seq);
        expect(seqs[0] ?? resumed[who] + 1, who).to.equal(resumed[who] + 1);
        expect(seqs, who).to.deep.equal(Array.from({ length: seqs.length }, (_, i) => resumed[who] + 1 + i));
      }
    } finally {
      for (const s of sockets) s.disconnect();
      await b?.kill();
      await a.close();
    }
  });
});

async function linkId(server: RunningServer, groupId: string): Promise<string | null> {
  const [g] = await server.database.db.select({ linkId: schema.groups.linkId }).from(schema.groups).where(eq(schema.groups.id, groupId));
  return g?.linkId ?? null;
}
