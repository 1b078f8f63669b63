import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { schema, type RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeCast, makeContext, type makeUser } from '../server/src/testing/factories.ts';
import { ask, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

type User = Awaited<ReturnType<typeof makeUser>>;
const cid = () => randomUUID().replace(/-/g, '');

describeEngines('workspace: groups, list, templates, permissions', (engine) => {
  let server: RunningServer;
  let piero: User;
  let daniele: User;
  let asPiero: TestClient;
  let asDaniele: TestClient;
  let asOutsider: TestClient;
  let asForeigner: TestClient;
  const sockets: ChatSocket[] = [];
  const track = (s: ChatSocket) => (sockets.push(s), s);

  before(async () => {
    server = await startTestServer(engine.options());
    ({ piero, daniele, asPiero, asDaniele, asOutsider, asForeigner } = await makeCast(server));
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
  });

  async function contextWithLink(notifyUserIds: string[] = []) {
    const ctx = await makeContext(server.database.db, piero, { kind: 'email', subject: `Ctx ${cid().slice(0, 6)}` }, [piero.id, daniele.id]);
    const link = (await asPiero.post(`/api/contexts/${ctx.id}/links`, { notifyUserIds })).body;
    return { ctx, link };
  }
  async function guest(name: string) {
    const client = new TestClient(server.url);
    await client.signIn('external', `${name.toLowerCase()}-${cid().slice(0, 6)}@customer.test`, { name });
    return client;
  }

  it('"Crea gruppo" makes an internal group of chosen viewers, recorded in the public discussion', async () => {
    const { ctx } = await contextWithLink();
    const res = await asPiero.post(`/api/contexts/${ctx.id}/groups`, { name: 'Ufficio acquisti', memberIds: [daniele.id] });
    expect(res.status).to.equal(201);
    expect(res.body).to.deep.include({ kind: 'internal', name: 'Ufficio acquisti' });
    expect(res.body.members.map((m: { id: string }) => m.id)).to.have.members([piero.id, daniele.id]);
    const groups = (await asDaniele.get(`/api/contexts/${ctx.id}/groups`)).body.items;
    expect(groups.map((g: { kind: string }) => g.kind)).to.deep.equal(['public', 'internal']);
    const history = (await asDaniele.get(`/api/groups/${groups[0].id}/messages`)).body.messages;
    expect(history.at(-1).body).to.equal('Piero Fanti ha creato il gruppo «Ufficio acquisti» con Daniele Pezzini, Piero Fanti.');
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups`, { name: '' })).status).to.equal(400);
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups`, { name: 'x', memberIds: [randomUUID()] })).status).to.equal(400);
    expect((await asOutsider.post(`/api/contexts/${ctx.id}/groups`, { name: 'x' })).status).to.equal(403);
    expect((await asForeigner.post(`/api/contexts/${ctx.id}/groups`, { name: 'x' })).status).to.equal(404);
  });

  it('merges groups: every message once, in time order; guests see each other’s history and resume exactly', async () => {
    const { ctx, link } = await contextWithLink();
    const stefania = await guest('Stefania');
    const mario = await guest('Mario');
    const sSocket = track(await connectSocket(stefania));
    const mSocket = track(await connectSocket(mario));
    const s1 = await ask(sSocket, 'message:send', { linkToken: link.token, clientId: 'shared-client-id-1', body: 'S1' });
    const m1 = await ask(mSocket, 'message:send', { linkToken: link.token, clientId: 'shared-client-id-1', body: 'M1' });
    await ask(sSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'S2' });
    await ask(mSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'M2' });
    const sGroup = s1.message.groupId;
    const mGroup = m1.message.groupId;
    expect(sGroup).to.not.equal(mGroup);
    // Stefania has seen her group up to seq 2 and goes offline.
    sSocket.disconnect();
    await ask(mSocket, 'chat:join', { groupId: mGroup, sinceSeq: 0 });
    const changed = next(mSocket, 'group:changed');
    const merged = await asDaniele.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [mGroup, sGroup] });
    expect(merged.status, merged.text).to.equal(200);
    expect(merged.body.group.id).to.equal(sGroup); // the oldest receives the others
    expect(merged.body.merged).to.deep.equal([mGroup]);
    expect(merged.body.group.members.filter((m: { kind: string }) => m.kind === 'external')).to.have.length(2);
    expect((await changed).id).to.equal(sGroup);
    // The whole history, once each, in time order by creation.
    const all = (await asPiero.get(`/api/groups/${sGroup}/messages`)).body.messages;
    expect(all.map((m: { body: string }) => m.body)).to.deep.equal(['S1', 'S2', 'M1', 'M2']);
    expect(all.map((m: { seq: number }) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    const byTime = [...all].sort((a: { createdAt: string }, b: { createdAt: string }) => a.createdAt.localeCompare(b.createdAt));
    expect(byTime.map((m: { body: string }) => m.body)).to.deep.equal(['S1', 'M1', 'S2', 'M2']);
    // Mario, who knew his group up to seq 2, resumes: exactly Stefania's messages, and new numbers for his own.
    const resumed = await ask(mSocket, 'chat:join', { groupId: mGroup, sinceSeq: 2 });
    expect(resumed.group.id).to.equal(sGroup);
    expect(resumed.messages.map((m: { body: string }) => m.body)).to.deep.equal(['S1', 'S2']);
    expect(resumed.remap.map((r: { seq: number }) => r.seq).sort()).to.deep.equal([3, 4]);
    // Stefania comes back with her resume point, in the surviving group: only what she lacks.
    const sAgain = track(await connectSocket(stefania));
    const sResume = await ask(sAgain, 'chat:join', { groupId: sGroup, sinceSeq: 2 });
    expect(sResume.messages.map((m: { body: string }) => m.body)).to.deep.equal(['M1', 'M2']);
    // Both write on: one group, next numbers, no duplicate.
    const after = await ask(mSocket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'M3' });
    expect(after.message).to.deep.include({ groupId: sGroup, seq: 5 });
    expect((await stefania.get(`/api/guest/${link.token}/messages`)).body.messages.map((m: { body: string }) => m.body)).to.include('M1');
    const rows = await server.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, sGroup));
    expect(rows).to.have.length(5);
    expect(new Set(rows.map((r) => r.clientId)).size).to.equal(5);
    const groups = (await asPiero.get(`/api/contexts/${ctx.id}/groups`)).body.items;
    expect(groups.map((g: { id: string }) => g.id)).to.deep.equal([groups[0].id, sGroup]);
    const audit = (await asPiero.get(`/api/groups/${groups[0].id}/messages`)).body.messages.at(-1);
    expect(audit.body).to.match(/^Daniele Pezzini ha unito i gruppi «Stefania», «Mario»\.$/);
  });

  it('refuses merging the public discussion, one group, groups of another context, and non-viewers', async () => {
    const { ctx, link } = await contextWithLink();
    const other = await contextWithLink();
    const g1 = await guest('Uno');
    const g2 = await guest('Due');
    const a = await g1.post(`/api/guest/${link.token}/messages`, { clientId: cid(), body: 'a' });
    const b = await g2.post(`/api/guest/${other.link.token}/messages`, { clientId: cid(), body: 'b' });
    const groups = (await asPiero.get(`/api/contexts/${ctx.id}/groups`)).body.items;
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [groups[0].id, a.body.groupId] })).status).to.equal(400);
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [a.body.groupId] })).status).to.equal(400);
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [a.body.groupId, a.body.groupId] })).status).to.equal(400);
    expect((await asPiero.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [a.body.groupId, b.body.groupId] })).status).to.equal(404);
    const internal = await asPiero.post(`/api/contexts/${ctx.id}/groups`, { name: 'Interno' });
    expect((await asOutsider.post(`/api/contexts/${ctx.id}/groups/merge`, { groupIds: [a.body.groupId, internal.body.id] })).status).to.equal(403);
  });

  it('"aggiungi esterno" adds a guest who signed in through a link of the context, and only such a guest', async () => {
    const { ctx, link } = await contextWithLink();
    const visitor = await guest('Visitatore');
    const stranger = await guest('Estraneo');
    await visitor.get(`/api/guest/${link.token}`); // signed in through the link: "notifica accesso"
    const candidates = (await asPiero.get(`/api/contexts/${ctx.id}/externals`)).body.items;
    expect(candidates.map((c: { name: string }) => c.name)).to.deep.equal(['Visitatore']);
    const group = (await asPiero.post(`/api/contexts/${ctx.id}/groups`, { name: 'Progetto', memberIds: [daniele.id] })).body;
    const visitorId = candidates[0].id;
    const strangerMe = (await stranger.get('/api/me')).body.externalUser.id;
    const refused = await asPiero.post(`/api/groups/${group.id}/members`, { externalUserId: strangerMe });
    expect(refused.status).to.equal(404);
    const added = await asPiero.post(`/api/groups/${group.id}/members`, { externalUserId: visitorId });
    expect(added.status).to.equal(201);
    expect(added.body.kind).to.equal('external');
    expect(added.body.members.map((m: { id: string }) => m.id)).to.include(visitorId);
    expect((await asPiero.post(`/api/groups/${group.id}/members`, { externalUserId: visitorId })).status).to.equal(409);
    await asPiero.post(`/api/groups/${group.id}/messages`, { clientId: cid(), body: 'Benvenuto nel gruppo' });
    const view = (await visitor.get(`/api/guest/${link.token}`)).body;
    expect(view.group.id).to.equal(group.id);
    const history = (await visitor.get(`/api/guest/${link.token}/messages`)).body.messages;
    expect(history.map((m: { body: string }) => m.body)).to.deep.equal(['Benvenuto nel gruppo']);
    expect((await asOutsider.post(`/api/groups/${group.id}/members`, { externalUserId: visitorId })).status).to.equal(403);
    expect((await asPiero.post(`/api/groups/${group.id}/members`, { externalUserId: 'x' })).status).to.equal(400);
  });

  it('lists the message list with last message, unread badge and lock state, live', async () => {
    const { ctx, link } = await contextWithLink([daniele.id]);
    const danieleSocket = track(await connectSocket(asDaniele));
    const notified = next(danieleSocket, 'notification:new', (n: { contextId: string }) => n.contextId === ctx.id);
    const g = await guest('Lista');
    await g.post(`/api/guest/${link.token}/messages`, { clientId: cid(), body: 'Ultimo messaggio' });
    await notified;
    await server.chat.settle();
    const list = (await asDaniele.get('/api/contexts')).body.items;
    expect(list[0]).to.deep.include({ id: ctx.id, unread: 1, chatActive: true });
    expect(list[0].lastMessage).to.deep.include({ body: 'Ultimo messaggio', authorName: 'Lista' });
    const forPiero = (await asPiero.get('/api/contexts')).body.items.find((c: { id: string }) => c.id === ctx.id);
    expect(forPiero.unread).to.equal(0);
    await asPiero.patch(`/api/links/${link.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const closed = (await asPiero.get('/api/contexts')).body.items.find((c: { id: string }) => c.id === ctx.id);
    expect(closed.chatActive).to.equal(false);
  });

  it('saves a note as a template, and refuses other kinds', async () => {
    const note = await asPiero.post('/api/contexts', { kind: 'note', subject: 'Richiesta da sito', bodyHtml: '<p>Modulo</p>' });
    const tpl = await asPiero.post(`/api/contexts/${note.body.id}/template`, { name: 'Contatti dal sito' });
    expect(tpl.status).to.equal(201);
    expect(tpl.body).to.deep.include({ name: 'Contatti dal sito', subject: 'Richiesta da sito', bodyHtml: '<p>Modulo</p>' });
    const email = await asPiero.post('/api/contexts', { kind: 'email', subject: 'x' });
    expect((await asPiero.post(`/api/contexts/${email.body.id}/template`, { name: 'x' })).status).to.equal(400);
    expect((await asOutsider.post(`/api/contexts/${note.body.id}/template`, { name: 'x' })).status).to.equal(403);
  });
});
