/**
 * Authorization matrix (issue 10, item 4): every HTTP endpoint of the real app (read from its
 * router stack) and every socket event (the event map in common) × seven actors who must not
 * reach the target's data → refused with the product's status, and no data of the target in
 * the answer. A route or event without a row, or a row without its route, fails the suite.
 *
 * Statuses (the product's policy):
 *   401 unauthenticated  not signed in as what the endpoint needs (a guest or a revoked token on
 *                        the internal API, anyone without a guest session on a guest API)
 *   404 not_found        the target belongs to another organisation, or a guest is not in it:
 *                        its existence is not revealed
 *   403 forbidden        a member of the same organisation who is not a viewer of the context;
 *                        link_closed for a guest writing through an expired link
 *   own                  the endpoint answers about the caller's own things (their lists, their
 *                        own group): 2xx, and nothing of the target in the answer
 */
import { expect } from 'chai';
import { eq } from 'drizzle-orm';
import { CLIENT_EVENT_SCHEMAS } from '@chatpro/common';
import { schema, type RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { makeCast, makeContext, makeTemplate } from '../server/src/testing/factories.ts';
import { listRoutes } from '../server/src/testing/routes.ts';
import { connectSocket, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { unzip } from '../server/src/testing/zip.ts';
import { startFakeGoogle, type FakeGoogle } from '../gmail-addon/src/testing/fakeGoogle.ts';

const ACTORS = ['anonymous', 'guestOfAnotherGroup', 'guestOfAnotherContext', 'guestAfterExpiry', 'internalOfAnotherOrg', 'internalNonViewer', 'revokedExtensionToken'] as const;
type Actor = (typeof ACTORS)[number];
type Outcome = 401 | 403 | 404 | 'own' | 'public';
type Expect = Record<Actor, Outcome>;

const GUESTS = { guestOfAnotherGroup: 401, guestOfAnotherContext: 401, guestAfterExpiry: 401 } as const;
/** The internal API about one target: guests and bad tokens are not members (401); another org 404; a non-viewer 403. */
const TARGET: Expect = { anonymous: 401, ...GUESTS, internalOfAnotherOrg: 404, internalNonViewer: 403, revokedExtensionToken: 401 };
/** Templates belong to the whole organisation: a non-viewer of a context is still a member. */
const ORG_TARGET: Expect = { ...TARGET, internalNonViewer: 'own' };
/** The internal API about the caller's own things: any member, never a guest or a bad token. */
const OWN: Expect = { ...TARGET, internalOfAnotherOrg: 'own', internalNonViewer: 'own' };
const ALL = (o: Outcome): Expect => Object.fromEntries(ACTORS.map((a) => [a, o])) as Expect;
/** A guest API by link token, for the signed-in guest's own group only. */
const GUEST_OWN: Expect = { anonymous: 401, guestOfAnotherGroup: 'own', guestOfAnotherContext: 'own', guestAfterExpiry: 'own', internalOfAnotherOrg: 401, internalNonViewer: 401, revokedExtensionToken: 401 };

interface Row {
  expect: Expect;
  why?: string;
  body?: (t: Targets) => unknown;
  upload?: true;
}

interface Targets {
  contextId: string;
  groupId: string;
  linkId: string;
  templateId: string;
  attachmentId: string;
  guestFileId: string;
  viewerId: string;
  victimGuestId: string;
  token: string;
}

const send = () => ({ clientId: `authz${Math.random().toString(36).slice(2, 12)}`, body: 'hello' });

/** One row per endpoint. `public` rows say why; they are still called by every actor and must leak nothing. */
const HTTP: Record<string, Row> = {
  'GET /healthz': { expect: ALL('public'), why: 'liveness probe: database up or down, nothing else' },
  'GET /': { expect: ALL('public'), why: 'static page shell; data comes from the API' },
  'GET /app': { expect: ALL('public'), why: 'static page shell of the workspace; data comes from the API' },
  'GET /app/{*rest}': { expect: ALL('public'), why: 'same shell for the workspace\u2019s client-side routes' },
  'GET /c/:token': { expect: ALL('public'), why: 'static guest page shell; the token is checked by the API it calls' },
  'USE /assets': { expect: ALL('public'), why: 'built scripts and styles' },
  'USE /addins/outlook': { expect: ALL('public'), why: 'the Outlook add-in\u2019s static pages' },
  'GET /addins/outlook/manifest.json': { expect: ALL('public'), why: 'add-in manifest for this server' },
  'GET /addins/outlook/manifest.xml': { expect: ALL('public'), why: 'add-in manifest for this server' },
  'GET /addins/outlook/app-package.zip': { expect: ALL('public'), why: 'add-in package for this server' },
  'USE /dev-oidc': { expect: ALL('public'), why: 'development identity provider (refused in production)' },
  'GET /dev-oidc/interaction/:uid': { expect: ALL('public'), why: 'development identity provider (refused in production)' },
  'POST /dev-oidc/interaction/:uid/login': { expect: ALL('public'), why: 'development identity provider (refused in production)' },
  'GET /mail/unsubscribe': { expect: ALL(404), why: 'the signed token in the query is the authority; without it 404' },
  'POST /mail/unsubscribe': { expect: ALL(404), why: 'the signed token in the query is the authority; without it 404' },
  'GET /auth/providers': { expect: ALL('public'), why: 'the sign-in buttons' },
  'GET /auth/:provider/login': { expect: ALL('public'), why: 'starts a sign-in (redirect to the provider)' },
  'GET /auth/:provider/callback': { expect: ALL('public'), why: 'ends a sign-in: state, browser binding, PKCE and nonce checked (auth tests)' },
  'POST /auth/:provider/callback': { expect: ALL('public'), why: 'form_post sign-in end (Apple), same checks' },
  'POST /auth/logout': { expect: ALL('public'), why: 'ends the caller\u2019s own session (CSRF-checked)' },
  'GET /extension/connect': { expect: ALL('public'), why: 'sends a visitor to the members\u2019 sign-in, then mints a token for that member only' },
  'GET /addons/gmail/logo.png': { expect: ALL('public'), why: 'the add-on\u2019s icon' },
  // Gmail add-on: Google's signed ID tokens only; sessions and extension tokens are not accepted.
  'POST /addons/gmail/homepage': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/contextual': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/refresh': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/start': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/send': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/compose': { expect: ALL(401), body: () => ({}) },
  'POST /addons/gmail/insert-button': { expect: ALL(401), body: () => ({}) },
  // Who am I: answers about the caller only.
  'GET /api/me': { expect: ALL('own') },
  'GET /api/users': { expect: OWN },
  'GET /api/profile/options': { expect: OWN },
  'PATCH /api/profile/options': { expect: OWN, body: () => ({ locale: 'it' }) },
  'GET /api/contexts': { expect: OWN },
  'POST /api/contexts': { expect: OWN, body: () => ({ kind: 'note', subject: 'Own note' }) },
  'GET /api/contexts/:id': { expect: TARGET },
  'PATCH /api/contexts/:id': { expect: TARGET, body: () => ({ subject: 'Renamed by an intruder' }) },
  'POST /api/contexts/:id/viewers': { expect: TARGET, body: (t) => ({ userId: t.viewerId }) },
  'DELETE /api/contexts/:id/viewers/:userId': { expect: TARGET },
  'POST /api/contexts/:id/attachments': { expect: TARGET, upload: true },
  'GET /api/attachments/:id': { expect: TARGET },
  'GET /api/templates': { expect: OWN },
  'POST /api/templates': { expect: OWN, body: () => ({ name: 'Own template', subject: 'Own' }) },
  'GET /api/templates/:id': { expect: ORG_TARGET },
  'PATCH /api/templates/:id': { expect: ORG_TARGET, body: () => ({ name: 'Template renamed by a colleague' }) },
  'GET /api/contexts/:id/links': { expect: TARGET },
  'POST /api/contexts/:id/links': { expect: TARGET, body: () => ({}) },
  'GET /api/templates/:id/links': { expect: ORG_TARGET },
  'POST /api/templates/:id/links': { expect: ORG_TARGET, body: () => ({}) },
  'GET /api/links/:id': { expect: TARGET },
  'PATCH /api/links/:id': { expect: TARGET, body: () => ({ showBody: true }) },
  'GET /api/contexts/:id/groups': { expect: TARGET },
  'GET /api/groups/:id/messages': { expect: TARGET },
  'POST /api/groups/:id/messages': { expect: TARGET, body: send },
  'POST /api/groups/:id/read': { expect: TARGET, body: () => ({ seq: 0 }) },
  'GET /api/groups/:id/export': { expect: TARGET },
  'POST /api/uploads': { expect: OWN, upload: true },
  'GET /api/notifications': { expect: OWN },
  'POST /api/notifications/read': { expect: OWN, body: () => ({ all: true }) },
  'POST /api/contexts/:id/groups': { expect: TARGET, body: () => ({ name: 'Intruders' }) },
  'POST /api/contexts/:id/groups/merge': { expect: TARGET, body: (t) => ({ groupIds: [t.groupId, t.groupId] }) },
  'GET /api/contexts/:id/externals': { expect: TARGET },
  'POST /api/groups/:id/members': { expect: TARGET, body: (t) => ({ externalUserId: t.victimGuestId }) },
  'POST /api/contexts/:id/template': { expect: TARGET, body: () => ({ name: 'Stolen' }) },
  'POST /api/contexts/:id/send-email': { expect: TARGET, body: () => ({}) },
  'POST /api/contexts/:id/send-invitation': { expect: TARGET, body: () => ({}) },
  'GET /api/extension/tokens': { expect: OWN },
  'DELETE /api/extension/token': { expect: ALL(401), why: 'revokes the calling bearer token only; a session or a revoked token is 401' },
  // Guest API by link token (the guests of other groups and of an expired link use their own links).
  'GET /api/guest/:token': { expect: ALL('own'), why: 'the token is the authority for the link\u2019s public subject and state; a signed-in guest sees their own group' },
  'GET /api/guest/:token/messages': { expect: GUEST_OWN },
  'POST /api/guest/:token/messages': { expect: { ...GUEST_OWN, guestAfterExpiry: 403 }, body: send },
  'POST /api/guest/:token/uploads': { expect: { ...GUEST_OWN, guestAfterExpiry: 403 }, upload: true },
  'GET /api/guest/:token/files/:id': { expect: { ...GUEST_OWN, guestOfAnotherGroup: 404, guestOfAnotherContext: 404, guestAfterExpiry: 404 } },
  'GET /api/guest/:token/export': { expect: GUEST_OWN },
};

type EventOutcome = 'refused at connection' | 'not_found' | 'forbidden' | 'validation_failed' | 'own';
const NOT_IN_GROUP: Record<Actor, EventOutcome> = {
  anonymous: 'refused at connection',
  guestOfAnotherGroup: 'not_found',
  guestOfAnotherContext: 'not_found',
  guestAfterExpiry: 'not_found',
  internalOfAnotherOrg: 'not_found',
  internalNonViewer: 'forbidden',
  revokedExtensionToken: 'refused at connection',
};

/** One row per socket event: the payload aims at the target group or context. */
const EVENTS: Record<keyof typeof CLIENT_EVENT_SCHEMAS, { expect: Record<Actor, EventOutcome>; payload: (t: Targets) => unknown }> = {
  'chat:join': { expect: NOT_IN_GROUP, payload: (t) => ({ groupId: t.groupId, sinceSeq: 0 }) },
  'message:send': { expect: NOT_IN_GROUP, payload: (t) => ({ groupId: t.groupId, ...send() }) },
  'messages:since': { expect: NOT_IN_GROUP, payload: (t) => ({ groupId: t.groupId, sinceSeq: 0 }) },
  typing: { expect: NOT_IN_GROUP, payload: (t) => ({ groupId: t.groupId, typing: true }) },
  read: { expect: NOT_IN_GROUP, payload: (t) => ({ groupId: t.groupId, seq: 1 }) },
  'context:watch': {
    expect: { ...NOT_IN_GROUP, guestOfAnotherGroup: 'forbidden', guestOfAnotherContext: 'forbidden', guestAfterExpiry: 'forbidden' },
    payload: (t) => ({ contextId: t.contextId }),
  },
};

const LOGOUT = 'POST /auth/logout';

// The policies are the same SQL on either engine: one engine keeps the suite's time down.
describe('authorization matrix [pglite]', () => {
  const engine = { options: () => ({ kind: 'pglite', dataDir: null }) as const };
  let server: RunningServer;
  let google: FakeGoogle;
  let targets: Targets;
  let secrets: string[];
  /** Strings of the target organisation that only its members may see (a non-viewer colleague may). */
  let orgSecrets: string[];
  const clients = {} as Record<Actor, TestClient>;
  const tokenOf = {} as Record<Actor, string>;
  const bearer: Record<string, string> = {};

  before(async function () {
    this.timeout(120_000);
    google = await startFakeGoogle();
    server = await startTestServer(engine.options(), {
      GMAIL_ADDON_SERVICE_ACCOUNT: 'addon@chatpro-test.iam.gserviceaccount.com',
      GMAIL_ADDON_OAUTH_CLIENT_ID: 'authz-matrix-client',
      GOOGLE_CERTS_URL: google.certsUrl,
    });
    const db = server.database.db;
    const cast = await makeCast(server);
    const { piero, daniele, asPiero } = cast;
    const context = await makeContext(db, piero, { subject: 'SECRET-SUBJECT-4f1c', bodyHtml: '<p>SECRET-BODY-9a2e</p>' }, [piero.id, daniele.id]);
    const template = await makeTemplate(db, piero);
    const link = (await asPiero.post(`/api/contexts/${context.id}/links`, { subject: 'Modulo pubblico' })).body;
    const otherContext = await makeContext(db, piero, { subject: 'Another note' });
    const otherLink = (await asPiero.post(`/api/contexts/${otherContext.id}/links`, {})).body;
    const lateLink = (await asPiero.post(`/api/contexts/${context.id}/links`, { subject: 'Chiuso' })).body;
    const file = new FormData();
    file.append('file', new Blob(['%PDF-1.4 secret'], { type: 'application/pdf' }), 'SECRET-FILE-77b0.pdf');
    const attachment = (await asPiero.post(`/api/contexts/${context.id}/attachments`, file)).body.attachments[0];

    // The target: a guest's group in the context, with a message and a file.
    const victim = new TestClient(server.url);
    await victim.signIn('external', 'secret-guest-31d8@customer.test', { name: 'SECRET-GUEST-NAME-c3d4', link: link.token });
    const upload = new FormData();
    upload.append('file', new Blob(['%PDF-1.4 guest'], { type: 'application/pdf' }), 'SECRET-GUEST-FILE-5e6f.pdf');
    const guestFile = (await victim.post(`/api/guest/${link.token}/uploads`, upload)).body.attachments[0];
    const first = await victim.post(`/api/guest/${link.token}/messages`, { clientId: 'victim-00001', body: 'SECRET-MESSAGE-1b2c', attachmentIds: [guestFile.id] });
    expect(first.status).to.equal(201);
    const groupId = first.body.groupId as string;
    await asPiero.post(`/api/groups/${groupId}/messages`, { clientId: 'victim-00002', body: 'SECRET-REPLY-8d9e' });

    const guest = async (email: string, token: string) => {
      const c = new TestClient(server.url);
      await c.signIn('external', email, { link: token });
      expect((await c.post(`/api/guest/${token}/messages`, { clientId: `own-${Math.random().toString(36).slice(2, 10)}`, body: 'my own' })).status).to.equal(201);
      return c;
    };
    clients.anonymous = new TestClient(server.url);
    [clients.guestOfAnotherGroup, clients.guestOfAnotherContext, clients.guestAfterExpiry] = await Promise.all([
      guest('other-group@customer.test', link.token),
      guest('other-context@customer.test', otherLink.token),
      guest('expired@customer.test', lateLink.token),
    ]);
    await db.update(schema.chatLinks).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(schema.chatLinks.id, lateLink.id));
    clients.internalOfAnotherOrg = cast.asForeigner;
    clients.internalNonViewer = cast.asOutsider;
    // Piero himself, a viewer, through an extension token he has revoked.
    const minted = await asPiero.raw('GET', `/extension/connect?redirect=${encodeURIComponent('https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/cb')}`);
    const revoked = decodeURIComponent(minted.headers.get('location')!.split('#token=')[1]!);
    expect((await new TestClient(server.url).request('DELETE', '/api/extension/token', undefined, { authorization: `Bearer ${revoked}` })).status).to.equal(204);
    clients.revokedExtensionToken = new TestClient(server.url);
    bearer.revokedExtensionToken = revoked;
    for (const a of ACTORS) tokenOf[a] = link.token;
    tokenOf.guestOfAnotherContext = otherLink.token;
    tokenOf.guestAfterExpiry = lateLink.token;

    targets = {
      contextId: context.id,
      groupId,
      linkId: link.id,
      templateId: template.id,
      attachmentId: attachment.id,
      guestFileId: guestFile.id,
      viewerId: daniele.id,
      victimGuestId: (await victim.get('/api/me')).body.externalUser.id,
      token: link.token,
    };
    secrets = ['SECRET-SUBJECT-4f1c', 'SECRET-BODY-9a2e', 'SECRET-FILE-77b0', 'SECRET-GUEST-NAME-c3d4', 'secret-guest-31d8', 'SECRET-GUEST-FILE-5e6f', 'SECRET-MESSAGE-1b2c', 'SECRET-REPLY-8d9e', revoked];
    orgSecrets = [piero.email, daniele.email, piero.name, daniele.name, context.id, groupId];
  });
  after(async () => {
    await server?.close();
    await google?.close();
  });

  it('has exactly one row for every HTTP endpoint and every socket event', async () => {
    const routes = listRoutes(server.app);
    const rows = Object.keys(HTTP);
    expect(routes.filter((r) => !rows.includes(r)), 'endpoints without a row in the matrix').to.deep.equal([]);
    expect(rows.filter((r) => !routes.includes(r)), 'rows naming an endpoint that no longer exists').to.deep.equal([]);
    // The events the server actually listens to, read from a live socket.
    const socket = await connectSocket(clients.internalNonViewer);
    try {
      const serverSide = server.io.of('/').sockets.get(socket.id!)!;
      const registered = serverSide.eventNames().map(String).filter((e) => !['disconnect', 'disconnecting', 'error'].includes(e));
      expect(registered.sort(), 'socket events without a row').to.deep.equal(Object.keys(EVENTS).sort());
      expect(Object.keys(CLIENT_EVENT_SCHEMAS).sort()).to.deep.equal(Object.keys(EVENTS).sort());
    } finally {
      socket.disconnect();
    }
    const checks = (rows.length + Object.keys(EVENTS).length) * ACTORS.length;
    console.log(`figure: authorization matrix ${rows.length} routes + ${Object.keys(EVENTS).length} events × ${ACTORS.length} actors = ${checks} checks`);
  });

  function fill(route: string, actor: Actor): string {
    const path = route.split(' ')[1]!;
    const t = targets;
    return path
      .replace('/api/guest/:token/files/:id', `/api/guest/${tokenOf[actor]}/files/${t.guestFileId}`)
      .replace(':token', tokenOf[actor])
      .replace('/contexts/:id', `/contexts/${t.contextId}`)
      .replace('/groups/:id', `/groups/${t.groupId}`)
      .replace('/links/:id', `/links/${t.linkId}`)
      .replace('/templates/:id', `/templates/${t.templateId}`)
      .replace('/attachments/:id', `/attachments/${t.attachmentId}`)
      .replace(':userId', t.viewerId)
      .replace(':provider', 'dev')
      .replace(':uid', 'no-such-interaction')
      .replace('{*rest}', 'contexts')
      .replace(/^(\/assets|\/addins\/outlook|\/dev-oidc)$/, '$1/no-such-file.js');
  }

  async function textOf(res: Response): Promise<string> {
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.subarray(0, 2).toString() !== 'PK') return bytes.toString('utf8');
    // An export: what it holds, not its compressed bytes.
    const entries = await unzip(bytes);
    return [...entries].map(([name, data]) => `${name}\n${data.toString('utf8')}`).join('\n');
  }

  it('refuses every endpoint to every actor with the policy\u2019s status, and answers nothing of the target', async function () {
    this.timeout(120_000);
    const failures: string[] = [];
    const started = performance.now();
    // Signing out is checked last, on its own: it ends the actors' sessions.
    for (const [route, row] of Object.entries(HTTP).filter(([r]) => r !== LOGOUT)) {
      const method = route.split(' ')[0] === 'USE' ? 'GET' : route.split(' ')[0]!;
      // The seven actors at once (each actor's own requests stay in order).
      await Promise.all(
        ACTORS.map(async (actor) => {
          const client = clients[actor];
          const headers: Record<string, string> = {};
          if (bearer[actor]) headers.authorization = `Bearer ${bearer[actor]}`;
          let body: BodyInit | undefined;
          if (row.upload) {
            const form = new FormData();
            form.append('file', new Blob(['%PDF-1.4 x'], { type: 'application/pdf' }), 'mine.pdf');
            body = form;
          } else if (row.body) {
            body = JSON.stringify(row.body(targets));
            headers['content-type'] = 'application/json';
          }
          const res = await client.raw(method, fill(route, actor), { headers, ...(body ? { body } : {}) });
          const text = await textOf(res);
          const expected = row.expect[actor];
          const where = `${route} as ${actor}: ${res.status} ${text.slice(0, 120)}`;
          if (res.status >= 500) failures.push(`${where} (server error)`);
          else if (typeof expected === 'number' && res.status !== expected) failures.push(`${where} (expected ${expected})`);
          else if (expected === 'own' && (res.status < 200 || res.status >= 400)) failures.push(`${where} (expected an answer about the caller's own things)`);
          if (res.headers.get('referrer-policy') !== 'no-referrer') failures.push(`${where} (no Referrer-Policy: no-referrer)`);
          const leaked = [...secrets, ...(actor === 'internalNonViewer' || actor.startsWith('guest') ? [] : orgSecrets)].filter((s) => text.includes(s));
          if (leaked.length) failures.push(`${where} (leaks ${leaked.join(', ')})`);
        }),
      );
    }
    console.log(`figure: authorization matrix HTTP ${(Object.keys(HTTP).length - 1) * ACTORS.length} requests in ${Math.round(performance.now() - started)} ms`);
    expect(failures).to.deep.equal([]);
  });

  it('refuses every socket event to every actor, answers nothing of the target, and changes nothing', async function () {
    this.timeout(60_000);
    const before = await server.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, targets.groupId));
    const failures: string[] = [];
    for (const actor of ACTORS) {
      let socket: ChatSocket | null = null;
      try {
        socket = bearer[actor]
          ? await new Promise<ChatSocket>((resolve, reject) => {
              void import('socket.io-client').then(({ io }) => {
                const s = io(server.url, { transports: ['websocket'], auth: { token: bearer[actor] }, reconnection: false, forceNew: true }) as ChatSocket;
                s.once('connect', () => resolve(s));
                s.once('connect_error', (err) => {
                  s.disconnect();
                  reject(err);
                });
              });
            })
          : await connectSocket(clients[actor]);
      } catch (err) {
        for (const [event, row] of Object.entries(EVENTS)) {
          if (row.expect[actor] !== 'refused at connection') failures.push(`${event} as ${actor}: connection refused (${(err as Error).message})`);
        }
        continue;
      }
      const heard: string[] = [];
      socket.onAny((event: string, payload: unknown) => heard.push(`${event} ${JSON.stringify(payload)}`));
      for (const [event, row] of Object.entries(EVENTS)) {
        const ack = (await (socket.timeout(5000) as unknown as { emitWithAck(e: string, p: unknown): Promise<any> }).emitWithAck(event, row.payload(targets))) as {
          ok: boolean;
          error?: { code: string };
        };
        const expected = row.expect[actor];
        const text = JSON.stringify(ack);
        if (expected === 'refused at connection') failures.push(`${event} as ${actor}: connected, answered ${text}`);
        else if (ack.ok || ack.error?.code !== expected) failures.push(`${event} as ${actor}: ${text} (expected ${expected})`);
        const leaked = secrets.filter((s) => text.includes(s));
        if (leaked.length) failures.push(`${event} as ${actor}: leaks ${leaked.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
      const overheard = heard.filter((h) => secrets.some((s) => h.includes(s)) || h.includes(targets.groupId));
      if (overheard.length) failures.push(`${actor} overheard ${overheard.join(' | ')}`);
      socket.disconnect();
    }
    expect(failures).to.deep.equal([]);
    const after = await server.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, targets.groupId));
    expect(after.length, 'messages in the target group').to.equal(before.length);
  });

  it('signs out only the caller\u2019s own session, whoever calls (the last row: it ends the actors\u2019 sessions)', async () => {
    expect(HTTP[LOGOUT]!.expect).to.deep.equal(ALL('public'));
    const target = await server.database.db.select().from(schema.sessions);
    for (const actor of ACTORS) {
      const res = await clients[actor].post('/auth/logout', undefined, bearer[actor] ? { authorization: `Bearer ${bearer[actor]}` } : {});
      expect(res.status, actor).to.equal(204);
    }
    // The target's sessions (Piero's, Daniele's, the guest's) are all still there.
    const left = await server.database.db.select().from(schema.sessions);
    const ids = new Set(left.map((r) => r.sid));
    const victims = target.filter((r) => {
      const d = r.data as { userId?: string; externalUserId?: string };
      return d.externalUserId === targets.victimGuestId || d.userId === targets.viewerId;
    });
    expect(victims.length).to.be.greaterThan(0);
    for (const v of victims) expect(ids.has(v.sid)).to.equal(true);
  });
});
