import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import ICAL from 'ical.js';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { schema, type RunningServer } from '@chatpro/server';
import type { DatabaseOptions } from '../server/src/db/index.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startSmtpRelay, waitUntil, type RelayedMail, type SmtpRelay } from '../server/src/testing/smtpRelay.ts';
import { ask, connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

type User = Awaited<ReturnType<typeof makeUser>>;
const cid = () => randomUUID().replace(/-/g, '');
const MAIL_SECRET = 'mail-secret-for-the-tests-0123456789abcdef';
const REPLY_DOMAIN = 'reply.chatpro.test';
/** Long enough for a burst of a few HTTP requests to fall within it, even on a slow machine. */
const DELAY_MS = 500;

function mailEnv(relay: SmtpRelay, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SMTP_URL: relay.url,
    MAIL_FROM: 'ChatPro <chatpro@tweppy.test>',
    MAIL_SECRET,
    MAIL_REPLY_DOMAIN: REPLY_DOMAIN,
    GUEST_EMAIL_DELAY_MS: String(DELAY_MS),
    GUEST_EMAIL_INTERVAL_MS: '3600000',
    MAIL_WORKER_POLL_MS: '40',
    ...extra,
  };
}

/** An organisation with Piero (signed in), a context with a ChatPro link, and helpers for guests. */
async function world(server: RunningServer) {
  const db = server.database.db;
  const org = await makeOrg(db, { name: 'Tweppy Srl' });
  const piero = await makeUser(db, org, { name: 'Piero Fanti' });
  const asPiero = new TestClient(server.url);
  await asPiero.signIn('internal', piero.email);
  return { org, piero, asPiero };
}

interface GuestInGroup {
  email: string;
  client: TestClient;
  socket: ChatSocket;
  guestId: string;
  groupId: string;
  link: { id: string; token: string; url: string };
  contextId: string;
}

/** A guest who opened a link and wrote the first message; their socket is still connected. */
async function guestInGroup(server: RunningServer, piero: User, asPiero: TestClient, subject = 'Preventivo serramenti'): Promise<GuestInGroup> {
  const ctx = await makeContext(server.database.db, piero, { kind: 'email', subject }, [piero.id]);
  const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
  const email = `guest-${cid().slice(0, 8)}@customer.test`;
  const client = new TestClient(server.url);
  await client.signIn('external', email, { name: 'Mario Rossi' });
  const socket = await connectSocket(client);
  const first = await ask(socket, 'message:send', { linkToken: link.token, clientId: cid(), body: 'Buongiorno, avrei una domanda' });
  expect(first.ok, JSON.stringify(first)).to.equal(true);
  return { email, client, socket, guestId: first.message.author.id, groupId: first.message.groupId, link, contextId: ctx.id };
}

/** Closes the guest's socket and waits until the server no longer counts it. */
async function leave(server: RunningServer, g: GuestInGroup): Promise<void> {
  g.socket.disconnect();
  await waitUntil(async () => (await server.io.in(`ext:${g.guestId}`).fetchSockets()).length === 0, 5000, 'the guest to leave');
}

async function say(asPiero: TestClient, groupId: string, body: string) {
  const res = await asPiero.post(`/api/groups/${groupId}/messages`, { clientId: cid(), body });
  expect(res.status, res.text).to.equal(201);
  return res.body;
}

async function queueRow(server: RunningServer, g: GuestInGroup) {
  const q = schema.guestEmailQueue;
  const [row] = await server.database.db
    .select()
    .from(q)
    .where(and(eq(q.groupId, g.groupId), eq(q.externalUserId, g.guestId)));
  return row;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits out the delay and runs the worker a few more rounds, so that any further email would have gone out. */
async function drain(...servers: RunningServer[]): Promise<void> {
  await sleep(DELAY_MS + 150);
  for (let i = 0; i < 3; i++) await Promise.all(servers.map((s) => s.mail.notifier.tick()));
}

function sendReply(server: RunningServer, mail: SendMailOptions) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.mail.inbound!.port, secure: false, ignoreTLS: true });
  return transport.sendMail(mail).finally(() => transport.close());
}

async function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { responseCode?: number }).responseCode;
  }
  throw new Error('the mail was accepted');
}

