import { expect } from 'chai';
import { ConfigError, loadConfig } from './env.ts';

describe('configuration (env.ts)', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/chatpro-env-test' });
    expect(config.port).to.equal(3000);
    expect(config.database).to.deep.equal({ kind: 'pglite', dataDir: '/tmp/chatpro-env-test/pglite' });
    expect(config.devIdp).to.equal(true);
    expect(config.demoData).to.equal(true);
    expect(config.maxUploadBytes).to.equal(25 * 1024 * 1024);
    expect(config.providers).to.deep.equal([]);
  });

  it('has production abuse limits and session timeouts by default, each settable', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/chatpro-env-test' });
    expect(config.limits.signIn.perIp).to.deep.equal({ limit: 30, windowMs: 60_000 });
    expect(config.limits.send.perUser.limit).to.equal(120);
    expect(config.limits.socket).to.deep.equal({ eventsPerSecond: 20, burst: 60, maxPayloadBytes: 1_000_000 });
    expect(config.session).to.deep.equal({ idleTimeoutMs: 14 * 24 * 3600 * 1000, absoluteTimeoutMs: 30 * 24 * 3600 * 1000 });
    const low = loadConfig({ DATA_DIR: '/tmp/chatpro-env-test', RATE_LIMIT_WINDOW_MS: '1000', RATE_LIMIT_UPLOAD_PER_USER: '2', SESSION_IDLE_TIMEOUT_MS: '60000' });
    expect(low.limits.uploads.perUser).to.deep.equal({ limit: 2, windowMs: 1000 });
    expect(low.session.idleTimeoutMs).to.equal(60_000);
    expect(() => loadConfig({ DATA_DIR: '/tmp/chatpro-env-test', RATE_LIMIT_SEND_PER_IP: '0', SOCKET_MAX_PAYLOAD_BYTES: 'big' })).to.throw(ConfigError, /RATE_LIMIT_SEND_PER_IP[\s\S]*SOCKET_MAX_PAYLOAD_BYTES/);
  });

  it('switches to PostgreSQL with DATABASE_URL and turns the dev provider off by default', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@localhost/db', DATA_DIR: '/tmp/chatpro-env-test' });
    expect(config.database).to.deep.equal({ kind: 'postgres', url: 'postgres://u@localhost/db' });
    expect(config.devIdp).to.equal(false);
  });

  it('lists every problem at once, naming each variable', () => {
    try {
      loadConfig({ NODE_ENV: 'production', PORT: 'eighty', DATABASE_URL: 'mysql://x', GOOGLE_CLIENT_ID: 'id' });
      expect.fail('loadConfig should have thrown');
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const text = (err as ConfigError).message;
      for (const name of ['PORT', 'DATABASE_URL', 'SESSION_SECRET', 'PUBLIC_URL', 'GOOGLE_CLIENT_SECRET']) expect(text).to.include(name);
    }
  });

  it('refuses the development identity provider in production', () => {
    expect(() =>
      loadConfig({ NODE_ENV: 'production', DEV_IDP: 'true', SESSION_SECRET: 'x'.repeat(40), PUBLIC_URL: 'https://chat.example' }),
    ).to.throw(ConfigError, /DEV_IDP/);
    const config = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      MAIL_SECRET: 'm'.repeat(40),
      PUBLIC_URL: 'https://chat.example',
      DATA_DIR: '/tmp/chatpro-env-test',
    });
    expect(config.devIdp).to.equal(false);
    expect(config.demoData).to.equal(false);
  });

  it('enables a provider only when all of its credentials are set', () => {
    const config = loadConfig({
      DATA_DIR: '/tmp/chatpro-env-test',
      GOOGLE_CLIENT_ID: 'g',
      GOOGLE_CLIENT_SECRET: 's',
      MICROSOFT_CLIENT_ID: 'm',
      MICROSOFT_CLIENT_SECRET: 's',
      MICROSOFT_TENANT: 'contoso.onmicrosoft.com',
    });
    expect(config.providers.map((p) => p.id)).to.deep.equal(['google', 'microsoft']);
    expect(config.providers[1]!.issuer).to.equal('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0');
    expect(() => loadConfig({ APPLE_CLIENT_ID: 'a', APPLE_TEAM_ID: 't' })).to.throw(ConfigError, /APPLE_KEY_ID/);
  });
  it('enables the Gmail add-on with its service account and OAuth client id, pointing at Google by default', () => {
    const dataDir = { DATA_DIR: '/tmp/chatpro-env-test', SESSION_SECRET: 'x'.repeat(32) };
    expect(loadConfig(dataDir).gmailAddon).to.equal(null);
    const sa = 'service-1@gcp-sa-gsuiteaddons.iam.gserviceaccount.com';
    expect(loadConfig({ ...dataDir, GMAIL_ADDON_SERVICE_ACCOUNT: sa, GMAIL_ADDON_OAUTH_CLIENT_ID: 'client-1' }).gmailAddon).to.deep.equal({
      serviceAccountEmail: sa,
      oauthClientId: 'client-1',
      certsUrl: 'https://www.googleapis.com/oauth2/v1/certs',
      gmailApiRootUrl: 'https://gmail.googleapis.com/',
    });
    expect(() => loadConfig({ ...dataDir, GMAIL_ADDON_SERVICE_ACCOUNT: sa })).to.throw(ConfigError, /GMAIL_ADDON_OAUTH_CLIENT_ID: is required/);
    expect(() => loadConfig({ ...dataDir, GMAIL_ADDON_SERVICE_ACCOUNT: 'not-an-email', GMAIL_ADDON_OAUTH_CLIENT_ID: 'c' })).to.throw(ConfigError, /GMAIL_ADDON_SERVICE_ACCOUNT/);
  });

  it('reads the mail settings: outbox by default, SMTP_URL for a server, reply domain, worker timings', () => {
    const embedded = loadConfig({ DATA_DIR: '/tmp/chatpro-env-test', SESSION_SECRET: 's'.repeat(40) });
    expect(embedded.mail).to.deep.include({
      smtpUrl: null,
      outboxDir: '/tmp/chatpro-env-test/outbox',
      from: 'ChatPro <chatpro@localhost>',
      replyDomain: null,
      guestDelayMs: 120_000,
      guestIntervalMs: 900_000,
      inbound: null,
    });
    // The development mail secret is stable: derived from the session secret.
    expect(embedded.mail.secret).to.have.length.above(30);
    expect(loadConfig({ DATA_DIR: '/tmp/chatpro-env-test', SESSION_SECRET: 's'.repeat(40) }).mail.secret).to.equal(embedded.mail.secret);
    const real = loadConfig({
      DATA_DIR: '/tmp/chatpro-env-test',
      SMTP_URL: 'smtps://user:pass@mail.example.com:465?tls.rejectUnauthorized=false',
      MAIL_FROM: 'Tweppy <chat@tweppy.example>',
      PUBLIC_URL: 'https://chat.tweppy.example',
      INBOUND_SMTP_PORT: '2525',
      GUEST_EMAIL_DELAY_MS: '50',
    });
    expect(real.mail).to.deep.include({ smtpUrl: 'smtps://user:pass@mail.example.com:465?tls.rejectUnauthorized=false', from: 'Tweppy <chat@tweppy.example>' });
    expect(real.mail.replyDomain).to.equal('chat.tweppy.example');
    expect(real.mail.inbound).to.deep.equal({ port: 2525, host: undefined, tls: null });
    expect(real.mail.guestDelayMs).to.equal(50);
    expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com', MAIL_REPLY_DOMAIN: 'not a domain', INBOUND_SMTP_TLS_KEY: '/k.pem' })).to.throw(
      ConfigError,
      /SMTP_URL[\s\S]*MAIL_REPLY_DOMAIN[\s\S]*INBOUND_SMTP_TLS_CERT/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40), PUBLIC_URL: 'https://chat.example' })).to.throw(ConfigError, /MAIL_SECRET/);
  });
});

describe('Apple client secret', () => {
  it('is an ES256 JWT from the team to Apple, signed with the team key', async () => {
    const { generateKeyPair, exportPKCS8, jwtVerify } = await import('jose');
    const { appleClientSecret } = await import('./auth/oidc.ts');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const jwt = await appleClientSecret({ teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: pem }, 'it.tweppy.chatpro', 'https://appleid.apple.com');
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, { issuer: 'TEAM123456', audience: 'https://appleid.apple.com' });
    expect(protectedHeader).to.deep.equal({ alg: 'ES256', kid: 'KEY1234567' });
    expect(payload.sub).to.equal('it.tweppy.chatpro');
    expect(payload.exp! - payload.iat!).to.be.at.most(180 * 24 * 3600);
  });
});
