/**
 * Session hardening (issue 10, item 8): logout disconnects the session's sockets on every
 * process, sessions end after inactivity and after an absolute lifetime (HTTP → 401, sockets
 * refused and disconnected), and the cookie is Secure behind an HTTPS proxy (TRUST_PROXY).
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { ask, connectSocket, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

const disconnected = (s: ChatSocket) => new Promise<number>((resolve) => s.once('disconnect', () => resolve(performance.now())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEngines('logout and sockets', (engine) => {
  let server: RunningServer;
  /** On PostgreSQL, a second process on the same database (the postgres adapter links them). */
  let other: RunningServer | null = null;
  const sockets: ChatSocket[] = [];

  before(async () => {
    server = await startTestServer(engine.options());
    if (engine.engine === 'postgres') other = await startTestServer(engine.options());
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await other?.close();
    await server?.close();
  });

  it('disconnects every socket of the session at logout, on every process, within a second', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    await client.signIn('internal', user.email);
    const elsewhere = new TestClient(server.url);
    await elsewhere.signIn('internal', user.email);
    const mine = [await connectSocket(client), await connectSocket(client)];
    if (other) mine.push(await connectSocket(client.via(other.url)), await connectSocket(client.via(other.url)));
    const otherSession = await connectSocket(elsewhere);
    sockets.push(...mine, otherSession);
    const gone = mine.map(disconnected);
    const started = performance.now();
    expect((await client.post('/auth/logout')).status).to.equal(204);
    const times = await Promise.race([Promise.all(gone), sleep(5000).then(() => null)]);
    expect(times, 'sockets still connected 5 s after logout').to.not.equal(null);
    const worst = Math.max(...times!.map((t) => t - started));
    console.log(`figure: logout disconnected ${mine.length} sockets on ${other ? 2 : 1} process(es) in ${Math.round(worst)} ms [${engine.engine}]`);
    // The same user's other session is untouched, and the old cookie cannot open a socket again.
    expect(otherSession.connected).to.equal(true);
    expect((await ask(otherSession, 'messages:since', { groupId: '00000000-0000-4000-8000-000000000000', sinceSeq: 0 })).error.code).to.equal('not_found');
    let refused = '';
    await connectSocket(client).catch((err: Error) => (refused = err.message));
    expect(refused).to.equal('unauthenticated');
  });
});

