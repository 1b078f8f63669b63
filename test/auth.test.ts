import { expect } from 'chai';
import { eq } from 'drizzle-orm';
import { schema, type RunningServer } from '@chatpro/server';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeInvitation, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

describeEngines('sign-in through the development identity provider', (engine) => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer(engine.options());
  });
  after(async () => {
    await server?.close();
  });

  it('signs in an internal user of an organisation, with a new session id', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org, { name: 'Piero Fanti' });
    const client = new TestClient(server.url);
    expect((await client.get('/api/me')).body).to.deep.equal({ kind: 'anonymous' });
    client.cookies.set('chatpro.sid', 's%3Aplanted.by-attacker');
    const page = await client.signIn('internal', user.email);
    expect(new URL(page.url).pathname).to.equal('/app');
    const cookie = client.setCookieLines.find((l) => l.startsWith('chatpro.sid='))!;
    expect(cookie).to.match(/HttpOnly/i).and.match(/SameSite=Lax/i);
    expect(cookie).to.not.match(/Secure/i); // plain http in tests; https PUBLIC_URL makes it Secure
    expect(client.cookies.get('chatpro.sid')).to.not.equal('s%3Aplanted.by-attacker');
    const me = await client.get('/api/me');
    expect(me.body).to.deep.include({ kind: 'internal' });
    expect(me.body.user).to.deep.equal({ id: user.id, email: user.email, name: 'Piero Fanti' });
    expect(me.body.organisation.id).to.equal(org.id);
  });

  it('maps a new internal user to the organisation by email domain, then by identity', async () => {
    const org = await makeOrg(server.database.db, { domains: ['acme-domain.test'] });
    const client = new TestClient(server.url);
    await client.signIn('internal', 'New.Person@ACME-domain.test');
    const me = await client.get('/api/me');
    expect(me.body.kind).to.equal('internal');
    expect(me.body.organisation.id).to.equal(org.id);
    expect(me.body.user.email).to.equal('new.person@acme-domain.test');
    const identities = await server.database.db.select().from(schema.userIdentities).where(eq(schema.userIdentities.userId, me.body.user.id));
    expect(identities).to.have.length(1);
    expect(identities[0]!.provider).to.equal('dev');
  });

  it('maps an invited address to the inviting organisation', async () => {
    const org = await makeOrg(server.database.db);
    await makeInvitation(server.database.db, org, 'consultant@freelance.test');
    const client = new TestClient(server.url);
    await client.signIn('internal', 'consultant@freelance.test');
    const me = await client.get('/api/me');
    expect(me.body.organisation.id).to.equal(org.id);
  });

  it('refuses an internal sign-in from an address of no organisation', async () => {
    const client = new TestClient(server.url);
    const page = await client.signIn('internal', 'stranger@nowhere.test');
    expect(page.status).to.equal(403);
    expect(page.text).to.include('stranger@nowhere.test');
    expect((await client.get('/api/me')).body).to.deep.equal({ kind: 'anonymous' });
  });

  it('signs in an external user with any address and returns to the link page', async () => {
    const client = new TestClient(server.url);
    const token = 'AbCdEfGhIjKlMnOpQrStUv';
    const page = await client.signIn('external', 'guest@customer.test', { name: 'Stefania Nardu', link: token });
    expect(new URL(page.url).pathname).to.equal(`/c/${token}`);
    const me = await client.get('/api/me');
    expect(me.body.kind).to.equal('external');
    expect(me.body.externalUser).to.deep.include({ email: 'guest@customer.test', name: 'Stefania Nardu', provider: 'dev' });
    // An external user is not an internal one.
    expect((await client.get('/api/contexts')).status).to.equal(401);
  });

  it('never redirects to another site after sign-in', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    for (const returnTo of ['//evil.test/x', 'https://evil.test/', '/\\evil.test']) {
      const client = new TestClient(server.url);
      const page = await client.signIn('internal', user.email, { returnTo });
      expect(new URL(page.url).origin, returnTo).to.equal(new URL(server.url).origin);
      expect(new URL(page.url).pathname).to.equal('/app');
    }
  });

  /** Runs a sign-in up to the callback URL (code and state from the provider), without calling it. */
  async function runToCallback(client: TestClient, email: string, audience = 'internal'): Promise<string> {
    let url = new URL((await client.raw('GET', `/auth/dev/login?audience=${audience}`)).headers.get('location')!, server.url).href;
    // Through the provider: its login form the first time, straight back when it remembers the browser.
    for (let hops = 0; hops < 10 && !url.includes('/auth/dev/callback'); hops++) {
      let res = await client.raw('GET', url);
      if (!res.headers.get('location')) {
        const action = /action="([^"]*\/login)"/.exec(await res.text())![1]!;
        res = await client.raw('POST', new URL(action, url).href, {
          body: new URLSearchParams({ email }),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      }
      url = new URL(res.headers.get('location')!, url).href;
    }
    expect(url).to.include('/auth/dev/callback');
    return url;
  }

  const withParam = (url: string, key: string, value: string) => {
    const u = new URL(url);
    u.searchParams.set(key, value);
    return u.href;
  };

  it('refuses a callback replayed in another browser, or twice', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const victim = new TestClient(server.url);
    const attacker = new TestClient(server.url);
    // The attacker runs the flow up to the callback URL and hands it to the victim.
    const url = await runToCallback(attacker, user.email);
    const replay = await victim.follow(url);
    expect(replay.status).to.equal(400);
    expect((await victim.get('/api/me')).body.kind).to.equal('anonymous');
    // The state was used up: the attacker cannot use it either.
    const again = await attacker.follow(url);
    expect(again.status).to.equal(400);
  });

  it('refuses a callback with a state it did not issue, and still accepts the right one', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    const url = await runToCallback(client, user.email);
    for (const state of ['', 'forged-state-value-0123456789abcdef']) {
      const res = await client.follow(withParam(url, 'state', state));
      expect(res.status, `state=${state}`).to.equal(400);
      expect((await client.get('/api/me')).body.kind).to.equal('anonymous');
    }
    // The binding cookie went with the refused attempts; the browser that started gets it back by starting again.
    const fresh = await runToCallback(client, user.email);
    expect((await client.follow(fresh)).status).to.equal(200);
    expect((await client.get('/api/me')).body.kind).to.equal('internal');
  });

  it('refuses a code issued for another sign-in (PKCE: its code_verifier does not match)', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    const first = await runToCallback(client, user.email);
    // A second sign-in in the same browser: its state and binding are valid, its verifier is not the code's.
    const second = new URL((await client.raw('GET', '/auth/dev/login?audience=internal')).headers.get('location')!);
    const secondState = second.searchParams.get('state')!;
    // Same nonce as the code's sign-in, so that only the verifier differs.
    const db = server.database.db;
    const [tx] = await db.select().from(schema.authTransactions).where(eq(schema.authTransactions.state, new URL(first).searchParams.get('state')!));
    await db.update(schema.authTransactions).set({ nonce: tx!.nonce }).where(eq(schema.authTransactions.state, secondState));
    const res = await client.follow(withParam(first, 'state', secondState));
    expect(res.status).to.equal(400);
    expect(res.text).to.include('Non è stato possibile completare');
    expect((await client.get('/api/me')).body.kind).to.equal('anonymous');
  });

  it('refuses an ID token whose nonce is not the one of the sign-in', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    const url = await runToCallback(client, user.email);
    const state = new URL(url).searchParams.get('state')!;
    // The provider signs the nonce it was sent; the sign-in expects another one.
    await server.database.db.update(schema.authTransactions).set({ nonce: 'a-nonce-of-another-sign-in' }).where(eq(schema.authTransactions.state, state));
    const res = await client.follow(url);
    expect(res.status).to.equal(400);
    expect((await client.get('/api/me')).body.kind).to.equal('anonymous');
  });

  it('gives a new session id at every sign-in; the previous one stops working', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    await client.signIn('external', 'both@customer.test');
    const asGuest = client.cookies.get('chatpro.sid')!;
    // Only ChatPro's cookie stays: the provider would otherwise sign the same address in again.
    for (const name of [...client.cookies.keys()]) if (name !== 'chatpro.sid') client.cookies.delete(name);
    await client.signIn('internal', user.email);
    const asMember = client.cookies.get('chatpro.sid')!;
    expect(asMember).to.not.equal(asGuest);
    // The new session keeps both identities; the old cookie is nobody.
    expect((await client.get('/api/me')).body.kind).to.equal('internal');
    const old = new TestClient(server.url);
    old.cookies.set('chatpro.sid', asGuest);
    expect((await old.get('/api/me')).body.kind).to.equal('anonymous');
  });

  it('destroys the session at logout: the old cookie no longer works', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    await client.signIn('internal', user.email);
    const cookie = client.cookies.get('chatpro.sid')!;
    expect((await client.post('/auth/logout')).status).to.equal(204);
    const replayed = new TestClient(server.url);
    replayed.cookies.set('chatpro.sid', cookie);
    expect((await replayed.get('/api/me')).body.kind).to.equal('anonymous');
    expect((await replayed.get('/api/contexts')).status).to.equal(401);
    const sid = decodeURIComponent(cookie).slice(2).split('.')[0]!;
    expect(await server.database.db.select().from(schema.sessions).where(eq(schema.sessions.sid, sid))).to.have.length(0);
  });

  it('refuses an unknown provider and a provider that is not configured', async () => {
    const client = new TestClient(server.url);
    expect((await client.get('/auth/google/login?audience=internal')).body.error.code).to.equal('provider_not_configured');
    expect((await client.get('/auth/dev/login?audience=robots')).status).to.equal(400);
    const providers = await client.get('/auth/providers?audience=external');
    expect(providers.body.providers).to.deep.equal([{ id: 'dev', label: 'Provider di sviluppo' }]);
  });

  it('logs out, and refuses a cross-site logout', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    await client.signIn('internal', user.email);
    const crossSite = await client.post('/auth/logout', undefined, { origin: 'https://evil.test' });
    expect(crossSite.status).to.equal(403);
    expect(crossSite.body.error.code).to.equal('csrf_failed');
    expect((await client.get('/api/me')).body.kind).to.equal('internal');
    expect((await client.post('/auth/logout')).status).to.equal(204);
    expect((await client.get('/api/me')).body.kind).to.equal('anonymous');
  });

  it('keeps sessions in the database', async () => {
    const org = await makeOrg(server.database.db);
    const user = await makeUser(server.database.db, org);
    const client = new TestClient(server.url);
    await client.signIn('internal', user.email);
    const rows = await server.database.db.select().from(schema.sessions);
    expect(rows.some((r) => (r.data as { userId?: string }).userId === user.id)).to.equal(true);
  });
});
