import { fakeBrowser, stubFetch } from '../testing/fakeBrowser.ts';
import { expect } from 'chai';
import { ask } from '../messages.ts';
import { getDraftLink, getToken, getUser, saveSignIn, setServer } from '../settings.ts';
import { WHATSAPP_SEND } from '../share.ts';
import { badge } from './badge.ts';
import { contextFromDraft, handle, signInUrl } from './handlers.ts';

const SERVER = 'http://127.0.0.1:3999';
const link = (id: string, contextId: string) => ({ id, token: 't', url: `${SERVER}/c/tok-${id}`, contextId, subject: 'Preventivo', showBody: false, expiresAt: '2027-01-01T00:00:00.000Z', active: true, notifyUserIds: [] });

describe('extension background: token handling and messages', () => {
  let fetchStub: ReturnType<typeof stubFetch> | null = null;
  beforeEach(async () => {
    fakeBrowser.reset();
    await setServer(SERVER);
  });
  afterEach(() => fetchStub?.restore());

  it('signs in through /extension/connect with the extension page as redirect', async () => {
    const url = new URL(signInUrl(SERVER));
    expect(url.origin + url.pathname).to.equal(`${SERVER}/extension/connect`);
    expect(url.searchParams.get('redirect')).to.equal(`chrome-extension://${fakeBrowser.runtime.id}/connected.html`);
    await handle({ type: 'signIn' });
    const tabs = await fakeBrowser.tabs.query({});
    expect(tabs.some((t) => t.url === signInUrl(SERVER))).to.equal(true);
  });

  it('keeps a received token only when the server says it is an internal user', async () => {
    fetchStub = stubFetch({
      'GET /api/me': (_b, h) =>
        h.get('authorization') === 'Bearer cpx_good'
          ? { status: 200, body: { kind: 'internal', user: { id: 'u1', name: 'Piero Fanti', email: 'piero@tweppy.test' }, organisation: { id: 'o', name: 'T' } } }
          : { status: 200, body: { kind: 'anonymous' } },
      'GET /api/contexts': () => ({ status: 200, body: { items: [{ unread: 2 }, { unread: 1 }], nextCursor: null } }),
    });
    let failed = false;
    await handle({ type: 'token:received', token: 'cpx_bad' }).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(await getToken()).to.equal(null);
    const status = (await handle({ type: 'token:received', token: 'cpx_good' })) as { user: { name: string }; unread: number };
    expect(status.user.name).to.equal('Piero Fanti');
    expect(await getToken()).to.equal('cpx_good');
    expect(status.unread).to.equal(3);
    expect(await fakeBrowser.action.getBadgeText({})).to.equal('3');
    await handle({ type: 'server:set', server: SERVER }); // stops the live badge of this test
  });

  it('signs out by revoking the token on the server, and forgets it even if that fails', async () => {
    await saveSignIn('cpx_tok', { id: 'u1', name: 'P', email: 'p@t.test' });
    fetchStub = stubFetch({ 'DELETE /api/extension/token': () => ({ status: 204 }) });
    await handle({ type: 'signOut' });
    expect(fetchStub.calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.headers.get('authorization')}`)).to.deep.equal(['DELETE /api/extension/token Bearer cpx_tok']);
    expect(await getToken()).to.equal(null);
    expect(await getUser()).to.equal(null);
    fetchStub.restore();
    await saveSignIn('cpx_tok', { id: 'u1', name: 'P', email: 'p@t.test' });
    fetchStub = stubFetch({ 'DELETE /api/extension/token': () => ({ status: 500, body: { error: { code: 'x', message: 'down' } } }) });
    const warn = console.warn;
    console.warn = () => {};
    await handle({ type: 'signOut' }).finally(() => (console.warn = warn));
    expect(await getToken()).to.equal(null);
  });

  it('creates a context and link for a new draft, and reuses them for the same draft', async () => {
    await saveSignIn('cpx_tok', { id: 'u1', name: 'P', email: 'p@t.test' });
    let created = 0;
    fetchStub = stubFetch({
      'POST /api/contexts': () => ({ status: 201, body: { id: `ctx${++created}` } }),
      'POST /api/contexts/ctx1/links': () => ({ status: 201, body: link('l1', 'ctx1') }),
      'GET /api/links/l1': () => ({ status: 200, body: link('l1', 'ctx1') }),
      'GET /api/contexts': () => ({ status: 200, body: { items: [], nextCursor: null } }),
    });
    const draft = { subject: '  Preventivo ', to: ['Anna@Cliente.test', 'not an address'], cc: [], bodyHtml: '<p>Buongiorno</p>' };
    const first = (await handle({ type: 'compose:activate', draftKey: 'gmail:local:1', draft })) as { contextId: string; reused: boolean };
    expect(first).to.include({ contextId: 'ctx1', reused: false });
    expect(fetchStub.calls[0]!.body).to.deep.equal({ kind: 'email', subject: 'Preventivo', bodyHtml: '<p>Buongiorno</p>', email: { to: ['anna@cliente.test'], cc: [] } });
    expect(fetchStub.calls[1]!.body).to.deep.equal({});
    expect(await getDraftLink('gmail:local:1')).to.deep.equal({ contextId: 'ctx1', linkId: 'l1' });
    const second = (await handle({ type: 'compose:activate', draftKey: 'gmail:local:1', draft })) as { contextId: string; reused: boolean };
    expect(second).to.include({ contextId: 'ctx1', reused: true });
    expect(created).to.equal(1);
  });

  it('forgets a token the server no longer accepts (revoked elsewhere)', async () => {
    await saveSignIn('cpx_revoked', { id: 'u1', name: 'P', email: 'p@t.test' });
    fetchStub = stubFetch({ 'GET /api/contexts': () => ({ status: 401, body: { error: { code: 'unauthenticated', message: 'Sign in' } } }) });
    expect(await badge.refresh()).to.equal(0);
    expect(await getToken()).to.equal(null);
  });

  it('counts the badge once more after the count in flight, however many notifications came meanwhile', async () => {
    await saveSignIn('cpx_tok', { id: 'u1', name: 'P', email: 'p@t.test' });
    let unread = 0;
    fetchStub = stubFetch({ 'GET /api/contexts': () => ({ status: 200, body: { items: [{ unread: ++unread }], nextCursor: null } }) });
    await Promise.all(Array.from({ length: 10 }, () => badge.refreshSoon()));
    expect(fetchStub.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).to.deep.equal(['GET /api/contexts', 'GET /api/contexts']);
    expect(await fakeBrowser.action.getBadgeText({})).to.equal('2');
    // Once it is done, the next notification counts again.
    await badge.refreshSoon();
    expect(fetchStub.calls).to.have.length(3);
    expect(await fakeBrowser.action.getBadgeText({})).to.equal('3');
  });

  it('never sends an empty subject', () => {
    expect(contextFromDraft({ subject: ' ', to: [], cc: [], bodyHtml: '' }).subject).to.equal('(senza oggetto)');
  });

  it('shares on WhatsApp Web with the subject and the link', async () => {
    const url = (await handle({ type: 'share:whatsapp', subject: 'Preventivo', url: `${SERVER}/c/abc` })) as string;
    expect(url).to.equal(`${WHATSAPP_SEND}?text=${encodeURIComponent(`Preventivo\n${SERVER}/c/abc`)}`);
  });

  it('answers messages with values and errors through ask()', async () => {
    fakeBrowser.runtime.onMessage.addListener(((message: { type: string }, _sender: unknown, sendResponse: (r: unknown) => void) => {
      sendResponse(message.type === 'status' ? { ok: true, value: { server: SERVER, user: null, unread: 0 } } : { ok: false, error: 'Accedi prima' });
      return true;
    }) as never);
    expect((await ask({ type: 'status' })).server).to.equal(SERVER);
    let message = '';
    await ask({ type: 'users' }).catch((err: Error) => (message = err.message));
    expect(message).to.equal('Accedi prima');
  });
});