describe('session lifetime and cookies [pglite]', () => {
  describe('inactivity and absolute timeouts', () => {
    let server: RunningServer;
    const sockets: ChatSocket[] = [];
    const IDLE = 1500;
    const ABSOLUTE = 4000;

    before(async () => {
      server = await startTestServer({ kind: 'pglite', dataDir: null }, { SESSION_IDLE_TIMEOUT_MS: String(IDLE), SESSION_ABSOLUTE_TIMEOUT_MS: String(ABSOLUTE) });
    });
    afterEach(() => {
      for (const s of sockets.splice(0)) s.disconnect();
    });
    after(async () => {
      await server?.close();
    });

    async function member() {
      const org = await makeOrg(server.database.db);
      const user = await makeUser(server.database.db, org);
      const client = new TestClient(server.url);
      const started = performance.now();
      await client.signIn('internal', user.email);
      return { client, started };
    }

    it('ends a session after inactivity: 401, its idle socket dropped, no new socket', async () => {
      const { client } = await member();
      const socket = await connectSocket(client);
      sockets.push(socket);
      const dropped = disconnected(socket);
      const since = performance.now();
      expect((await client.get('/api/contexts')).status).to.equal(200);
      await sleep(IDLE + 500);
      // The cookie is sent as it was (a browser that kept it); the server has ended the session.
      expect((await client.get('/api/contexts')).status).to.equal(401);
      expect((await client.get('/api/me')).body.kind).to.equal('anonymous');
      const at = await Promise.race([dropped, sleep(5000).then(() => null)]);
      expect(at, 'the idle socket is still connected').to.not.equal(null);
      console.log(`figure: idle socket dropped ${Math.round(at! - since)} ms after the last request (idle timeout ${IDLE} ms)`);
      let refused = '';
      await connectSocket(client).catch((err: Error) => (refused = err.message));
      expect(refused).to.equal('unauthenticated');
    });

    it('keeps an active session (HTTP or socket events) past the idle timeout, and ends it at the absolute one', async () => {
      const { client, started } = await member();
      const socket = await connectSocket(client);
      sockets.push(socket);
      const dropped = disconnected(socket);
      let endedAt = 0;
      let lastOk = 0;
      while (performance.now() - started < ABSOLUTE + 4000) {
        // Socket activity alone keeps the session: HTTP only every other round.
        if (socket.connected) await ask(socket, 'messages:since', { groupId: '00000000-0000-4000-8000-000000000000', sinceSeq: 0 });
        const res = await client.get('/api/contexts');
        if (res.status === 401) {
          endedAt = performance.now() - started;
          break;
        }
        expect(res.status).to.equal(200);
        lastOk = performance.now() - started;
        await sleep(400);
      }
      expect(lastOk, 'active past the idle timeout').to.be.greaterThan(IDLE + 500);
      expect(endedAt, 'ended by the absolute timeout').to.be.within(ABSOLUTE, ABSOLUTE + 4000);
      const at = await Promise.race([dropped, sleep(5000).then(() => null)]);
      expect(at, 'the socket outlived its session').to.not.equal(null);
      console.log(`figure: absolute timeout ${ABSOLUTE} ms: HTTP refused at ${Math.round(endedAt)} ms, socket dropped at ${Math.round(at! - started)} ms after sign-in began`);
    });

    it('keeps a quiet socket while its session is used over HTTP (another tab)', async () => {
      const { client } = await member();
      const socket = await connectSocket(client);
      sockets.push(socket);
      const since = performance.now();
      while (performance.now() - since < IDLE + 1500) {
        expect((await client.get('/api/contexts')).status).to.equal(200);
        await sleep(300);
      }
      expect(socket.connected, 'dropped although its session is alive').to.equal(true);
    });

    it('keeps a session alive on socket events alone', async () => {
      const { client } = await member();
      const socket = await connectSocket(client);
      sockets.push(socket);
      const since = performance.now();
      while (performance.now() - since < IDLE + 1000) {
        await ask(socket, 'messages:since', { groupId: '00000000-0000-4000-8000-000000000000', sinceSeq: 0 });
        await sleep(300);
      }
      expect(socket.connected).to.equal(true);
      expect((await client.get('/api/me')).body.kind).to.equal('internal');
    });
  });

  describe('behind an HTTPS proxy', () => {
    let server: RunningServer;
    let port = 0;

    before(async () => {
      // A fixed port, so that PUBLIC_URL can name it before the server starts.
      port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const p = (probe.address() as { port: number }).port;
          probe.close(() => resolve(p));
        });
      });
      server = await startTestServer({ kind: 'pglite', dataDir: null }, { PORT: String(port), PUBLIC_URL: `https://127.0.0.1:${port}`, TRUST_PROXY: 'loopback' });
    });
    after(async () => {
      await server?.close();
    });

    /** A browser behind the proxy: it speaks https to the proxy, which tells the server so. */
    class ProxiedClient extends TestClient {
      override raw(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}) {
        const url = new URL(path, this.baseUrl).href.replace(`https://127.0.0.1:${port}`, `http://127.0.0.1:${port}`);
        return super.raw(method, url, { ...init, headers: { 'x-forwarded-proto': 'https', ...init.headers } });
      }
    }

    it('marks the session and sign-in cookies Secure (TRUST_PROXY and X-Forwarded-Proto), and the sign-in works', async () => {
      const org = await makeOrg(server.database.db);
      const user = await makeUser(server.database.db, org);
      const client = new ProxiedClient(`http://127.0.0.1:${port}`, { origin: `https://127.0.0.1:${port}` });
      const page = await client.signIn('internal', user.email);
      expect(new URL(page.url).pathname).to.equal('/app');
      expect(page.status).to.equal(200);
      const session = client.setCookieLines.filter((l) => l.startsWith('chatpro.sid='));
      const binding = client.setCookieLines.filter((l) => l.startsWith('chatpro_signin='));
      expect(session.length).to.be.greaterThan(0);
      expect(binding.length).to.be.greaterThan(0);
      for (const line of [...session, ...binding]) expect(line).to.match(/;\s*Secure/i).and.match(/HttpOnly/i);
      expect((await client.get('/api/me')).body.kind).to.equal('internal');
      const logout = await client.post('/auth/logout');
      expect(logout.status).to.equal(204);
      expect(logout.headers.getSetCookie().find((l) => l.startsWith('chatpro.sid='))).to.match(/;\s*Secure/i);
    });
  });
});
