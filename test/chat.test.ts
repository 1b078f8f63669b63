import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { touchContexts } from '../server/src/services/chat.ts';
import { unzip } from '../server/src/testing/zip.ts';
import { schema, type RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeCast, makeContext, type makeUser } from '../server/src/testing/factories.ts';
import { ask, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

type User = Awaited<ReturnType<typeof makeUser>>;
const cid = () => randomUUID().replace(/-/g, '');


describeEngines('guest chat', (engine) => {
  let server: RunningServer;
  let piero: User;
  let daniele: User;
  let foreigner: User; // another organisation
  let asPiero: TestClient;
  let asDaniele: TestClient;
  let asOutsider: TestClient;
  let asForeigner: TestClient;
  const sockets: ChatSocket[] = [];
  const track = (s: ChatSocket) => (sockets.push(s), s);

  before(async () => {
    server = await startTestServer(engine.options(), { MAX_UPLOAD_BYTES: String(256 * 1024) });
    ({ piero, daniele, foreigner, asPiero, asDaniele, asOutsider, asForeigner } = await makeCast(server, { name: 'Tweppy Srl' }));
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
  });

  async function newContext(subject = 'Preventivo serramenti', bodyHtml = '<p>Il <b>preventivo</b><script>alert(1)</script></p>') {
    return makeContext(server.database.db, piero, { kind: 'email', subject, bodyHtml }, [piero.id, daniele.id]);
  }

  async function guest(email = `guest-${cid().slice(0, 6)}@customer.test`, name = 'Stefania Nardu') {
    const client = new TestClient(server.url);
    await client.signIn('external', email, { name });
    return client;
  }

  describe('ChatPro links', () => {
    it('activates a link with a long random token, the context subject and the user’s default expiry, audited', async () => {
      const ctx = await newContext();
      await asPiero.patch('/api/profile/options', { chatExpiryDays: 10 });
      const res = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      await asPiero.patch('/api/profile/options', { chatExpiryDays: 30 });
      expect(res.status).to.equal(201);
      const link = res.body;
      expect(link.token).to.match(/^[A-Za-z0-9_-]{24,}$/);
      expect(link.url).to.equal(`${server.url}/c/${link.token}`);
      expect(link).to.deep.include({ subject: 'Preventivo serramenti', showBody: false, active: true, notifyUserIds: [], contextId: ctx.id });
      const days = (Date.parse(link.expiresAt) - Date.now()) / 86400000;
      expect(days).to.be.within(9.99, 10.01);
      const second = await asDaniele.post(`/api/contexts/${ctx.id}/links`, { subject: 'Altro', showBody: true, notifyUserIds: [piero.id] });
      expect(second.body.token).to.not.equal(link.token);
      const list = await asPiero.get(`/api/contexts/${ctx.id}/links`);
      expect(list.body.items.map((l: { id: string }) => l.id)).to.deep.equal([link.id, second.body.id]);
      const groups = await asPiero.get(`/api/contexts/${ctx.id}/groups`);
      const publicGroup = groups.body.items[0];
      expect(publicGroup.kind).to.equal('public');
      const history = await asPiero.get(`/api/groups/${publicGroup.id}/messages`);
      const texts = history.body.messages.map((m: { body: string; author: { kind: string } }) => [m.author.kind, m.body]);
      expect(texts[0][0]).to.equal('system');
      expect(texts[0][1]).to.include('Piero Fanti ha attivato la conversazione esterna «Preventivo serramenti»');
      expect(texts[1][1]).to.include('Daniele Pezzini ha attivato').and.include('notifica: Piero Fanti');
    });

    it('changes settings with an audit message naming who changed what; expiry today closes the chat', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date());
      const res = await asDaniele.patch(`/api/links/${link.id}`, { expiresAt: today, subject: 'Nuovo oggetto', showBody: true, notifyUserIds: [daniele.id] });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ active: false, subject: 'Nuovo oggetto', showBody: true, notifyUserIds: [daniele.id] });
      const groups = await asPiero.get(`/api/contexts/${ctx.id}/groups`);
      const history = await asPiero.get(`/api/groups/${groups.body.items[0].id}/messages`);
      const last = history.body.messages.at(-1);
      expect(last.author.kind).to.equal('system');
      expect(last.body).to.include('Daniele Pezzini ha modificato').and.include('Nuovo oggetto').and.include('(chat chiusa)').and.include('mostra corpo: sì');
      const audits = await server.database.db.select().from(schema.auditEntries).where(eq(schema.auditEntries.linkId, link.id));
      expect(audits.map((a) => a.action)).to.deep.equal(['link.created', 'link.updated']);
      expect(audits[1]!.actorUserId).to.equal(daniele.id);
      // Reopen it.
      const reopened = await asPiero.patch(`/api/links/${link.id}`, { expiresAt: '2099-01-01' });
      expect(reopened.body.active).to.equal(true);
      // Nothing changed: no audit message.
      const count = history.body.messages.length;
      await asPiero.patch(`/api/links/${link.id}`, { subject: 'Nuovo oggetto' });
      const again = await asPiero.get(`/api/groups/${groups.body.items[0].id}/messages`);
      expect(again.body.messages.length).to.equal(count + 1);
    });

    it('lets only viewers see or change links, and validates the input', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      expect((await asOutsider.post(`/api/contexts/${ctx.id}/links`, {})).status).to.equal(403);
      expect((await asOutsider.patch(`/api/links/${link.id}`, { showBody: true })).status).to.equal(403);
      expect((await asOutsider.get(`/api/contexts/${ctx.id}/links`)).status).to.equal(403);
      expect((await asForeigner.patch(`/api/links/${link.id}`, { showBody: true })).status).to.equal(404);
      expect((await asForeigner.get(`/api/links/${link.id}`)).status).to.equal(404);
      expect((await new TestClient(server.url).post(`/api/contexts/${ctx.id}/links`, {})).status).to.equal(401);
      const bad = await asPiero.patch(`/api/links/${link.id}`, { expiresAt: 'domani' });
      expect(bad.status).to.equal(400);
      expect((await asPiero.patch(`/api/links/${link.id}`, {})).status).to.equal(400);
      expect((await asPiero.post(`/api/contexts/${ctx.id}/links`, { notifyUserIds: [foreigner.id] })).status).to.equal(400);
      expect((await asPiero.patch(`/api/links/${randomUUID()}`, { showBody: true })).status).to.equal(404);
      expect((await asPiero.get(`/api/links/${link.id}`)).body.id).to.equal(link.id);
    });
  });

  describe('guest view', () => {
    it('shows only subject and state before sign-in, the body only with "mostra corpo"', async () => {
      const ctx = await newContext('Offerta', '<p onclick="x()">Corpo <script>alert(1)</script>visibile</p>');
      const { body: hidden } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const { body: shown } = await asPiero.post(`/api/contexts/${ctx.id}/links`, { showBody: true, subject: 'Oggetto per esterni' });
      const anon = new TestClient(server.url);
      const before = await anon.get(`/api/guest/${shown.token}`);
      expect(before.body).to.deep.include({ subject: 'Oggetto per esterni', active: true, signedIn: false, context: null, group: null, organisation: 'Tweppy Srl' });
      const g = await guest();
      expect((await g.get(`/api/guest/${hidden.token}`)).body.context).to.equal(null);
      const after = await g.get(`/api/guest/${shown.token}`);
      expect(after.body.signedIn).to.equal(true);
      expect(after.body.context).to.deep.include({ kind: 'email', subject: 'Offerta', bodyHtml: '<p>Corpo visibile</p>' });
    });

    it('answers link_not_found for an unknown token and validation_failed for a malformed one', async () => {
      const res = await new TestClient(server.url).get(`/api/guest/${'A'.repeat(24)}`);
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('link_not_found');
      expect((await new TestClient(server.url).get('/api/guest/short')).status).to.equal(400);
    });

    it('notifies the link’s users of a guest’s first access, once', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, { notifyUserIds: [daniele.id] });
      const danieleSocket = track(await connectSocket(asDaniele));
      const notified = next(danieleSocket, 'notification:new', (n: { kind: string; contextId: string }) => n.kind === 'access' && n.contextId === ctx.id);
      const g = await guest('access@customer.test', 'Mario Access');
      await g.get(`/api/guest/${link.token}`);
      const n = await notified;
      expect(n.externalUser).to.deep.include({ name: 'Mario Access', email: 'access@customer.test' });
      expect(n.linkId).to.equal(link.id);
      await g.get(`/api/guest/${link.token}`);
      const list = await asDaniele.get('/api/notifications?unread=1');
      expect(list.body.items.filter((x: { kind: string; contextId: string }) => x.kind === 'access' && x.contextId === ctx.id)).to.have.length(1);
      const pieroList = await asPiero.get('/api/notifications');
      expect(pieroList.body.items.filter((x: { contextId: string }) => x.contextId === ctx.id)).to.have.length(0);
    });
  });

  describe('messages and realtime', () => {
    it('dates a context’s activity by its newest message, and never moves it back', async () => {
      const [a, b] = [await newContext('Attività A'), await newContext('Attività B')];
      // In the past, so that these two stay at the bottom of the lists the other tests read.
      const db = server.database.db;
      await db.update(schema.contexts).set({ lastActivityAt: new Date('2020-01-01T00:00:00.000Z') }).where(inArray(schema.contexts.id, [a.id, b.id]));
      await touchContexts(db, [
        { contextId: a.id, at: '2021-01-01T10:00:02.000Z' },
        { contextId: b.id, at: '2021-01-01T10:00:01.000Z' },
        { contextId: a.id, at: '2021-01-01T10:00:00.000Z' },
      ]);
      // A round that comes later with an older message (another process's, say) changes nothing.
      await touchContexts(db, [{ contextId: a.id, at: '2020-12-31T10:00:00.000Z' }]);
      const rows = await db.select({ id: schema.contexts.id, at: schema.contexts.lastActivityAt }).from(schema.contexts).where(inArray(schema.contexts.id, [a.id, b.id]));
      expect(Object.fromEntries(rows.map((r) => [r.id, r.at.toISOString()]))).to.deep.equal({ [a.id]: '2021-01-01T10:00:02.000Z', [b.id]: '2021-01-01T10:00:01.000Z' });
    });

    it('makes the guest’s group on the first message, delivers live to viewers, and notifies', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const pieroSocket = track(await connectSocket(asPiero));
      const groupChanged = next(pieroSocket, 'group:changed', (g: { contextId: string }) => g.contextId === ctx.id);
      const notified = next(pieroSocket, 'notification:new', (n: { kind: string; contextId: string }) => n.kind === 'message' && n.contextId === ctx.id);
      const g = await guest('first@customer.test', 'Stefania Nardu');
      const guestSocket = track(await connectSocket(g));
      const joined = await ask(guestSocket, 'chat:join', { linkToken: link.token, sinceSeq: 0 });
      expect(joined).to.deep.equal({ ok: true, group: null, messages: [], hasMore: false });
      const clientId = cid();
      const ack = await ask(guestSocket, 'message:send', { linkToken: link.token, clientId, body: '  Buongiorno, avrei una domanda <b>urgente</b>  ' });
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
      expect(ack.message).to.deep.include({ seq: 1, clientId, body: 'Buongiorno, avrei una domanda <b>urgente</b>' });
      expect(ack.message.author).to.deep.include({ kind: 'external', name: 'Stefania Nardu' });
      const group = await groupChanged;
      expect(group.kind).to.equal('external');
      expect(group.members.map((m: { id: string }) => m.id)).to.have.members([piero.id, daniele.id, ack.message.author.id]);
      const notification = await notified;
      expect(notification.message.body).to.include('Buongiorno');
      // What arrives live (made with the insert) is what the list shows (read back later).
      const listed = (await asPiero.get('/api/notifications')).body.items.find((n: { id: string }) => n.id === notification.id);
      expect(listed).to.deep.equal(notification);
      expect(notification).to.deep.include({ contextSubject: ctx.subject, groupId: group.id, readAt: null });
      expect(notification.externalUser).to.deep.include({ name: 'Stefania Nardu', email: 'first@customer.test' });
      // The internal user opens the group and replies; the guest receives it live.
      const opened = await ask(pieroSocket, 'chat:join', { groupId: group.id, sinceSeq: 0 });
      expect(opened.messages.map((m: { seq: number }) => m.seq)).to.deep.equal([1]);
      const reply = next(guestSocket, 'message:new', (m: { seq: number }) => m.seq === 2);
      const sent = await ask(pieroSocket, 'message:send', { groupId: group.id, clientId: cid(), body: 'Certo, mi dica' });
      expect(sent.ok).to.equal(true);
      expect((await reply).author).to.deep.include({ kind: 'internal', name: 'Piero Fanti' });
      // Later guest messages go to the same group.
      const more = await ask(guestSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Grazie' });
      expect(more.message.groupId).to.equal(group.id);
      expect(more.message.seq).to.equal(3);
      const groups = await asPiero.get(`/api/contexts/${ctx.id}/groups`);
      expect(groups.body.items.map((x: { kind: string }) => x.kind)).to.deep.equal(['public', 'external']);
      const list = await asPiero.get('/api/contexts');
      expect(list.body.items[0].id).to.equal(ctx.id);
    });

    it('notifies only the link’s list when it has one, every viewer otherwise', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, { notifyUserIds: [daniele.id] });
      const g = await guest();
      await g.post(`/api/guest/${link.token}/messages`, { clientId: cid(), body: 'Solo per Daniele' });
      await server.chat.settle();
      const forDaniele = await asDaniele.get('/api/notifications?unread=1');
      const forPiero = await asPiero.get('/api/notifications?unread=1');
      expect(forDaniele.body.items.some((n: { contextId: string; kind: string }) => n.contextId === ctx.id && n.kind === 'message')).to.equal(true);
      expect(forPiero.body.items.some((n: { contextId: string }) => n.contextId === ctx.id)).to.equal(false);
      const group = (await asPiero.get(`/api/contexts/${ctx.id}/groups`)).body.items[1];
      expect(group.members.map((m: { id: string }) => m.id)).to.not.include(piero.id);
      // Marking read by context clears the badge.
      const unread = forDaniele.body.unread;
      const marked = await asDaniele.post('/api/notifications/read', { contextId: ctx.id });
      expect(marked.body.marked).to.be.greaterThan(0);
      expect((await asDaniele.get('/api/notifications')).body.unread).to.equal(unread - marked.body.marked);
      expect((await asDaniele.post('/api/notifications/read', { everything: 1 })).status).to.equal(400);
    });

    it('makes a retried send idempotent and two concurrent first messages one group', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest();
      const socket = track(await connectSocket(g));
      const ids = [cid(), cid()];
      const [a, b] = await Promise.all(ids.map((clientId) => ask(socket, 'message:send', { linkToken: link.token, clientId, body: clientId })));
      expect(a.message.groupId).to.equal(b.message.groupId);
      const retry = await ask(socket, 'message:send', { linkToken: link.token, clientId: ids[0], body: 'changed on retry' });
      expect(retry.message.id).to.equal(a.message.id);
      expect(retry.message.body).to.equal(ids[0]);
      const both = await Promise.all([1, 2].map(() => ask(socket, 'message:send', { groupId: a.message.groupId, clientId: 'same-client-id-1', body: 'x' })));
      expect(both[0].message.id).to.equal(both[1].message.id);
      const rows = await server.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, a.message.groupId));
      expect(rows.map((r) => r.seq).sort()).to.deep.equal([1, 2, 3]);
      expect((await asPiero.get(`/api/contexts/${ctx.id}/groups`)).body.items).to.have.length(2);
    });

    it('resumes after a disconnect with exactly the missing messages', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest();
      const guestSocket = track(await connectSocket(g));
      const first = await ask(guestSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'uno' });
      const groupId = first.message.groupId;
      let pieroSocket = track(await connectSocket(asPiero));
      const joined = await ask(pieroSocket, 'chat:join', { groupId, sinceSeq: 0 });
      const lastSeen = joined.messages.at(-1).seq;
      pieroSocket.disconnect();
      for (const body of ['due', 'tre', 'quattro']) await ask(guestSocket, 'message:send', { linkToken: link.token, clientId: cid(), body });
      pieroSocket = track(await connectSocket(asPiero));
      const resumed = await ask(pieroSocket, 'chat:join', { groupId, sinceSeq: lastSeen });
      expect(resumed.messages.map((m: { body: string }) => m.body)).to.deep.equal(['due', 'tre', 'quattro']);
      const since = await ask(pieroSocket, 'messages:since', { groupId, sinceSeq: 2, limit: 1 });
      expect(since.messages.map((m: { seq: number }) => m.seq)).to.deep.equal([3]);
      expect(since.hasMore).to.equal(true);
      const http = await g.get(`/api/guest/${link.token}/messages?since=3`);
      expect(http.body.messages.map((m: { body: string }) => m.body)).to.deep.equal(['quattro']);
    });

    it('shows typing and read state to the other members', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest('typist@customer.test', 'Typist');
      const guestSocket = track(await connectSocket(g));
      const first = await ask(guestSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'ciao' });
      const pieroSocket = track(await connectSocket(asPiero));
      await ask(pieroSocket, 'chat:join', { groupId: first.message.groupId, sinceSeq: 0 });
      await ask(guestSocket, 'chat:join', { linkToken: link.token, sinceSeq: 1 });
      const typing = next(pieroSocket, 'typing');
      guestSocket.emit('typing', { groupId: first.message.groupId, typing: true });
      expect(await typing).to.deep.include({ groupId: first.message.groupId, typing: true });
      const read = next(guestSocket, 'read', (r: { kind: string }) => r.kind === 'internal');
      const ack = await ask(pieroSocket, 'read', { groupId: first.message.groupId, seq: 99 });
      expect(ack).to.deep.equal({ ok: true, seq: 1 });
      expect(await read).to.deep.include({ memberId: piero.id, seq: 1 });
      const group = (await asPiero.get(`/api/contexts/${ctx.id}/groups`)).body.items[1];
      expect(group.members.find((m: { id: string }) => m.id === piero.id).lastReadSeq).to.equal(1);
    });

    it('keeps an expired chat readable and refuses the guest’s new messages', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest();
      const socket = track(await connectSocket(g));
      const first = await ask(socket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'prima della chiusura' });
      // Cache the membership on the socket first, so that closing must invalidate it.
      await ask(socket, 'chat:join', { groupId: first.message.groupId, sinceSeq: 0 });
      await asPiero.patch(`/api/links/${link.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      const refused = await ask(socket, 'message:send', { groupId: first.message.groupId, clientId: cid(), body: 'dopo' });
      expect(refused).to.deep.equal({ ok: false, error: { code: 'link_closed', message: 'Questa chat è chiusa: il link è scaduto' } });
      const viaLink = await ask(socket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'dopo' });
      expect(viaLink.error.code).to.equal('link_closed');
      const http = await g.post(`/api/guest/${link.token}/messages`, { clientId: cid(), body: 'dopo' });
      expect(http.status).to.equal(403);
      const view = await g.get(`/api/guest/${link.token}`);
      expect(view.body.active).to.equal(false);
      const history = await ask(socket, 'chat:join', { linkToken: link.token, sinceSeq: 0 });
      expect(history.messages.map((m: { body: string }) => m.body)).to.deep.equal(['prima della chiusura']);
      // The organisation can still write.
      expect((await ask(track(await connectSocket(asPiero)), 'message:send', { groupId: first.message.groupId, clientId: cid(), body: 'risposta' })).ok).to.equal(true);
    });
  });

  describe('bad input and other people’s data', () => {
    it('refuses malformed socket payloads with an error ack and keeps the connection', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest();
      const socket = track(await connectSocket(g));
      const bad: unknown[] = [
        null,
        'text',
        42,
        { linkToken: link.token },
        { linkToken: link.token, clientId: cid(), body: '   ' },
        { linkToken: link.token, clientId: cid(), body: 'x'.repeat(10_001) },
        { linkToken: link.token, clientId: 'bad id!', body: 'x' },
        { linkToken: link.token, groupId: randomUUID(), clientId: cid(), body: 'x' },
        { linkToken: link.token, clientId: cid(), body: 'x', extra: true },
        { groupId: 'not-a-uuid', clientId: cid(), body: 'x' },
      ];
      for (const payload of bad) {
        const ack = await ask(socket, 'message:send', payload);
        expect(ack.ok, JSON.stringify(payload)?.slice(0, 80)).to.equal(false);
        expect(ack.error.code).to.equal('validation_failed');
      }
      (socket as unknown as { emit(e: string, p: unknown): void }).emit('message:send', { body: 'no ack' });
      expect((await ask(socket, 'chat:join', { sinceSeq: -1 })).error.code).to.equal('validation_failed');
      expect(socket.connected).to.equal(true);
      const ok = await ask(socket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'still works' });
      expect(ok.ok).to.equal(true);
    });

    it('keeps a guest out of other groups, other contexts and other organisations', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const alice = await guest('alice@customer.test', 'Alice');
      const eve = await guest('eve@customer.test', 'Eve');
      const aliceSocket = track(await connectSocket(alice));
      const eveSocket = track(await connectSocket(eve));
      const form = new FormData();
      form.append('file', new Blob(['segreto di Alice']), 'segreto.txt');
      const upload = await alice.post(`/api/guest/${link.token}/uploads`, form);
      const aliceMsg = await ask(aliceSocket, 'message:send', {
        linkToken: link.token,
        clientId: cid(),
        body: 'privato',
        attachmentIds: [upload.body.attachments[0].id],
      });
      await ask(eveSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'io sono Eve' });
      const groupId = aliceMsg.message.groupId;
      const fileId = upload.body.attachments[0].id;
      for (const [event, payload] of [
        ['chat:join', { groupId, sinceSeq: 0 }],
        ['messages:since', { groupId, sinceSeq: 0 }],
        ['message:send', { groupId, clientId: cid(), body: 'intrusa' }],
        ['read', { groupId, seq: 1 }],
      ] as const) {
        const ack = await ask(eveSocket, event, payload);
        expect(ack, event).to.deep.equal({ ok: false, error: { code: 'not_found', message: 'Group not found' } });
      }
      expect((await eve.get(`/api/guest/${link.token}/files/${fileId}`)).status).to.equal(404);
      expect((await eve.get(`/api/attachments/${fileId}`)).status).to.equal(401);
      // Eve cannot claim Alice's upload for her own message either.
      const claim = await ask(eveSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'x', attachmentIds: [fileId] });
      expect(claim.ok).to.equal(false);
      // Internal users of another organisation, and non-viewers, are refused too.
      const foreignSocket = track(await connectSocket(asForeigner));
      expect((await ask(foreignSocket, 'chat:join', { groupId, sinceSeq: 0 })).error.code).to.equal('not_found');
      const outsiderSocket = track(await connectSocket(asOutsider));
      expect((await ask(outsiderSocket, 'chat:join', { groupId, sinceSeq: 0 })).error.code).to.equal('forbidden');
      expect((await asForeigner.get(`/api/groups/${groupId}/messages`)).status).to.equal(404);
      expect((await asOutsider.get(`/api/attachments/${fileId}`)).status).to.equal(403);
      // Internal users write to groups, never to links; guests never get internal routes.
      expect((await ask(track(await connectSocket(asPiero)), 'message:send', { linkToken: link.token, clientId: cid(), body: 'x' })).error.code).to.equal(
        'validation_failed',
      );
      expect((await alice.get(`/api/groups/${groupId}/messages`)).status).to.equal(401);
      // Alice and the viewers can read her file.
      expect((await alice.get(`/api/guest/${link.token}/files/${fileId}`)).text).to.equal('segreto di Alice');
      expect((await asDaniele.get(`/api/attachments/${fileId}`)).text).to.equal('segreto di Alice');
    });

    it('refuses sockets without a session and anonymous guest calls', async () => {
      const anon = new TestClient(server.url);
      let error: Error | null = null;
      await connectSocket(anon).catch((e: Error) => (error = e));
      expect(error!.message).to.equal('unauthenticated');
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      expect((await anon.post(`/api/guest/${link.token}/messages`, { clientId: cid(), body: 'x' })).status).to.equal(401);
      expect((await anon.get(`/api/guest/${link.token}/export`)).status).to.equal(401);
    });

    it('refuses oversized and dangerous uploads, and keeps script in names as text', async () => {
      const ctx = await newContext();
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const g = await guest();
      const big = new FormData();
      big.append('file', new Blob([new Uint8Array(256 * 1024 + 1)]), 'big.bin');
      const res = await g.post(`/api/guest/${link.token}/uploads`, big);
      expect(res.status).to.equal(413);
      const odd = new FormData();
      odd.append('file', new Blob(['x']), '../../<img src=x onerror=alert(1)>.txt');
      const ok = await g.post(`/api/guest/${link.token}/uploads`, odd);
      expect(ok.status).to.equal(201);
      expect(ok.body.attachments[0].fileName).to.equal('_img src=x onerror=alert(1)_.txt');
    });
  });

  describe('export', () => {
    it('streams a zip with the chat as text, the body when shown, and every attachment', async () => {
      const ctx = await newContext('Export test', '<p>Corpo da esportare</p>');
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, { showBody: true });
      const g = await guest('export@customer.test', 'Esporta Tutto');
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      const form = new FormData();
      form.append('file', new Blob([bytes]), 'dati.bin');
      form.append('file', new Blob(['uno']), 'nota.txt');
      const up = await g.post(`/api/guest/${link.token}/uploads`, form);
      const form2 = new FormData();
      form2.append('file', new Blob(['due']), 'nota.txt');
      const up2 = await g.post(`/api/guest/${link.token}/uploads`, form2);
      const socket = track(await connectSocket(g));
      const m1 = await ask(socket, 'message:send', {
        linkToken: link.token,
        clientId: cid(),
        body: 'Ecco i file\nseconda riga',
        attachmentIds: up.body.attachments.map((a: { id: string }) => a.id),
      });
      await ask(socket, 'message:send', { linkToken: link.token, clientId: cid(), body: '', attachmentIds: [up2.body.attachments[0].id] });
      await ask(track(await connectSocket(asPiero)), 'message:send', { groupId: m1.message.groupId, clientId: cid(), body: 'Ricevuti, grazie' });
      const res = await g.raw('GET', `/api/guest/${link.token}/export`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/zip');
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="chatpro-Export-test-\d{4}-\d{2}-\d{2}\.zip"/);
      const files = await unzip(Buffer.from(await res.arrayBuffer()));
      expect([...files.keys()].sort()).to.deep.equal(['attachments/dati.bin', 'attachments/nota (2).txt', 'attachments/nota.txt', 'chat.txt', 'corpo.html']);
      const chat = files.get('chat.txt')!.toString('utf8');
      const lines = chat.split('\n');
      expect(lines[0]).to.equal('\ufeffExport test');
      expect(chat).to.match(/\] Esporta Tutto: Ecco i file\n {4}seconda riga \[allegati: attachments\/dati\.bin, attachments\/nota\.txt\]/);
      expect(chat).to.match(/\] Esporta Tutto: \[allegati: attachments\/nota \(2\)\.txt\]/);
      expect(chat).to.match(/\[\d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}\] Piero Fanti: Ricevuti, grazie/);
      expect(files.get('attachments/dati.bin')!.equals(bytes)).to.equal(true);
      expect(files.get('attachments/nota (2).txt')!.toString()).to.equal('due');
      expect(files.get('corpo.html')!.toString()).to.include('<p>Corpo da esportare</p>');
      // Internal users export any group of a context they view; others cannot.
      const internal = await asDaniele.raw('GET', `/api/groups/${m1.message.groupId}/export`);
      expect(internal.status).to.equal(200);
      expect((await unzip(Buffer.from(await internal.arrayBuffer()))).get('chat.txt')!.toString()).to.include('Ricevuti, grazie');
      expect((await asOutsider.get(`/api/groups/${m1.message.groupId}/export`)).status).to.equal(403);
    });
  });

  describe('template links', () => {
    it('makes one new note per guest’s first message, viewed by the configuration’s participants', async () => {
      const tpl = await asPiero.post('/api/templates', { name: 'Contatti', subject: 'Richiesta da sito', bodyHtml: '<p>Dal sito</p>' });
      const cfg = await asPiero.post(`/api/templates/${tpl.body.id}/links`, { notifyUserIds: [daniele.id] });
      expect(cfg.status).to.equal(201);
      expect((Date.parse(cfg.body.expiresAt) - Date.now()) / 86400000).to.be.within(364.9, 365.1);
      const danieleSocket = track(await connectSocket(asDaniele));
      const appeared = next(danieleSocket, 'group:changed');
      const one = await guest('one@customer.test', 'Uno');
      const two = await guest('two@customer.test', 'Due');
      const m1 = await one.post(`/api/guest/${cfg.body.token}/messages`, { clientId: cid(), body: 'Vorrei un preventivo' });
      const m1b = await one.post(`/api/guest/${cfg.body.token}/messages`, { clientId: cid(), body: 'Per 10 finestre' });
      const m2 = await two.post(`/api/guest/${cfg.body.token}/messages`, { clientId: cid(), body: 'Informazioni' });
      expect(m1b.body.groupId).to.equal(m1.body.groupId);
      expect(m2.body.groupId).to.not.equal(m1.body.groupId);
      const group = await appeared;
      const notes = await server.database.db.select().from(schema.contexts).where(eq(schema.contexts.templateId, tpl.body.id));
      expect(notes).to.have.length(2);
      expect(notes.map((n) => n.subject)).to.deep.equal(['Richiesta da sito', 'Richiesta da sito']);
      expect(notes.map((n) => n.id)).to.include(group.contextId);
      const note = await asDaniele.get(`/api/contexts/${group.contextId}`);
      expect(note.status).to.equal(200);
      expect(note.body.viewers.map((v: { id: string }) => v.id)).to.deep.equal([daniele.id]);
      expect((await asPiero.get(`/api/contexts/${group.contextId}`)).status).to.equal(403);
    });
  });
});