const calendarPart = (m: RelayedMail) => {
  const part = m.parsed.attachments.find((a) => a.contentType.startsWith('text/calendar'));
  return part?.content.toString('utf8');
};

describeEngines('email', (engine) => {
  let relay: SmtpRelay;
  let server: RunningServer;
  let piero: User;
  let asPiero: TestClient;
  const sockets: ChatSocket[] = [];

  before(async () => {
    relay = await startSmtpRelay();
    server = await startTestServer(engine.options(), mailEnv(relay, { INBOUND_SMTP_PORT: '0', INBOUND_SMTP_HOST: '127.0.0.1' }));
    ({ piero, asPiero } = await world(server));
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
    await relay?.close();
  });

  async function guest(subject?: string) {
    const g = await guestInGroup(server, piero, asPiero, subject);
    sockets.push(g.socket);
    return g;
  }

  describe('offline notifications to guests', () => {
    it('sends exactly one email for a burst of messages to a guest who left, with the messages escaped and the link', async () => {
      const g = await guest('Preventivo <serramenti> & co.');
      await leave(server, g);
      await say(asPiero, g.groupId, 'Ecco il preventivo');
      await say(asPiero, g.groupId, 'Le finestre sono <b>10</b> & "bianche"');
      await say(asPiero, g.groupId, 'Mi faccia sapere');
      await server.chat.settle();
      const [mail] = await relay.waitFor(g.email);
      await drain(server);
      expect(relay.to(g.email)).to.have.length(1);
      const { parsed } = mail!;
      const chatUrl = `${server.url}/c/${g.link.token}`;
      expect(parsed.subject).to.equal('3 nuovi messaggi da Piero Fanti su «Preventivo <serramenti> & co.»');
      expect(parsed.from?.value[0]?.address).to.equal('chatpro@tweppy.test');
      expect(parsed.replyTo?.value[0]?.address).to.match(new RegExp(`^reply\\+[0-9a-f]{32}\\.[0-9a-f]{20}@${REPLY_DOMAIN.replace(/\./g, '\\.')}$`));
      const html = String(parsed.html);
      expect(html).to.include(`href="${chatUrl}"`);
      expect(html).to.include('Le finestre sono &lt;b&gt;10&lt;/b&gt; &amp; &quot;bianche&quot;');
      expect(html).to.include('Ecco il preventivo').and.include('Mi faccia sapere');
      expect(html).to.not.include('Buongiorno, avrei una domanda'); // the guest's own message
      expect(parsed.text).to.include(`Apri la conversazione: ${chatUrl}`);
      expect(parsed.headers.get('auto-submitted')).to.equal('auto-generated');
      const headers = mail!.raw.toString().split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
      expect(headers).to.match(/^List-Unsubscribe: <http:\/\/localhost:\d+\/mail\/unsubscribe\?token=[0-9a-f.]+>$/m);
      expect(headers).to.match(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
      const row = await queueRow(server, g);
      expect(row!.dueAt).to.equal(null);
      expect(row!.lastSentAt).to.be.instanceOf(Date);
    });

    it('sends nothing to a guest who stays connected', async () => {
      const g = await guest();
      await say(asPiero, g.groupId, 'Uno');
      await say(asPiero, g.groupId, 'Due');
      await server.chat.settle();
      await drain(server);
      expect(relay.to(g.email)).to.have.length(0);
      expect(await queueRow(server, g)).to.equal(undefined);
    });

    it('cancels the email when the guest reads the messages in time', async () => {
      const g = await guest();
      await leave(server, g);
      const sent = await say(asPiero, g.groupId, 'Ha visto il preventivo?');
      await server.chat.settle();
      expect((await queueRow(server, g))!.dueAt).to.be.instanceOf(Date);
      // Back on the page, reads, and leaves again before the delay is over.
      const socket = await connectSocket(g.client);
      sockets.push(socket);
      expect((await ask(socket, 'read', { groupId: g.groupId, seq: sent.seq })).ok).to.equal(true);
      socket.disconnect();
      await waitUntil(async () => (await server.io.in(`ext:${g.guestId}`).fetchSockets()).length === 0);
      await drain(server);
      expect(relay.to(g.email)).to.have.length(0);
      expect((await queueRow(server, g))!.dueAt).to.equal(null);
    });

    it('keeps to one email per group and guest per interval, batching what comes after', async () => {
      const g = await guest();
      await leave(server, g);
      await say(asPiero, g.groupId, 'Primo');
      await server.chat.settle();
      await relay.waitFor(g.email);
      await say(asPiero, g.groupId, 'Secondo, dopo l’email');
      await server.chat.settle();
      await drain(server);
      expect(relay.to(g.email)).to.have.length(1);
      const row = await queueRow(server, g);
      // The next email waits for the interval (one hour here) since the last one.
      expect(row!.dueAt!.getTime() - row!.lastSentAt!.getTime()).to.be.at.least(3600_000 - 1000);
      expect(row!.firstSeq).to.equal(3);
    });

    it('unsubscribes from one group with the signed link, without signing in', async () => {
      const g = await guest();
      await leave(server, g);
      await say(asPiero, g.groupId, 'Prima email');
      await server.chat.settle();
      const [mail] = await relay.waitFor(g.email);
      const href = /href="([^"]*\/mail\/unsubscribe\?token=[^"]+)"/.exec(String(mail!.parsed.html))![1]!;
      const anonymous = new TestClient(server.url);
      const confirm = await anonymous.get(href.replace(server.url, ''));
      expect(confirm.status).to.equal(200);
      expect(confirm.text).to.include('Annulla iscrizione').and.include('Preventivo serramenti');
      // Opening the link (as a mail scanner would) changes nothing; the button does.
      const [member] = await server.database.db
        .select()
        .from(schema.groupMembers)
        .where(and(eq(schema.groupMembers.groupId, g.groupId), eq(schema.groupMembers.externalUserId, g.guestId)));
      expect(member!.emailOptOut).to.equal(false);
      const done = await anonymous.post(href.replace(server.url, ''));
      expect(done.status).to.equal(200);
      expect(done.text).to.include('Iscrizione annullata');
      await server.database.db.update(schema.guestEmailQueue).set({ lastSentAt: null }).where(eq(schema.guestEmailQueue.groupId, g.groupId));
      await say(asPiero, g.groupId, 'Dopo la disiscrizione');
      await server.chat.settle();
      await drain(server);
      expect(relay.to(g.email)).to.have.length(1);
      const token = href.split('token=')[1]!;
      const forged = await anonymous.get(`/mail/unsubscribe?token=${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`);
      expect(forged.status).to.equal(404);
      expect((await anonymous.get('/mail/unsubscribe')).status).to.equal(404);
    });
  });

  describe('emails from the workspace', () => {
    it('sends the context’s email as HTML with the chat button and a text part with the link, and its files', async () => {
      const ctx = await asPiero.post('/api/contexts', {
        kind: 'email',
        subject: 'Offerta finestre',
        bodyHtml: '<p>Buongiorno,</p><p>in allegato l’offerta.<script>alert(1)</script></p>',
        email: { to: ['cliente@customer.test'], cc: ['socio@customer.test'] },
      });
      expect(ctx.status).to.equal(201);
      const form = new FormData();
      form.append('file', new Blob(['offerta in pdf']), 'offerta.pdf');
      expect((await asPiero.post(`/api/contexts/${ctx.body.id}/attachments`, form)).status).to.equal(201);
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.body.id}/links`, {});
      const res = await asPiero.post(`/api/contexts/${ctx.body.id}/send-email`, { linkId: link.id });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.chatUrl).to.equal(link.url);
      expect(res.body.accepted).to.have.members(['cliente@customer.test', 'socio@customer.test']);
      const [mail] = await relay.waitFor('cliente@customer.test');
      const { parsed } = mail!;
      expect(parsed.subject).to.equal('Offerta finestre');
      expect(parsed.from?.value[0]).to.deep.include({ name: 'Piero Fanti', address: 'chatpro@tweppy.test' });
      expect(parsed.replyTo?.value[0]?.address).to.equal(piero.email);
      const html = String(parsed.html);
      expect(html).to.include('in allegato l’offerta.');
      expect(html).to.not.include('<script');
      expect(html).to.match(new RegExp(`<table role="presentation"[^>]*>.*<a href="${link.url}"[^>]*>Clicca qui per discuterne</a>`));
      expect(parsed.text).to.include(`Clicca qui per discuterne: ${link.url}`);
      expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).to.deep.equal([['offerta.pdf', 'offerta in pdf']]);
      expect(mail!.envelope.to).to.have.members(['cliente@customer.test', 'socio@customer.test']);
    });

    it('overrides recipients and subject, and refuses what it cannot send', async () => {
      const { body: ctx } = await asPiero.post('/api/contexts', { kind: 'email', subject: 'Senza destinatari', bodyHtml: '<p>x</p>' });
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      expect((await asPiero.post(`/api/contexts/${ctx.id}/send-email`, {})).status).to.equal(400);
      expect((await asPiero.post(`/api/contexts/${ctx.id}/send-email`, { to: ['non-un-indirizzo'] })).status).to.equal(400);
      const other = await asPiero.post('/api/contexts', { kind: 'email', subject: 'Altro' });
      const { body: otherLink } = await asPiero.post(`/api/contexts/${other.body.id}/links`, {});
      expect((await asPiero.post(`/api/contexts/${ctx.id}/send-email`, { to: ['a@customer.test'], linkId: otherLink.id })).status).to.equal(404);
      await asPiero.patch(`/api/links/${link.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      const closed = await asPiero.post(`/api/contexts/${ctx.id}/send-email`, { to: ['a@customer.test'], linkId: link.id });
      expect(closed.body.error.code).to.equal('link_closed');
      const outsider = new TestClient(server.url);
      await outsider.signIn('internal', (await makeUser(server.database.db, await makeOrg(server.database.db))).email);
      expect((await outsider.post(`/api/contexts/${ctx.id}/send-email`, { to: ['a@customer.test'] })).status).to.equal(404);
      const ok = await asPiero.post(`/api/contexts/${ctx.id}/send-email`, { to: ['override@customer.test'], subject: 'Nuovo oggetto', html: '<p>Altro corpo</p>' });
      expect(ok.status).to.equal(200);
      expect(ok.body.chatUrl).to.equal(null);
      const [mail] = await relay.waitFor('override@customer.test');
      expect(mail!.parsed.subject).to.equal('Nuovo oggetto');
      expect(String(mail!.parsed.html)).to.include('Altro corpo').and.not.include('Clicca qui');
    });

    it('sends an event’s invitation as an iCalendar REQUEST in the event’s time zone, carrying the chat link', async () => {
      const { body: ctx } = await asPiero.post('/api/contexts', {
        kind: 'event',
        subject: 'Sopralluogo in cantiere',
        bodyHtml: '<p>Portare il metro.</p>',
        event: {
          start: '2026-03-28T10:00:00+01:00',
          end: '2026-03-29T11:00:00+02:00',
          timeZone: 'Europe/Rome',
          location: 'Via Roma 1, Firenze',
          invite: true,
          attendees: ['ospite@customer.test'],
        },
      });
      const noLink = await asPiero.post(`/api/contexts/${ctx.id}/send-invitation`, {});
      expect(noLink.status).to.equal(409);
      const { body: link } = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
      const res = await asPiero.post(`/api/contexts/${ctx.id}/send-invitation`, {});
      expect(res.status, res.text).to.equal(200);
      expect(res.body.chatUrl).to.equal(link.url);
      const [mail] = await relay.waitFor('ospite@customer.test');
      expect(mail!.parsed.subject).to.equal('Invito: Sopralluogo in cantiere');
      expect(String(mail!.parsed.html)).to.include(`href="${link.url}"`);
      expect(mail!.parsed.text).to.include(`Clicca qui per discuterne: ${link.url}`);
      const ics = calendarPart(mail!);
      expect(ics, 'a text/calendar part').to.be.a('string');
      const calendar = new ICAL.Component(ICAL.parse(ics!));
      expect(calendar.getFirstPropertyValue('method')).to.equal('REQUEST');
      for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
      const event = new ICAL.Event(calendar.getFirstSubcomponent('vevent')!);
      expect(event.startDate.zone?.tzid).to.equal('Europe/Rome');
      expect(event.startDate.toJSDate().toISOString()).to.equal('2026-03-28T09:00:00.000Z');
      expect(event.endDate.toJSDate().toISOString()).to.equal('2026-03-29T09:00:00.000Z');
      expect(event.description).to.include(link.url).and.include('Portare il metro.');
      expect(event.location).to.equal('Via Roma 1, Firenze');
      expect(event.attendees.map((a) => a.getFirstValue())).to.deep.equal(['mailto:ospite@customer.test']);
      expect(calendar.getFirstSubcomponent('vevent')!.getFirstPropertyValue('organizer')).to.equal(`mailto:${piero.email}`);
      // Without "invito", no invitation.
      const { body: plain } = await asPiero.post('/api/contexts', {
        kind: 'event',
        subject: 'Interno',
        event: { start: '2026-05-01T10:00:00+02:00', end: '2026-05-01T11:00:00+02:00', attendees: ['x@customer.test'] },
      });
      await asPiero.post(`/api/contexts/${plain.id}/links`, {});
      expect((await asPiero.post(`/api/contexts/${plain.id}/send-invitation`, {})).status).to.equal(409);
    });
  });

  describe('reply by email', () => {
    async function notified() {
      const g = await guest();
      await leave(server, g);
      await say(asPiero, g.groupId, 'Quando possiamo passare?');
      await server.chat.settle();
      const [mail] = await relay.waitFor(g.email);
      return { g, replyTo: mail!.parsed.replyTo!.value[0]!.address!, subject: mail!.parsed.subject! };
    }

    it('posts a reply sent to the Reply-To address into the chat, live, without the quoted history, with its attachment', async () => {
      const { g, replyTo, subject } = await notified();
      const pieroSocket = await connectSocket(asPiero);
      sockets.push(pieroSocket);
      await ask(pieroSocket, 'chat:join', { groupId: g.groupId, sinceSeq: 0 });
      const live = next(pieroSocket, 'message:new', (m: { groupId: string; author: { kind: string } }) => m.groupId === g.groupId && m.author.kind === 'external');
      const info = await sendReply(server, {
        from: `Mario Rossi <${g.email.toUpperCase()}>`,
        to: replyTo,
        subject: `Re: ${subject}`,
        text: [
          'Giovedì alle 10 va benissimo.',
          '',
          'Mario',
          '',
          `Il giorno gio 15 gen 2026 alle ore 10:32 Tweppy Srl (ChatPro) <${replyTo}> ha scritto:`,
          '',
          '> Quando possiamo passare?',
        ].join('\r\n'),
        attachments: [{ filename: 'pianta.txt', content: 'pianta del cantiere' }],
      });
      expect(info.accepted).to.deep.equal([replyTo]);
      const message = await live;
      expect(message.body).to.equal('Giovedì alle 10 va benissimo.\n\nMario');
      expect(message.author).to.deep.include({ kind: 'external', id: g.guestId, name: 'Mario Rossi' });
      expect(message.attachments.map((a: { fileName: string }) => a.fileName)).to.deep.equal(['pianta.txt']);
      const file = await asPiero.get(`/api/attachments/${message.attachments[0].id}`);
      expect(file.text).to.equal('pianta del cantiere');
      // The same message delivered twice is posted once.
      await sendReply(server, { from: g.email, to: replyTo, subject: 'Re', text: 'Una volta sola', messageId: '<once@customer.test>' });
      await sendReply(server, { from: g.email, to: replyTo, subject: 'Re', text: 'Una volta sola', messageId: '<once@customer.test>' });
      await server.chat.settle();
      const history = await asPiero.get(`/api/groups/${g.groupId}/messages`);
      expect(history.body.messages.filter((m: { body: string }) => m.body === 'Una volta sola')).to.have.length(1);
    });

    it('refuses a reply from another sender, to a forged address, to an expired link, or empty, with SMTP codes', async () => {
      const { g, replyTo } = await notified();
      expect(await refusal(sendReply(server, { from: 'eve@attacker.test', to: replyTo, subject: 'Re', text: 'Sono Mario, davvero' }))).to.equal(550);
      const [local, domain] = replyTo.split('@') as [string, string];
      const forged = `${local.slice(0, -1)}${local.endsWith('a') ? 'b' : 'a'}@${domain}`;
      expect(await refusal(sendReply(server, { from: g.email, to: forged, subject: 'Re', text: 'x' }))).to.equal(550);
      expect(await refusal(sendReply(server, { from: g.email, to: `reply+${cid()}.${'0'.repeat(20)}@${domain}`, subject: 'Re', text: 'x' }))).to.equal(550);
      expect(await refusal(sendReply(server, { from: g.email, to: `${local}@elsewhere.test`, subject: 'Re', text: 'x' }))).to.equal(550);
      expect(await refusal(sendReply(server, { from: g.email, to: replyTo, subject: 'Re', text: '> solo citazione\n' }))).to.equal(550);
      expect(
        await refusal(sendReply(server, { from: g.email, to: replyTo, subject: 'Fuori ufficio', text: 'Sono in ferie', headers: { 'Auto-Submitted': 'auto-replied' } })),
      ).to.equal(550);
      await asPiero.patch(`/api/links/${g.link.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(await refusal(sendReply(server, { from: g.email, to: replyTo, subject: 'Re', text: 'Troppo tardi' }))).to.equal(550);
      await server.chat.settle();
      const history = await asPiero.get(`/api/groups/${g.groupId}/messages`);
      expect(history.body.messages.map((m: { author: { kind: string } }) => m.author.kind)).to.deep.equal(['external', 'internal']);
    });
  });
});

describeEngines('offline emails across restarts and processes', (engine) => {
  let relay: SmtpRelay;
  before(async () => {
    relay = await startSmtpRelay();
  });
  after(async () => {
    await relay?.close();
  });

  /** The same database for every server of one test: a PGlite folder, or the suite's PostgreSQL database. */
  const sharedDatabase = (): DatabaseOptions =>
    engine.engine === 'pglite' ? { kind: 'pglite', dataDir: mkdtempSync(path.join(tmpdir(), 'chatpro-mail-restart-')) } : engine.options();

  it('sends once when the server restarts in the middle of the delay', async () => {
    const database = sharedDatabase();
    // The first server never polls after its start: the email can only come from the second one.
    const first = await startTestServer(database, mailEnv(relay, { MAIL_WORKER_POLL_MS: '3600000', GUEST_EMAIL_DELAY_MS: '300' }));
    let second: RunningServer | undefined;
    try {
      const { piero, asPiero } = await world(first);
      const g = await guestInGroup(first, piero, asPiero);
      await leave(first, g);
      await say(asPiero, g.groupId, 'Prima del riavvio');
      await say(asPiero, g.groupId, 'Anche questo');
      await first.chat.settle();
      expect((await queueRow(first, g))!.dueAt).to.be.instanceOf(Date);
      await first.close();
      expect(relay.to(g.email)).to.have.length(0);
      second = await startTestServer(database, mailEnv(relay));
      const [mail] = await relay.waitFor(g.email);
      await drain(second);
      expect(relay.to(g.email)).to.have.length(1);
      expect(String(mail!.parsed.html)).to.include('Prima del riavvio').and.include('Anche questo');
    } finally {
      await first.close();
      await second?.close();
      if (database.kind === 'pglite' && database.dataDir) rmSync(database.dataDir, { recursive: true, force: true });
    }
  });

  if (engine.engine === 'postgres') {
    it('sends once with two server processes on one PostgreSQL database', async () => {
      const database = sharedDatabase();
      const a = await startTestServer(database, mailEnv(relay, { MAIL_WORKER_POLL_MS: '10' }));
      const b = await startTestServer(database, mailEnv(relay, { MAIL_WORKER_POLL_MS: '10' }));
      try {
        const { piero, asPiero } = await world(a);
        const guests = await Promise.all([1, 2, 3].map(() => guestInGroup(a, piero, asPiero)));
        for (const g of guests) await leave(a, g);
        for (const g of guests) for (const body of ['uno', 'due', 'tre']) await say(asPiero, g.groupId, body);
        await a.chat.settle();
        // Both workers poll on their own; the test hammers both as well.
        await Promise.all([...Array(10)].map((_, i) => sleep(i * 20).then(() => Promise.all([a.mail.notifier.tick(), b.mail.notifier.tick()]))));
        for (const g of guests) await relay.waitFor(g.email);
        await drain(a, b);
        for (const g of guests) expect(relay.to(g.email), g.email).to.have.length(1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});
