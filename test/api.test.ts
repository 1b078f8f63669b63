import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

type User = Awaited<ReturnType<typeof makeUser>>;

describeEngines('internal API', (engine) => {
  let server: RunningServer;
  let alice: User; // viewer
  let bob: User; // same organisation, not a viewer
  let mallory: User; // another organisation
  let asAlice: TestClient;
  let asBob: TestClient;
  let asMallory: TestClient;
  let asGuest: TestClient;
  let anonymous: TestClient;

  before(async () => {
    server = await startTestServer(engine.options(), { MAX_UPLOAD_BYTES: String(400 * 1024) });
    const db = server.database.db;
    const org = await makeOrg(db);
    const other = await makeOrg(db);
    alice = await makeUser(db, org, { name: 'Alice Rossi' });
    bob = await makeUser(db, org, { name: 'Bruno Bianchi' });
    mallory = await makeUser(db, other, { name: 'Mallory' });
    asAlice = new TestClient(server.url);
    asBob = new TestClient(server.url);
    asMallory = new TestClient(server.url);
    asGuest = new TestClient(server.url);
    anonymous = new TestClient(server.url);
    await asAlice.signIn('internal', alice.email);
    await asBob.signIn('internal', bob.email);
    await asMallory.signIn('internal', mallory.email);
    await asGuest.signIn('external', 'guest@customer.test');
  });
  after(async () => {
    await server?.close();
  });

  describe('health', () => {
    it('answers ok with the engine', async () => {
      const res = await anonymous.get('/healthz');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok', database: engine.engine });
    });
  });

  describe('contexts', () => {
    it('creates each kind, with the creator and chosen viewers, and reads it back', async () => {
      const email = await asAlice.post('/api/contexts', {
        kind: 'email',
        subject: 'Preventivo',
        bodyHtml: '<p onclick="steal()">Ciao <script>alert(1)</script><b>mondo</b></p>',
        email: { to: ['cliente@customer.test'], cc: [] },
        viewerIds: [bob.id],
      });
      expect(email.status).to.equal(201);
      expect(email.body.kind).to.equal('email');
      expect(email.body.bodyHtml).to.equal('<p>Ciao <b>mondo</b></p>');
      expect(email.body.email).to.deep.equal({ from: null, to: ['cliente@customer.test'], cc: [] });
      expect(email.body.viewers.map((v: { id: string }) => v.id)).to.have.members([alice.id, bob.id]);
      const event = await asAlice.post('/api/contexts', {
        kind: 'event',
        subject: 'Sopralluogo',
        event: { start: '2026-12-02T09:00:00+01:00', end: '2026-12-02T10:30:00+01:00', timeZone: 'Europe/Rome', invite: true },
      });
      expect(event.status).to.equal(201);
      expect(event.body.event).to.deep.include({ start: '2026-12-02T08:00:00.000Z', end: '2026-12-02T09:30:00.000Z', invite: true });
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Verbale' });
      expect(note.status).to.equal(201);
      const read = await asAlice.get(`/api/contexts/${note.body.id}`);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.include({ id: note.body.id, kind: 'note', subject: 'Verbale', email: null, event: null });
    });

    it('lists the contexts the user views, newest activity first, in pages', async () => {
      const client = new TestClient(server.url);
      const db = server.database.db;
      const org = await makeOrg(db);
      const carla = await makeUser(db, org);
      await client.signIn('internal', carla.email);
      const base = Date.now();
      for (let i = 0; i < 5; i++) await makeContext(db, carla, { subject: `n${i}`, lastActivityAt: new Date(base - i * 1000) });
      await makeContext(db, carla, { subject: 'not mine' }, [(await makeUser(db, org)).id]);
      const first = await client.get('/api/contexts?limit=2');
      expect(first.body.items.map((c: { subject: string }) => c.subject)).to.deep.equal(['n0', 'n1']);
      const second = await client.get(`/api/contexts?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items.map((c: { subject: string }) => c.subject)).to.deep.equal(['n2', 'n3']);
      const third = await client.get(`/api/contexts?limit=2&cursor=${second.body.nextCursor}`);
      expect(third.body.items.map((c: { subject: string }) => c.subject)).to.deep.equal(['n4']);
      expect(third.body.nextCursor).to.equal(null);
      expect((await client.get('/api/contexts?limit=0')).status).to.equal(400);
      expect((await client.get('/api/contexts?cursor=garbage')).body.error.code).to.equal('validation_failed');
    });

    it('updates subject and body, and refuses fields of another kind', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Prima' });
      const res = await asAlice.patch(`/api/contexts/${note.body.id}`, { subject: 'Dopo', bodyHtml: '<i>x</i>' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({ subject: 'Dopo', bodyHtml: '<i>x</i>' });
      const wrong = await asAlice.patch(`/api/contexts/${note.body.id}`, { email: { to: [] } });
      expect(wrong.status).to.equal(400);
      expect(wrong.body.error.code).to.equal('validation_failed');
    });

    it('adds and removes viewers, keeping at least one', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Viewers' });
      expect((await asBob.get(`/api/contexts/${note.body.id}`)).status).to.equal(403);
      const added = await asAlice.post(`/api/contexts/${note.body.id}/viewers`, { userId: bob.id });
      expect(added.status).to.equal(201);
      expect((await asBob.get(`/api/contexts/${note.body.id}`)).status).to.equal(200);
      expect((await asAlice.post(`/api/contexts/${note.body.id}/viewers`, { userId: mallory.id })).status).to.equal(404);
      expect((await asAlice.post(`/api/contexts/${note.body.id}/viewers`, { userId: 'nope' })).status).to.equal(400);
      const removed = await asBob.delete(`/api/contexts/${note.body.id}/viewers/${alice.id}`);
      expect(removed.status).to.equal(200);
      expect(removed.body.viewers.map((v: { id: string }) => v.id)).to.deep.equal([bob.id]);
      const last = await asBob.delete(`/api/contexts/${note.body.id}/viewers/${bob.id}`);
      expect(last.status).to.equal(409);
      expect(last.body.error.code).to.equal('last_viewer');
      expect((await asBob.delete(`/api/contexts/${note.body.id}/viewers/${randomUUID()}`)).status).to.equal(404);
    });

    it('refuses the unauthenticated, guests, non-viewers and other organisations', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Private' });
      const id = note.body.id as string;
      const calls: [string, string, unknown?][] = [
        ['GET', `/api/contexts/${id}`],
        ['PATCH', `/api/contexts/${id}`, { subject: 'hacked' }],
        ['POST', `/api/contexts/${id}/viewers`, { userId: bob.id }],
        ['DELETE', `/api/contexts/${id}/viewers/${alice.id}`],
      ];
      for (const [method, path, body] of calls) {
        for (const client of [anonymous, asGuest]) {
          const res = await client.request(method, path, body);
          expect(res.status, `${method} ${path} anonymous/guest`).to.equal(401);
          expect(res.body.error.code).to.equal('unauthenticated');
        }
        const nonViewer = await asBob.request(method, path, body);
        expect(nonViewer.status, `${method} ${path} non-viewer`).to.equal(403);
        const otherOrg = await asMallory.request(method, path, body);
        expect(otherOrg.status, `${method} ${path} other org`).to.equal(404);
        expect(JSON.stringify(otherOrg.body)).to.not.include('Private');
      }
      expect((await anonymous.get('/api/contexts')).status).to.equal(401);
      expect((await anonymous.post('/api/contexts', { kind: 'note', subject: 'x' })).status).to.equal(401);
      const read = await asAlice.get(`/api/contexts/${id}`);
      expect(read.body.subject).to.equal('Private');
    });

    it('answers 404 for an unknown id and 400 for a malformed one or a bad body', async () => {
      expect((await asAlice.get(`/api/contexts/${randomUUID()}`)).status).to.equal(404);
      const malformed = await asAlice.get('/api/contexts/not-a-uuid');
      expect(malformed.status).to.equal(400);
      expect(malformed.body.error.code).to.equal('validation_failed');
      const bad = await asAlice.post('/api/contexts', { kind: 'letter', subject: '' });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.issues.map((i: { path: string }) => i.path)).to.include.members(['kind', 'subject']);
      const notJson = await asAlice.post('/api/contexts', '{"kind":', { 'content-type': 'application/json' });
      expect(notJson.status).to.equal(400);
      expect(notJson.body.error.code).to.equal('invalid_json');
      const unknownRoute = await asAlice.get('/api/nothing-here');
      expect(unknownRoute.status).to.equal(404);
      expect(unknownRoute.body.error.code).to.equal('not_found');
    });

    it('refuses a state-changing request from another site', async () => {
      const res = await asAlice.post('/api/contexts', { kind: 'note', subject: 'csrf' }, { origin: 'https://evil.test' });
      expect(res.status).to.equal(403);
      expect(res.body.error.code).to.equal('csrf_failed');
      const fetchSite = await asAlice.post('/api/contexts', { kind: 'note', subject: 'csrf' }, { origin: '', 'sec-fetch-site': 'cross-site' });
      expect(fetchSite.status).to.equal(403);
    });
  });

  describe('attachments', () => {
    it('uploads, lists and downloads a file with the right headers and bytes', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Files' });
      const bytes = new Uint8Array(300 * 1024 + 7).map((_, i) => (i * 31) % 256);
      bytes.set(Buffer.from('%PDF-1.7\n'));
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'offerta 2027 è.pdf');
      form.append('file', new Blob(['ciao'], { type: 'text/html' }), '../../etc/<script>x.html');
      const up = await asAlice.post(`/api/contexts/${note.body.id}/attachments`, form);
      expect(up.status, up.text).to.equal(201);
      const [pdf, html] = up.body.attachments as { id: string; fileName: string; size: number; contentType: string }[];
      expect(pdf).to.deep.include({ fileName: 'offerta 2027 è.pdf', size: bytes.length, contentType: 'application/pdf' });
      expect(html!.fileName).to.equal('_script_x.html');
      const read = await asAlice.get(`/api/contexts/${note.body.id}`);
      expect(read.body.attachments).to.have.length(2);
      const res = await asAlice.raw('GET', `/api/attachments/${pdf!.id}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('application/pdf');
      expect(res.headers.get('content-disposition')).to.equal(
        `attachment; filename="offerta 2027 _.pdf"; filename*=UTF-8''offerta%202027%20%C3%A8.pdf`,
      );
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);
      const page = await asAlice.raw('GET', `/api/attachments/${html!.id}`);
      expect(page.headers.get('content-security-policy')).to.include('sandbox');
      expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(page.headers.get('content-disposition')).to.match(/^attachment;/);
      await page.arrayBuffer();
      // Others cannot read it.
      expect((await asBob.get(`/api/attachments/${pdf!.id}`)).status).to.equal(403);
      expect((await asMallory.get(`/api/attachments/${pdf!.id}`)).status).to.equal(404);
      expect((await anonymous.get(`/api/attachments/${pdf!.id}`)).status).to.equal(401);
      expect((await asAlice.get(`/api/attachments/${randomUUID()}`)).status).to.equal(404);
    });

    it('refuses an oversized upload with 413 and keeps nothing of it', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Too big' });
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(400 * 1024 + 1)]), 'big.bin');
      const res = await asAlice.post(`/api/contexts/${note.body.id}/attachments`, form);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
      const read = await asAlice.get(`/api/contexts/${note.body.id}`);
      expect(read.body.attachments).to.deep.equal([]);
      const huge = await asAlice.post(`/api/contexts/${note.body.id}/attachments`, 'x', {
        'content-type': 'multipart/form-data; boundary=x',
        'content-length': String(100 * 1024 * 1024),
      }).catch(() => ({ status: 413 }));
      expect(huge.status).to.equal(413);
    });

    it('refuses a body that is not multipart, an empty upload, and non-viewers', async () => {
      const note = await asAlice.post('/api/contexts', { kind: 'note', subject: 'Bad uploads' });
      const json = await asAlice.post(`/api/contexts/${note.body.id}/attachments`, { file: 'x' });
      expect(json.status).to.equal(415);
      const empty = await asAlice.post(`/api/contexts/${note.body.id}/attachments`, new FormData());
      expect(empty.status).to.equal(400);
      const form = new FormData();
      form.append('file', new Blob(['x']), 'x.txt');
      expect((await asBob.post(`/api/contexts/${note.body.id}/attachments`, form)).status).to.equal(403);
    });
  });

  describe('templates', () => {
    it('creates, lists, reads and updates templates within the organisation', async () => {
      const created = await asAlice.post('/api/templates', { name: 'Contatti', subject: 'Richiesta da sito', bodyHtml: '<p>x</p>' });
      expect(created.status).to.equal(201);
      const list = await asBob.get('/api/templates');
      expect(list.body.items.map((t: { id: string }) => t.id)).to.include(created.body.id);
      expect((await asBob.get(`/api/templates/${created.body.id}`)).body.subject).to.equal('Richiesta da sito');
      const updated = await asBob.patch(`/api/templates/${created.body.id}`, { subject: 'Richiesta dal sito web' });
      expect(updated.body.subject).to.equal('Richiesta dal sito web');
      expect((await asMallory.get(`/api/templates/${created.body.id}`)).status).to.equal(404);
      expect((await asMallory.get('/api/templates')).body.items).to.deep.equal([]);
      expect((await anonymous.get('/api/templates')).status).to.equal(401);
      expect((await asAlice.post('/api/templates', { name: '' })).status).to.equal(400);
      expect((await asAlice.patch(`/api/templates/${created.body.id}`, {})).status).to.equal(400);
      expect((await asAlice.get(`/api/templates/${randomUUID()}`)).status).to.equal(404);
    });
  });

  describe('profile options', () => {
    it('reads the defaults (30 and 365 days) and updates them', async () => {
      const read = await asAlice.get('/api/profile/options');
      expect(read.body).to.deep.equal({ chatExpiryDays: 30, templateChatExpiryDays: 365, locale: 'it' });
      const updated = await asAlice.patch('/api/profile/options', { templateChatExpiryDays: 7300, locale: 'en' });
      expect(updated.body).to.deep.equal({ chatExpiryDays: 30, templateChatExpiryDays: 7300, locale: 'en' });
      expect((await asAlice.patch('/api/profile/options', { chatExpiryDays: -1 })).status).to.equal(400);
      expect((await asAlice.patch('/api/profile/options', { colour: 'red' })).status).to.equal(400);
      expect((await anonymous.get('/api/profile/options')).status).to.equal(401);
      expect((await asGuest.patch('/api/profile/options', { chatExpiryDays: 3 })).status).to.equal(401);
    });

    it('lists the members of the caller’s organisation only', async () => {
      const res = await asAlice.get('/api/users');
      const ids = res.body.items.map((u: { id: string }) => u.id);
      expect(ids).to.include.members([alice.id, bob.id]);
      expect(ids).to.not.include(mallory.id);
    });
  });
});
