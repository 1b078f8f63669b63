import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { chatButtonHtml } from '@chatpro/common';
import { schema, type RunningServer } from '@chatpro/server';
import { startFakeGmailApi, startFakeGoogle, type FakeGmailApi, type FakeGoogle } from '../gmail-addon/src/testing/fakeGoogle.ts';
import { alternativeMessage, forwardedMessage, plainMessage } from '../gmail-addon/src/testing/gmailFixtures.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { describeEngines } from '../server/src/testing/engines.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { connectSocket, next, type ChatSocket } from '../server/src/testing/socket.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';

const SERVICE_ACCOUNT = 'service-123456789@gcp-sa-gsuiteaddons.iam.gserviceaccount.com';
const CLIENT_ID = '1234567890-addon.apps.googleusercontent.com';
type User = Awaited<ReturnType<typeof makeUser>>;

describeEngines('Gmail add-on', (engine) => {
  let server: RunningServer;
  let google: FakeGoogle;
  let gmail: FakeGmailApi;
  let piero: User;
  let daniele: User;
  let asPiero: TestClient;
  const sockets: ChatSocket[] = [];

  before(async () => {
    google = await startFakeGoogle();
    gmail = await startFakeGmailApi();
    server = await startTestServer(engine.options(), {
      GMAIL_ADDON_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
      GMAIL_ADDON_OAUTH_CLIENT_ID: CLIENT_ID,
      GOOGLE_CERTS_URL: google.certsUrl,
      GMAIL_API_ROOT_URL: gmail.rootUrl,
      TRUST_PROXY: 'loopback',
    });
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    piero = await makeUser(db, org, { name: 'Piero Fanti' });
    daniele = await makeUser(db, org, { name: 'Daniele Pezzini' });
    asPiero = new TestClient(server.url);
    await asPiero.signIn('internal', piero.email);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => {
    await server?.close();
    await gmail?.close();
    await google?.close();
  });

  const endpoint = (name: string) => `${server.url}/addons/gmail/${name}`;
  const systemToken = (name: string, claims: Record<string, unknown> = {}, opts = {}) =>
    google.sign({ aud: endpoint(name), sub: '1122334455', email: SERVICE_ACCOUNT, email_verified: true, ...claims }, opts);
  interface Person {
    email: string;
    sub: string;
    name?: string;
  }
  const userToken = (who: Person, claims: Record<string, unknown> = {}) =>
    google.sign({ aud: CLIENT_ID, sub: who.sub, email: who.email, email_verified: true, ...(who.name ? { name: who.name } : {}), ...claims });
  const mario: Person = { email: 'mario.rossi@customer.test', sub: '900000000000000000001', name: 'Mario Rossi' };
  const asGoogle = (u: User): Person => ({ email: u.email, sub: `sub-${u.id}` });

  interface CallOptions {
    who?: Person;
    locale?: string;
    gmail?: Record<string, unknown>;
    parameters?: Record<string, string>;
    formInputs?: Record<string, unknown>;
    authorization?: string | null;
    headers?: Record<string, string>;
    body?: unknown;
  }
  async function call(name: string, opts: CallOptions = {}) {
    const body = opts.body ?? {
      commonEventObject: {
        hostApp: 'GMAIL',
        platform: 'WEB',
        userLocale: opts.locale ?? 'it',
        timeZone: { id: 'Europe/Rome', offset: 3600000 },
        ...(opts.parameters ? { parameters: opts.parameters } : {}),
        ...(opts.formInputs ? { formInputs: opts.formInputs } : {}),
      },
      authorizationEventObject: {
        userOAuthToken: gmail.expect.oauthToken,
        userIdToken: await userToken(opts.who ?? mario),
        systemIdToken: 'unused',
      },
      ...(opts.gmail ? { gmail: opts.gmail } : {}),
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    const authorization = opts.authorization === undefined ? `Bearer ${await systemToken(name)}` : opts.authorization;
    if (authorization !== null) headers.authorization = authorization;
    const res = await fetch(endpoint(name), { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
  }

  const openMessage = (id: string) => ({ messageId: id, threadId: `t-${id}`, accessToken: gmail.expect.accessToken });

  async function contextWithLink(subject = 'Preventivo serramenti') {
    const ctx = await makeContext(server.database.db, piero, { kind: 'email', subject }, [piero.id, daniele.id]);
    const res = await asPiero.post(`/api/contexts/${ctx.id}/links`, {});
    expect(res.status).to.equal(201);
    return { ctx, link: res.body as { id: string; token: string; url: string } };
  }

  function emailWithLink(id: string, url: string) {
    gmail.messages.set(
      id,
      alternativeMessage(
        { id, subject: 'Preventivo serramenti', from: `Piero Fanti <${piero.email}>`, to: mario.email },
        'Buongiorno, trova il preventivo in allegato.',
        `<p>Buongiorno,</p>${chatButtonHtml(url)}`,
      ),
    );
  }

  describe('request verification', () => {
    it('answers 401 and no data for a missing header, wrong audience, issuer, expiry, key or service account', async () => {
      const id = `m-${randomUUID()}`;
      const { link } = await contextWithLink();
      emailWithLink(id, link.url);
      const ok = await call('contextual', { gmail: openMessage(id) });
      expect(ok.status).to.equal(200);
      const bad: [string, CallOptions][] = [
        ['missing header', { authorization: null }],
        ['not a bearer token', { authorization: 'Basic abc' }],
        ['wrong audience', { authorization: `Bearer ${await systemToken('contextual', { aud: endpoint('homepage') })}` }],
        ['audience of another host', { authorization: `Bearer ${await systemToken('contextual', { aud: 'https://evil.example/addons/gmail/contextual' })}` }],
        ['wrong issuer', { authorization: `Bearer ${await systemToken('contextual', { iss: 'https://evil.example' })}` }],
        ['expired', { authorization: `Bearer ${await systemToken('contextual', {}, { expiresIn: -3600 })}` }],
        ['signed by another key', { authorization: `Bearer ${await systemToken('contextual', {}, { foreignKey: true })}` }],
        ['wrong service account', { authorization: `Bearer ${await systemToken('contextual', { email: 'someone@gcp-sa-gsuiteaddons.iam.gserviceaccount.com' })}` }],
        ['unverified service account email', { authorization: `Bearer ${await systemToken('contextual', { email_verified: false })}` }],
        ['a user token in the header', { authorization: `Bearer ${await userToken(mario)}` }],
      ];
      for (const [what, opts] of bad) {
        const res = await call('contextual', { ...opts, gmail: openMessage(id) });
        expect(res.status, what).to.equal(401);
        expect(res.body, what).to.deep.equal({ error: { code: 'unauthenticated', message: 'Invalid Google ID token' } });
      }
    });

    it('answers 401 for a user ID token with the wrong audience, issuer or expiry, or an unverified email', async () => {
      const wrong = [
        await google.sign({ aud: 'another-client', sub: mario.sub, email: mario.email, email_verified: true }),
        await google.sign({ aud: CLIENT_ID, sub: mario.sub, email: mario.email, email_verified: true, iss: 'https://evil.example' }),
        await google.sign({ aud: CLIENT_ID, sub: mario.sub, email: mario.email, email_verified: true }, { expiresIn: -3600 }),
        await google.sign({ aud: CLIENT_ID, sub: mario.sub, email: mario.email, email_verified: false }),
      ];
      for (const userIdToken of wrong) {
        const res = await call('homepage', { body: { commonEventObject: {}, authorizationEventObject: { userIdToken } } });
        expect(res.status).to.equal(401);
        expect(res.body).to.not.have.property('action');
      }
    });

    it('answers 400 for a malformed event', async () => {
      const res = await call('homepage', { body: { commonEventObject: { userLocale: 42 } } });
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('validation_failed');
    });

    it('computes the audience as the client reached the endpoint through a trusted proxy', async () => {
      const aud = 'https://chat.example.com/addons/gmail/homepage';
      const authorization = `Bearer ${await systemToken('homepage', { aud })}`;
      const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' };
      expect((await call('homepage', { authorization, headers })).status).to.equal(200);
      expect((await call('homepage', { authorization })).status).to.equal(401);
    });

    it('fetches Google’s certificates once and caches them', async () => {
      const before = google.certFetches;
      await call('homepage');
      await call('homepage');
      expect(google.certFetches).to.equal(before);
      expect(before).to.be.at.least(1);
    });
  });

  describe('homepage and contextual cards', () => {
    it('answers the homepage card in Italian, and in English for an English locale', async () => {
      expect((await call('homepage')).body).to.deep.equal({
        action: {
          navigations: [
            { pushCard: { name: 'notice', header: { title: 'ChatPro' }, sections: [{ widgets: [{ textParagraph: { text: 'Apri un’email per vedere la sua conversazione ChatPro.' } }] }] } },
          ],
        },
      });
      const en = await call('homepage', { locale: 'en-GB' });
      expect(en.body.action.navigations[0].pushCard.sections[0].widgets[0].textParagraph.text).to.equal('Open an email to see its ChatPro conversation.');
    });

    it('reads the open message with the user’s tokens and shows the link’s conversation to the recipient', async () => {
      const id = `m-${randomUUID()}`;
      const { link } = await contextWithLink('Offerta finestre');
      emailWithLink(id, link.url);
      const res = await call('contextual', { gmail: openMessage(id) });
      expect(gmail.requests.at(-1)).to.deep.equal({
        path: `/gmail/v1/users/me/messages/${id}?format=full`,
        authorization: `Bearer ${gmail.expect.oauthToken}`,
        gmailAccessToken: gmail.expect.accessToken,
      });
      const card = res.body.action.navigations[0].pushCard;
      const clientId = card.sections[1].widgets[1].buttonList.buttons[0].onClick.action.parameters[1].value as string;
      expect(clientId).to.match(/^[0-9a-f]{32}$/);
      const day = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', day: '2-digit', month: '2-digit', year: 'numeric' }).format(
        new Date((await server.database.db.select().from(schema.chatLinks).where(eq(schema.chatLinks.id, link.id)))[0]!.expiresAt),
      );
      expect(res.body).to.deep.equal({
        action: {
          navigations: [
            {
              pushCard: {
                name: 'conversation',
                header: { title: 'Offerta finestre', subtitle: `Chat attiva fino al ${day}` },
                sections: [
                  { widgets: [{ textParagraph: { text: 'Ancora nessun messaggio: scrivi il primo.' } }] },
                  {
                    widgets: [
                      { textInput: { name: 'message', label: 'Messaggio', type: 'MULTIPLE_LINE' } },
                      {
                        buttonList: {
                          buttons: [
                            {
                              text: 'Invia',
                              type: 'FILLED',
                              onClick: {
                                action: {
                                  function: endpoint('send'),
                                  parameters: [
                                    { key: 'token', value: link.token },
                                    { key: 'clientId', value: clientId },
                                  ],
                                  loadIndicator: 'SPINNER',
                                },
                              },
                            },
                          ],
                        },
                      },
                    ],
                  },
                  {
                    widgets: [
                      {
                        buttonList: {
                          buttons: [
                            { text: 'Apri chat completa', onClick: { openLink: { url: link.url, openAs: 'FULL_SIZE', onClose: 'NOTHING' } } },
                            { text: 'Aggiorna', onClick: { action: { function: endpoint('refresh'), parameters: [{ key: 'token', value: link.token }], loadIndicator: 'SPINNER' } } },
                          ],
                        },
                      },
                    ],
                  },
                ],
              },
            },
          ],
        },
      });
    });

    it('finds the link in a forwarded email too', async () => {
      const { link } = await contextWithLink('Inoltrata');
      const original = alternativeMessage({ id: 'orig', subject: 'Inoltrata', from: piero.email, to: 'x@customer.test' }, 'vedi', chatButtonHtml(link.url));
      const id = `fwd-${randomUUID()}`;
      gmail.messages.set(id, forwardedMessage({ id, subject: 'Fwd: Inoltrata', from: 'x@customer.test', to: mario.email }, 'Guarda qui', original));
      const res = await call('contextual', { gmail: openMessage(id) });
      expect(res.body.action.navigations[0].pushCard.header.title).to.equal('Inoltrata');
    });

    it('shows a notice card when Gmail refuses to give the message', async () => {
      const res = await call('contextual', { gmail: { ...openMessage('unknown-message'), accessToken: 'wrong' } });
      expect(res.status).to.equal(200);
      expect(res.body.action.navigations[0].pushCard.sections[0].widgets[0].textParagraph.text).to.equal('Non è stato possibile leggere questa email. Riprova tra poco.');
    });
  });

  describe('posting from the card', () => {
    it('posts as the external user with that Google identity and reaches an internal user’s socket in the same context', async () => {
      const id = `m-${randomUUID()}`;
      const { ctx, link } = await contextWithLink();
      emailWithLink(id, link.url);
      const pieroSocket = await connectSocket(asPiero);
      sockets.push(pieroSocket);
      const arrived = next(pieroSocket, 'message:new', (m: { body: string }) => m.body === 'Buongiorno, quando potete montare?');
      const notified = next(pieroSocket, 'notification:new', (n: { kind: string; contextId: string }) => n.kind === 'message' && n.contextId === ctx.id);
      const parameters = { token: link.token, clientId: `gmail${randomUUID().replace(/-/g, '')}` };
      const formInputs = { message: { stringInputs: { value: ['Buongiorno, quando potete montare?'] } } };
      const res = await call('send', { parameters, formInputs, gmail: openMessage(id) });
      expect(res.status).to.equal(200);
      const message = await arrived;
      expect(message.author).to.deep.include({ kind: 'external', name: 'Mario Rossi' });
      expect((await notified).message.body).to.equal('Buongiorno, quando potete montare?');
      const action = res.body.renderActions.action;
      expect(action.notification).to.deep.equal({ text: 'Messaggio inviato' });
      const widget = action.navigations[0].updateCard.sections[0].widgets[0];
      expect(widget.decoratedText.topLabel).to.match(/^Tu · \d{2}\/\d{2}\/\d{4}, \d{2}:\d{2}$/);
      expect(widget.decoratedText.text).to.equal('Buongiorno, quando potete montare?');
      // Google retrying the same click makes no duplicate.
      await call('send', { parameters, formInputs });
      const external = await server.database.db.select().from(schema.externalUsers).where(eq(schema.externalUsers.subject, mario.sub));
      expect(external).to.have.length(1);
      expect(external[0]).to.deep.include({ provider: 'google', email: mario.email, name: 'Mario Rossi' });
      const stored = await server.database.db.select().from(schema.messages).where(eq(schema.messages.authorExternalId, external[0]!.id));
      expect(stored.filter((m) => m.clientId === parameters.clientId)).to.have.length(1);

      // The internal user opening the same email sees the guest's group and answers in it.
      const asPieroInGmail = { who: asGoogle(piero) };
      const seen = await call('contextual', { ...asPieroInGmail, gmail: openMessage(id) });
      const internalCard = seen.body.action.navigations[0].pushCard;
      expect(internalCard.sections[0].widgets[0].decoratedText.topLabel).to.match(/^Mario Rossi · /);
      const reply = await call('send', {
        ...asPieroInGmail,
        parameters: { token: link.token, clientId: `gmail${randomUUID().replace(/-/g, '')}` },
        formInputs: { message: { stringInputs: { value: ['Martedì prossimo'] } } },
      });
      const widgets = reply.body.renderActions.action.navigations[0].updateCard.sections[0].widgets;
      expect(widgets.map((w: { decoratedText: { text: string } }) => w.decoratedText.text)).to.deep.equal(['Buongiorno, quando potete montare?', 'Martedì prossimo']);
      expect(widgets[1].decoratedText.topLabel).to.match(/^Tu · /);
      expect(message.groupId).to.equal((await server.database.db.select().from(schema.messages).where(eq(schema.messages.body, 'Martedì prossimo')))[0]!.groupId);
    });

    it('keeps an expired chat read-only with a notice, and refuses new messages', async () => {
      const id = `m-${randomUUID()}`;
      const { link } = await contextWithLink();
      emailWithLink(id, link.url);
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date());
      expect((await asPiero.patch(`/api/links/${link.id}`, { expiresAt: today })).status).to.equal(200);
      const card = (await call('contextual', { gmail: openMessage(id) })).body.action.navigations[0].pushCard;
      expect(card.header.subtitle).to.equal('Chat chiusa');
      expect(card.sections[1].widgets[0].textParagraph.text).to.match(/^Questa chat è chiusa: il link è scaduto il \d{2}\/\d{2}\/\d{4}\./);
      expect(JSON.stringify(card)).to.not.include('textInput');
      const res = await call('send', { parameters: { token: link.token, clientId: 'gmailclosed0001' }, formInputs: { message: { stringInputs: { value: ['ci sono?'] } } } });
      expect(res.body.renderActions.action.navigations[0].updateCard.header.subtitle).to.equal('Chat chiusa');
      const stored = await server.database.db.select().from(schema.messages).where(eq(schema.messages.body, 'ci sono?'));
      expect(stored).to.have.length(0);
    });

    it('shows a link of another context as forbidden to an internal user who does not view it', async () => {
      const id = `m-${randomUUID()}`;
      const ctx = await makeContext(server.database.db, daniele, { kind: 'email', subject: 'Privata' }, [daniele.id]);
      const asDaniele = new TestClient(server.url);
      await asDaniele.signIn('internal', daniele.email);
      const { body: link } = await asDaniele.post(`/api/contexts/${ctx.id}/links`, {});
      emailWithLink(id, link.url);
      const card = (await call('contextual', { who: asGoogle(piero), gmail: openMessage(id) })).body.action.navigations[0].pushCard;
      expect(card).to.deep.equal({
        name: 'notice',
        header: { title: 'Privata' },
        sections: [{ widgets: [{ textParagraph: { text: 'Non sei tra i visualizzatori di questa conversazione in ChatPro.' } }] }],
      });
    });
  });

  describe('emails without a link', () => {
    it('says so to a recipient, and lets an internal user start a chat on the email', async () => {
      const id = `plain-${randomUUID()}`;
      gmail.messages.set(id, plainMessage({ id, subject: 'Richiesta info', from: 'Mario <mario.rossi@customer.test>', to: piero.email, cc: daniele.email }, 'Vorrei informazioni.'));
      const external = (await call('contextual', { gmail: openMessage(id) })).body.action.navigations[0].pushCard;
      expect(external).to.deep.equal({
        name: 'no-link',
        header: { title: 'Nessuna chat ChatPro' },
        sections: [{ widgets: [{ textParagraph: { text: 'Questa email non contiene un link ChatPro.' } }] }],
      });
      const who = asGoogle(piero);
      const internal = (await call('contextual', { who, gmail: openMessage(id) })).body.action.navigations[0].pushCard;
      expect(internal.sections[0].widgets[2].buttonList.buttons[0].text).to.equal('Avvia chat su questa email');
      expect((await call('start', { gmail: openMessage(id) })).body.renderActions.action.navigations[0].updateCard.sections[0].widgets[0].textParagraph.text).to.equal(
        'Solo i membri di un’organizzazione ChatPro possono farlo.',
      );
      const started = await call('start', { who, gmail: openMessage(id) });
      const card = started.body.renderActions.action.navigations[0].updateCard;
      expect(started.body.renderActions.action.notification).to.deep.equal({ text: 'Chat avviata' });
      expect(card.header.title).to.equal('Richiesta info');
      const [row] = await server.database.db
        .select()
        .from(schema.gmailAddonEmails)
        .where(and(eq(schema.gmailAddonEmails.userId, piero.id), eq(schema.gmailAddonEmails.gmailKey, `message:${id}`)));
      const [context] = await server.database.db.select().from(schema.contexts).where(eq(schema.contexts.id, row!.contextId));
      expect(context).to.deep.include({ kind: 'email', subject: 'Richiesta info', emailFrom: 'mario.rossi@customer.test', bodyHtml: '<pre style="white-space:pre-wrap">Vorrei informazioni.</pre>' });
      expect(context!.emailTo).to.deep.equal([piero.email]);
      expect(context!.emailCc).to.deep.equal([daniele.email]);
      // Opening the email again finds the chat started on it.
      const again = (await call('contextual', { who, gmail: openMessage(id) })).body.action.navigations[0].pushCard;
      expect(again.name).to.equal('conversation');
      expect(again.sections[2].widgets[0].buttonList.buttons[0].onClick.openLink.url).to.match(new RegExp(`^${server.url}/c/[A-Za-z0-9_-]{22,}$`));
    });
  });

  describe('compose', () => {
    it('inserts the "Clicca qui per discuterne" button for an internal user, reusing the draft’s context', async () => {
      const who = asGoogle(piero);
      const compose = await call('compose', { who, gmail: { draftId: 'r-123', accessToken: gmail.expect.accessToken } });
      expect(compose.body.action.navigations[0].pushCard.sections[0].widgets[1].buttonList.buttons[0]).to.deep.equal({
        text: 'Inserisci "Clicca qui per discuterne"',
        type: 'FILLED',
        onClick: { action: { function: endpoint('insert-button'), parameters: [], loadIndicator: 'SPINNER' } },
      });
      const draftId = `r-${randomUUID()}`;
      const res = await call('insert-button', { who, gmail: { draftId, accessToken: gmail.expect.accessToken } });
      const [row] = await server.database.db.select().from(schema.gmailAddonEmails).where(eq(schema.gmailAddonEmails.gmailKey, `draft:${draftId}`));
      const [link] = await server.database.db.select().from(schema.chatLinks).where(eq(schema.chatLinks.id, row!.linkId));
      expect(res.body).to.deep.equal({
        renderActions: {
          hostAppAction: {
            gmailAction: {
              updateDraftActionMarkup: {
                updateBody: { insertContents: [{ content: chatButtonHtml(`${server.url}/c/${link!.token}`, 'Clicca qui per discuterne'), contentType: 'MUTABLE_HTML' }], type: 'IN_PLACE_INSERT' },
              },
            },
          },
        },
      });
      const days = (link!.expiresAt.getTime() - Date.now()) / 86400000;
      expect(days).to.be.within(29.99, 30.01);
      const again = await call('insert-button', { who, gmail: { draftId, accessToken: gmail.expect.accessToken } });
      expect(again.body).to.deep.equal(res.body);
      expect(await server.database.db.select().from(schema.gmailAddonEmails).where(eq(schema.gmailAddonEmails.gmailKey, `draft:${draftId}`))).to.have.length(1);
      const en = await call('insert-button', { who, locale: 'en', gmail: { draftId, accessToken: gmail.expect.accessToken } });
      expect(en.body.renderActions.hostAppAction.gmailAction.updateDraftActionMarkup.updateBody.insertContents[0].content).to.include('>Click here to discuss it</a>');
    });

    it('does not let an external user insert the button', async () => {
      const compose = await call('compose', { gmail: { draftId: 'r-1' } });
      expect(compose.body.action.navigations[0].pushCard.sections[0].widgets[0].textParagraph.text).to.equal('Solo i membri di un’organizzazione ChatPro possono farlo.');
      const res = await call('insert-button', { gmail: { draftId: 'r-1' } });
      expect(res.body.renderActions).to.not.have.property('hostAppAction');
    });
  });

  it('serves the add-on logo as a PNG', async () => {
    const res = await fetch(endpoint('logo.png'));
    expect(res.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString('ascii')).to.equal('PNG');
  });
});
