import { expect } from 'chai';
import { io } from 'socket.io-client';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

const REDIRECT = `chrome-extension://${'a'.repeat(32)}/connected.html`;

describeEngines('browser extension tokens', (engine) => {
  let server: RunningServer;
  let piero: Awaited<ReturnType<typeof makeUser>>;
  let other: Awaited<ReturnType<typeof makeUser>>;
  before(async () => {
    server = await startTestServer(engine.options());
    const org = await makeOrg(server.database.db);
    piero = await makeUser(server.database.db, org, { name: 'Piero Fanti' });
    other = await makeUser(server.database.db, org, { name: 'Anna Neri' });
  });
  after(async () => {
    await server?.close();
  });

  async function connect(client: TestClient): Promise<string> {
    const res = await client.raw('GET', `/extension/connect?redirect=${encodeURIComponent(REDIRECT)}`);
    expect(res.status).to.equal(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${REDIRECT}#token=`)).to.equal(true);
    return decodeURIComponent(location.split('#token=')[1]!);
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('sends a visitor without a session to the internal sign-in, then back to connect', async () => {
    const client = new TestClient(server.url);
    const res = await client.raw('GET', `/extension/connect?redirect=${encodeURIComponent(REDIRECT)}`);
    expect(res.status).to.equal(302);
    const location = new URL(res.headers.get('location')!, server.url);
    expect(location.pathname).to.equal('/auth/dev/login');
    expect(location.searchParams.get('audience')).to.equal('internal');
    expect(location.searchParams.get('returnTo')).to.equal(`/extension/connect?redirect=${encodeURIComponent(REDIRECT)}`);
  });

  it('refuses to send a token anywhere but an extension redirect URL', async () => {
    const client = new TestClient(server.url);
    await client.signIn('internal', piero.email);
    for (const bad of ['https://evil.test/', 'https://aaaa.chromiumapp.org.evil.test/', 'javascript:alert(1)', `https://${'a'.repeat(32)}.chromiumapp.org/#x`]) {
      const res = await client.raw('GET', `/extension/connect?redirect=${encodeURIComponent(bad)}`);
      expect(res.status, bad).to.equal(400);
    }
    const ok = await client.raw('GET', `/extension/connect?redirect=${encodeURIComponent(`https://${'b'.repeat(32)}.chromiumapp.org/`)}`);
    expect(ok.status).to.equal(302);
  });

  it('mints a token that works as the user on the internal API, cross-origin, and is revocable', async () => {
    const browser = new TestClient(server.url);
    await browser.signIn('internal', piero.email);
    const token = await connect(browser);
    const ext = new TestClient(server.url, { origin: `chrome-extension://${'a'.repeat(32)}` });
    const me = await ext.request('GET', '/api/me', undefined, bearer(token));
    expect(me.body.user.id).to.equal(piero.id);
    // Bearer requests carry no ambient credential: the Origin check does not apply.
    const created = await ext.post('/api/contexts', { kind: 'email', subject: 'Dal browser' }, bearer(token));
    expect(created.status).to.equal(201);
    const tokens = await ext.request('GET', '/api/extension/tokens', undefined, bearer(token));
    expect(tokens.body.items[0].name).to.equal('Estensione del browser');
    expect(tokens.body.items[0].lastUsedAt).to.be.a('string'); // the newest: this one
    // The same cross-site POST without a token is still refused.
    const refused = await browser.request('POST', '/api/contexts', { kind: 'email', subject: 'X' }, { origin: 'https://evil.test' });
    expect(refused.status).to.equal(403);

    expect((await ext.request('DELETE', '/api/extension/token', undefined, bearer(token))).status).to.equal(204);
    expect((await ext.request('GET', '/api/me', undefined, bearer(token))).body).to.deep.equal({ kind: 'anonymous' });
    expect((await ext.request('GET', '/api/contexts', undefined, bearer(token))).status).to.equal(401);
  });

  it('speaks only as the token, never as a session cookie sent beside it', async () => {
    const asOther = new TestClient(server.url);
    await asOther.signIn('internal', other.email);
    const me = await asOther.request('GET', '/api/me', undefined, bearer('cpx_not-a-real-token-0000000000'));
    expect(me.body).to.deep.equal({ kind: 'anonymous' });
    expect((await asOther.request('GET', '/api/me', undefined, { authorization: 'Bearer !!' })).body).to.deep.equal({ kind: 'anonymous' });
  });

  it('disconnects the sockets of a token when it is revoked', async () => {
    const browser = new TestClient(server.url);
    await browser.signIn('internal', piero.email);
    const token = await connect(browser);
    const socket = io(server.url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    await new TestClient(server.url).request('DELETE', '/api/extension/token', undefined, bearer(token));
    expect(await closed).to.equal('io server disconnect');
  });

  it('accepts the token in the socket handshake and refuses a revoked one', async () => {
    const browser = new TestClient(server.url);
    await browser.signIn('internal', piero.email);
    const token = await connect(browser);
    const open = (auth: Record<string, unknown>) =>
      new Promise<string>((resolve) => {
        const socket = io(server.url, { transports: ['websocket'], auth, reconnection: false, forceNew: true });
        socket.once('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.once('connect_error', (err) => resolve(err.message));
      });
    expect(await open({ token })).to.equal('connected');
    await new TestClient(server.url).request('DELETE', '/api/extension/token', undefined, bearer(token));
    expect(await open({ token })).to.equal('unauthenticated');
    expect(await open({ token: 42 })).to.equal('unauthenticated');
  });
});
