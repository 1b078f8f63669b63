/**
 * Abuse limits, log redaction and Referrer-Policy (issue 10, item 7), against one real server
 * with low limits. Limits are counted in the process's memory whatever the database, so this
 * suite runs on PGlite only. Each test stands for its own client addresses (X-Forwarded-For
 * behind TRUST_PROXY), so that the per-IP counters of one test do not spill into another.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { io } from 'socket.io-client';
import { schema, type RunningServer } from '@chatpro/server';
import { createLogger } from '../server/src/logger.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { ask, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

let nextAddress = 1;
/** A client address of its own (TEST-NET-3), for the per-IP counters. */
const address = () => `203.0.113.${nextAddress++}`;
const fakeToken = () => randomBytes(24).toString('base64url');

describe('abuse limits, log redaction, Referrer-Policy [pglite]', () => {
  let server: RunningServer;
  const logLines: string[] = [];
  let db: RunningServer['database']['db'];
  const sockets: ChatSocket[] = [];

  before(async () => {
    server = await startTestServer(
      { kind: 'pglite', dataDir: null },
      {
        TRUST_PROXY: 'true',
        RATE_LIMIT_WINDOW_MS: '60000',
        RATE_LIMIT_LINK_PER_IP: '5',
        RATE_LIMIT_LINK_PER_USER: '10',
        RATE_LIMIT_SIGNIN_PER_IP: '6',
        RATE_LIMIT_SEND_PER_IP: '1000',
        RATE_LIMIT_SEND_PER_USER: '4',
        RATE_LIMIT_UPLOAD_PER_IP: '1000',
        RATE_LIMIT_UPLOAD_PER_USER: '2',
        SOCKET_EVENTS_PER_SECOND: '2',
        SOCKET_EVENT_BURST: '5',
        SOCKET_MAX_PAYLOAD_BYTES: '20000',
      },
      createLogger('debug', { write: (line: string) => void logLines.push(line) }),
    );
    db = server.database.db;
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
  });

  const client = (ip = address()) => new TestClient(server.url, { headers: { 'x-forwarded-for': ip } });

  async function signedIn(audience: 'internal' | 'external', email: string, link?: string) {
    const c = client();
    await c.signIn(audience, email, link ? { link } : {});
    return c;
  }

  async function socketOf(c: TestClient): Promise<ChatSocket> {
    const cookie = [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const s: ChatSocket = io(server.url, { transports: ['websocket'], extraHeaders: { cookie, ...c.headers }, reconnection: false, forceNew: true });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    return s;
  }

  async function linkFixture() {
    const org = await makeOrg(db);
    const piero = await makeUser(db, org);
    const context = await makeContext(db, piero, { bodyHtml: '<p>Vedi <a href="https://third-party.example/page">qui</a> e <a href="http://other.example">lì</a></p>' });
    const asPiero = await signedIn('internal', piero.email);
    const link = (await asPiero.post(`/api/contexts/${context.id}/links`, { showBody: true })).body as { id: string; token: string };
    return { org, piero, context, asPiero, link };
  }

  function expect429(res: { status: number; headers: Headers; body: any }) {
    expect(res.status).to.equal(429);
    expect(res.body.error.code).to.equal('rate_limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 60);
  }

  it('limits link-token guessing per IP (GET /c/:token and the guest API), and per guest', async () => {
    const guesser = client();
    for (let i = 0; i < 5; i++) expect((await guesser.get(`/api/guest/${fakeToken()}`)).body.error.code).to.equal('link_not_found');
    expect429(await guesser.get(`/api/guest/${fakeToken()}`));
    expect429(await guesser.get(`/c/${fakeToken()}`));
    // Another address is not held back by this one, and a guest using a real link is never counted.
    const { link } = await linkFixture();
    const guest = await signedIn('external', 'hopper@customer.test', link.token);
    for (let i = 0; i < 8; i++) expect((await guest.get(`/api/guest/${link.token}`)).status).to.equal(200);
    // A guest switching addresses is still counted as themselves.
    let refused: Awaited<ReturnType<TestClient['get']>> | null = null;
    let tries = 0;
    while (!refused && tries++ < 14) {
      const res = await guest.request('GET', `/api/guest/${fakeToken()}`, undefined, { 'x-forwarded-for': address() });
      if (res.status === 429) refused = res;
    }
    expect(tries, 'the guest was limited after their 10 guesses').to.equal(11);
    expect429(refused!);
    // …on their real link too, until the window ends.
    expect429(await guest.get(`/api/guest/${link.token}`));
  });

  it('limits sign-in per IP (start and callback)', async () => {
    const c = client();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.raw('GET', '/auth/dev/login?audience=external')).status);
    expect(statuses).to.deep.equal([302, 302, 302, 302, 302, 302]);
    const res = await c.request('GET', '/auth/dev/callback?code=x&state=y');
    expect429(res);
    expect429(await c.request('GET', '/auth/dev/login?audience=internal'));
  });

  it('limits sending per user, over HTTP and the socket together, and stores nothing refused', async () => {
    const { link, asPiero } = await linkFixture();
    const guest = await signedIn('external', 'chatty@customer.test', link.token);
    const sent: number[] = [];
    for (let i = 0; i < 4; i++) sent.push((await guest.post(`/api/guest/${link.token}/messages`, { clientId: `chatty-${i}-abcdef`, body: `m${i}` })).status);
    expect(sent).to.deep.equal([201, 201, 201, 201]);
    const refused = await guest.post(`/api/guest/${link.token}/messages`, { clientId: 'chatty-4-abcdef', body: 'm4' });
    expect429(refused);
    const view = await guest.get(`/api/guest/${link.token}`);
    const groupId = view.body.group?.id as string;
    expect(view.status, JSON.stringify(view.body)).to.equal(200);
    const stored = await db.select().from(schema.messages).where(eq(schema.messages.groupId, groupId));
    expect(stored.map((m) => m.body)).to.not.include('m4');

    // The same guest on a socket: the same budget, spent.
    const socket = await socketOf(guest);
    const ack = await ask(socket, 'message:send', { groupId, clientId: 'chatty-5-abcdef', body: 'm5' });
    expect(ack.ok).to.equal(false);
    expect(ack.error.code).to.equal('rate_limited');
    expect(ack.error.retryAfter).to.be.within(1, 60);
    // An internal user of the group has a budget of their own.
    const internal = await socketOf(asPiero);
    await ask(internal, 'chat:join', { groupId, sinceSeq: 0 });
    expect((await ask(internal, 'message:send', { groupId, clientId: 'piero-0-abcdef', body: 'risposta' })).ok).to.equal(true);
  });

  it('limits uploads per user', async () => {
    const { link } = await linkFixture();
    const guest = await signedIn('external', 'uploader@customer.test', link.token);
    const upload = () => {
      const form = new FormData();
      form.append('file', new Blob(['%PDF-1.4 x'], { type: 'application/pdf' }), 'a.pdf');
      return guest.post(`/api/guest/${link.token}/uploads`, form);
    };
    expect((await upload()).status).to.equal(201);
    expect((await upload()).status).to.equal(201);
    expect429(await upload());
  });

  it('gives each socket a token bucket of events: refused with retryAfter, then refilled', async () => {
    const { link } = await linkFixture();
    const guest = await signedIn('external', 'flood@customer.test', link.token);
    const socket = await socketOf(guest);
    const acks = await Promise.all(Array.from({ length: 12 }, () => ask(socket, 'chat:join', { linkToken: link.token, sinceSeq: 0 })));
    const ok = acks.filter((a) => a.ok).length;
    const limited = acks.filter((a) => !a.ok && a.error.code === 'rate_limited');
    expect(ok).to.be.within(5, 7); // the burst, and what refilled meanwhile
    expect(limited.length).to.equal(12 - ok);
    expect(limited[0].error.retryAfter).to.be.within(1, 2);
    await new Promise((r) => setTimeout(r, 1200));
    expect((await ask(socket, 'chat:join', { linkToken: link.token, sinceSeq: 0 })).ok).to.equal(true);
    console.log(`figure: socket token bucket (2/s, burst 5): ${ok} of 12 at once accepted, ${limited.length} refused with retryAfter`);
  });

  it('disconnects a socket that sends a packet over the size limit', async () => {
    const { link } = await linkFixture();
    const guest = await signedIn('external', 'bulky@customer.test', link.token);
    const socket = await socketOf(guest);
    const reason = new Promise<string>((resolve) => socket.once('disconnect', (r) => resolve(r)));
    socket.emit('message:send', { linkToken: link.token, clientId: 'bulky-0-abcdef', body: 'x'.repeat(50_000) }, () => {});
    expect(await reason).to.match(/transport (close|error)/);
    expect(await db.select().from(schema.messages).where(eq(schema.messages.clientId, 'bulky-0-abcdef'))).to.have.length(0);
  });

  it('never writes tokens, cookies, authorization headers or sign-in codes to the log', async () => {
    const { link, asPiero } = await linkFixture();
    logLines.length = 0;
    const secrets: string[] = [link.token];
    // A guest signs in by hand through the link, so that the callback's code and state are known.
    const guest = client();
    let res = await guest.raw('GET', `/auth/dev/login?audience=external&link=${link.token}&returnTo=${encodeURIComponent(`/c/${link.token}`)}`);
    let url = res.headers.get('location')!;
    secrets.push(new URL(url).searchParams.get('state')!, new URL(url).searchParams.get('nonce')!);
    for (let hops = 0; hops < 10 && !url.includes('/auth/dev/callback'); hops++) {
      res = await guest.raw('GET', url);
      const next = res.headers.get('location');
      if (next) url = new URL(next, url).href;
      else {
        const action = /action="([^"]*\/login)"/.exec(await res.text())![1]!;
        res = await guest.raw('POST', new URL(action, url).href, {
          body: new URLSearchParams({ email: 'logged@customer.test' }),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
        url = new URL(res.headers.get('location')!, url).href;
      }
    }
    secrets.push(new URL(url).searchParams.get('code')!);
    res = await guest.raw('GET', url);
    expect(res.status).to.equal(303);
    secrets.push(guest.cookies.get('chatpro.sid')!, asPiero.cookies.get('chatpro.sid')!);
    // A replay of the callback fails (and logs its failure).
    await guest.raw('GET', url);
    // The guest's pages and API, a wrong link, an extension token.
    await guest.get(`/c/${link.token}`);
    await guest.get(`/api/guest/${link.token}`);
    await guest.get(`/api/guest/${link.token}/messages?since=0`);
    await guest.post(`/api/guest/${link.token}/messages`, { clientId: 'logged-0-abcdef', body: 'ciao' });
    const minted = await asPiero.raw('GET', `/extension/connect?redirect=${encodeURIComponent('https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/cb')}`);
    const extensionToken = decodeURIComponent(minted.headers.get('location')!.split('#token=')[1]!);
    secrets.push(extensionToken);
    await client().request('GET', '/api/extension/tokens', undefined, { authorization: `Bearer ${extensionToken}` });
    await client().request('GET', `/auth/dev/callback?code=${'c0de'.repeat(8)}&state=${'57a7e'.repeat(6)}`);
    secrets.push('c0de'.repeat(8), '57a7e'.repeat(6));
    // A sign-in whose code the provider refuses: logged as a failure, without the code.
    const failing = client();
    const started = await failing.raw('GET', '/auth/dev/login?audience=external');
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    expect((await failing.raw('GET', `/auth/dev/callback?code=${'bad0c0de'.repeat(4)}&state=${state}`)).status).to.equal(400);
    secrets.push('bad0c0de'.repeat(4), state);
    // A socket opened with the token.
    const s = io(server.url, { transports: ['websocket'], auth: { token: extensionToken }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    s.disconnect();
    await new Promise((r) => setTimeout(r, 100));

    const log = logLines.join('');
    const requests = logLines.filter((l) => l.includes('"msg":"request"'));
    expect(log).to.include('"msg":"sign-in failed"');
    expect(requests.length, 'request lines at debug').to.be.greaterThan(10);
    expect(log).to.include('/c/[redacted]').and.include('/api/guest/[redacted]').and.include('code=%5Bredacted%5D');
    for (const secret of secrets.filter((x) => x && x.length >= 8)) {
      const sid = decodeURIComponent(secret).replace(/^s:/, '').split('.')[0]!;
      expect(log.split("\n").filter((l) => l.includes(secret)).join("\n"), "a secret in the log").to.equal("");
      expect(log, 'a session id in the log').to.not.include(sid);
    }
    console.log(`figure: log redaction: ${logLines.length} log lines (${requests.length} requests) checked against ${secrets.length} secrets, none found`);
  });

  it('sends Referrer-Policy: no-referrer on every kind of response, and links to other sites carry rel=noreferrer', async () => {
    const { link, asPiero } = await linkFixture();
    const guest = await signedIn('external', 'reader@customer.test', link.token);
    const paths = ['/', '/app', `/c/${link.token}`, `/api/guest/${link.token}`, '/api/nothing-here', '/healthz', '/auth/providers', '/auth/dev/callback?state=x', '/addins/outlook/manifest.json'];
    for (const p of paths) {
      const res = await guest.raw('GET', p);
      await res.arrayBuffer();
      expect(res.headers.get('referrer-policy'), p).to.equal('no-referrer');
    }
    const view = (await guest.get(`/api/guest/${link.token}`)).body;
    const anchors = view.context.bodyHtml.match(/<a\b[^>]*>/g) as string[];
    expect(anchors).to.have.length(2);
    for (const a of anchors) expect(a).to.match(/rel="[^"]*noreferrer[^"]*"/);
    // The internal workspace's copy of the body is the raw one (sanitized where rendered), still served with the header.
    const internal = await asPiero.raw('GET', '/api/contexts');
    expect(internal.headers.get('referrer-policy')).to.equal('no-referrer');
  });
});
