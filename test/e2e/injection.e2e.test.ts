/**
 * Script injection in real Chromium: every payload of test/fixtures/injection-payloads.json goes
 * into messages, message and body attachment names, context subjects, the email body (sanitized,
 * shown in a sandboxed frame), link subjects, template names and bodies, and a guest's name; then
 * the guest page, the workspace (message list, context view, discussion, templates), the Outlook
 * task pane, the extension popup and its panel in a Gmail compose window are loaded once each. No dialog may open, no element made by
 * a payload may exist in any frame, and no request may leave for another host.
 *
 * Also the Content-Security-Policy: present without 'unsafe-inline' scripts on every HTML page the
 * server serves, and no CSP violation on normal use of each page.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { RunningServer } from '@chatpro/server';
import { contexts, contextViewers, noteTemplates } from '../../server/src/db/schema.ts';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../../server/src/testing/factories.ts';
import { startTestServer } from '../../server/src/testing/testServer.ts';
import { CHROMIUM, CHROMIUM_ARGS, launchBrowser } from '../support/browser.ts';
import { OFFICE_JS_URL, officeStandInScript } from '../support/officeStandIn.ts';

const corpus = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/injection-payloads.json'), 'utf8')) as { payloads: string[] };
const PAYLOADS = corpus.payloads.map((p, i) => p.replaceAll('{M}', String(i + 1)));
/** PostgreSQL text holds no NUL: the API refuses it (400), so what is stored is the rest. */
const storable = (p: string) => p.replaceAll('\u0000', '');
/** Control characters in a multipart file name make a malformed part header (400): names without them. */
// eslint-disable-next-line no-control-regex
const fileName = (p: string) => p.replace(/[\u0000-\u001f]/g, '').slice(0, 300);
const extensionDir = path.resolve(import.meta.dirname, '../../extension/.output/chrome-mv3');
/** What a payload leaves behind if it ever becomes markup or runs. */
const INJECTED = '[id^="xss"], [data-xss], base[href*="evil"], meta[http-equiv="refresh" i], link[href*="evil"], script[src*="evil"]';

interface Watch {
  dialogs: string[];
  foreign: string[];
  cspViolations: string[];
  errors: string[];
}

/**
 * Records dialogs (dismissed), CSP violations and page errors; and every request for another host
 * that reaches the network layer (a route on the whole browser context: a load the policy blocks
 * never gets there), which is aborted.
 */
async function watch(context: BrowserContext, page: Page, allowed: (url: string) => boolean, into: Watch): Promise<void> {
  await context.route(
    (url) => !allowed(url.href),
    (route) => {
      into.foreign.push(route.request().url());
      void route.abort('blockedbyclient');
    },
  );
  watchPage(page, into);
}

function watchPage(page: Page, into: Watch): void {
  page.on('dialog', (d) => {
    into.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) into.cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => into.errors.push(e.message));
}

/** Elements made by payloads, and payload globals, in every frame of the page (sandboxed ones included). */
async function injectedIn(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const frame of page.frames()) {
    const hits = await frame.evaluate((sel) => {
      const w = window as unknown as { __xss?: unknown; xss?: unknown };
      const els = [...document.querySelectorAll(sel)].map((e) => e.outerHTML.slice(0, 120));
      if (w.__xss !== undefined || w.xss !== undefined || ({} as { xss?: unknown }).xss !== undefined) els.push('a payload global');
      if (document.body?.hasAttribute('data-xss')) els.push('body[data-xss]');
      return els;
    }, INJECTED);
    found.push(...hits.map((h) => `${frame.url().slice(0, 60)}: ${h}`));
  }
  return found;
}

describe('script injection and Content-Security-Policy in Chromium', function () {
  this.timeout(180_000);
  let server: RunningServer;
  let browser: Browser;
  let asPiero: TestClient;
  let asGuest: TestClient;
  let piero: Awaited<ReturnType<typeof makeUser>>;
  let main: { id: string };
  let templateId: string;
  let link: { id: string; token: string; url: string };
  let groupId: string;
  const checked: { surface: string; payloads: number }[] = [];
  const sameServer = (url: string) => url.startsWith(`${server.url}/`) || url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank' || url === 'about:srcdoc';

  const cookiesOf = (client: TestClient) => [...client.cookies].map(([name, value]) => ({ name, value, url: server.url }));

  before(async function () {
    browser = await launchBrowser();
    server = await startTestServer({ kind: 'pglite', dataDir: null });
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    piero = await makeUser(db, org, { name: 'Piero Fanti' });
    asPiero = new TestClient(server.url);
    await asPiero.signIn('internal', piero.email);
    const bodyHtml = PAYLOADS.map((p) => `<p>${storable(p)}</p>`).join('\n');
    main = await makeContext(db, piero, { kind: 'email', subject: `Iniezioni ${PAYLOADS[0]}`, bodyHtml, lastActivityAt: new Date(Date.now() + 60_000) });
    // Context subjects, template names and bodies: one row per payload.
    const notes = await db
      .insert(contexts)
      .values(PAYLOADS.map((p) => ({ orgId: org.id, kind: 'note' as const, subject: storable(p).slice(0, 500), bodyHtml: storable(p), createdBy: piero.id })))
      .returning({ id: contexts.id });
    await db.insert(contextViewers).values(notes.map((n) => ({ contextId: n.id, userId: piero.id })));
    const templates = await db
      .insert(noteTemplates)
      .values(PAYLOADS.map((p, i) => ({ orgId: org.id, name: storable(p).slice(0, 200), subject: storable(p).slice(0, 500), bodyHtml: i === 0 ? bodyHtml : storable(p), createdBy: piero.id })))
      .returning({ id: noteTemplates.id });
    templateId = templates[0]!.id;
    // The body's files, named by the payloads (10 per upload).
    for (let i = 0; i < PAYLOADS.length; i += 10) {
      const form = new FormData();
      for (const p of PAYLOADS.slice(i, i + 10)) form.append('file', new Blob(['x']), fileName(p));
      const up = await asPiero.post(`/api/contexts/${main.id}/attachments`, form);
      expect(up.status, up.text).to.equal(201);
    }
    link = (await asPiero.post(`/api/contexts/${main.id}/links`, { showBody: true, subject: PAYLOADS.slice(0, 12).join(' ').slice(0, 500) })).body;
    expect(link.token, JSON.stringify(link)).to.be.a('string');
    // A guest whose name is a payload starts the conversation.
    asGuest = new TestClient(server.url);
    await asGuest.signIn('external', 'ospite@customer.test', { name: PAYLOADS[4]!.slice(0, 200), link: link.token });
    const first = await asGuest.post(`/api/guest/${link.token}/messages`, { clientId: 'inject-guest-0001', body: PAYLOADS[0] });
    expect(first.status, first.text).to.equal(201);
    groupId = first.body.groupId;
    // Piero answers with every payload, some with files named by payloads.
    for (const [i, p] of PAYLOADS.entries()) {
      let attachmentIds: string[] = [];
      if (i % 8 === 0) {
        const form = new FormData();
        form.append('file', new Blob(['x']), fileName(p));
        attachmentIds = (await asPiero.post('/api/uploads', form)).body.attachments.map((a: { id: string }) => a.id);
      }
      const message = { clientId: `inject-msg-${String(i).padStart(4, '0')}`, body: p.slice(0, 10_000), attachmentIds };
      let sent = await asPiero.post(`/api/groups/${groupId}/messages`, message);
      if (p.includes('\u0000')) {
        expect(sent.status, sent.text).to.equal(400);
        expect(sent.body.error.message).to.include('NUL');
        sent = await asPiero.post(`/api/groups/${groupId}/messages`, { ...message, body: storable(message.body) });
      }
      expect(sent.status, sent.text).to.equal(201);
    }
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function assertClean(page: Page, w: Watch, surface: string, payloads: number) {
    expect(w.dialogs, `${surface}: dialogs`).to.deep.equal([]);
    expect(w.foreign, `${surface}: requests to other hosts`).to.deep.equal([]);
    expect(await injectedIn(page), `${surface}: injected elements`).to.deep.equal([]);
    expect(w.errors, `${surface}: page errors`).to.deep.equal([]);
    checked.push({ surface, payloads });
  }

  /** The body frame: sandboxed without scripts, with its own policy. */
  async function assertBodyFrame(page: Page) {
    const frame = page.locator('iframe.body-frame');
    await frame.waitFor();
    const sandbox = (await frame.getAttribute('sandbox')) ?? '';
    expect(sandbox.split(/\s+/)).to.not.include('allow-scripts');
    expect(sandbox.split(/\s+/)).to.not.include('allow-forms');
    const inner = page.frameLocator('iframe.body-frame');
    await inner.locator('meta[http-equiv="Content-Security-Policy"]').waitFor({ state: 'attached' });
    await inner.locator('p').nth(20).waitFor({ state: 'attached' });
    const csp = await inner.locator('meta[http-equiv="Content-Security-Policy"]').first().getAttribute('content');
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.not.include('unsafe-inline\'; script');
    expect(await inner.locator('script, iframe, object, embed, form, base[href], meta[http-equiv="refresh"]').count()).to.equal(0);
  }

  it('the guest page shows every payload as text: no dialog, no injected element, no foreign request', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(cookiesOf(asGuest));
    const page = await context.newPage();
    const w: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
    await watch(context, page, sameServer, w);
    await page.goto(link.url);
    await page.getByTestId('composer').waitFor();
    await page.locator('.bubble .text').filter({ hasText: `deep ${PAYLOADS.length}` }).first().waitFor();
    // Messages render as text, exactly as sent.
    const texts = await page.locator('.bubble .text').allTextContents();
    expect(texts).to.include(PAYLOADS[0]);
    expect(texts).to.include(PAYLOADS[4]);
    expect(texts).to.include(storable(PAYLOADS.at(-3)!));
    await page.getByTestId('menu').click();
    await page.getByTestId('go-body').click();
    await assertBodyFrame(page);
    expect(await page.locator('.body-files li').count()).to.equal(PAYLOADS.length);
    await page.waitForTimeout(300);
    await assertClean(page, w, 'guest page', PAYLOADS.length);
    console.log(`figure: guest page: ${w.cspViolations.length} CSP-blocked loads (payload images/styles), 0 foreign requests`);
    await context.close();
  });

  it('the workspace (message list, context view with body and discussion, templates) runs no payload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(cookiesOf(asPiero));
    const page = await context.newPage();
    const w: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
    await watch(context, page, sameServer, w);
    await page.goto(`${server.url}/app`);
    await page.getByTestId('message-list').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="context-item"]').length >= 20);
    await page.locator(`[data-testid="context-item"][data-id="${main.id}"] a`).click();
    await page.getByTestId('context-view').waitFor();
    await assertBodyFrame(page);
    await page.locator('[data-testid="group-tab"][data-kind="external"]').first().click();
    await page.locator('.bubble .text').filter({ hasText: `deep ${PAYLOADS.length}` }).first().waitFor();
    await assertClean(page, w, 'workspace: list, context, discussion', PAYLOADS.length);
    // Templates: names in the list, the (sanitized) body in the preview, rendered in the page itself.
    await page.goto(`${server.url}/app/templates/${templateId}`);
    await page.getByTestId('template-preview').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="template-item"]').length >= 20);
    await page.waitForTimeout(300);
    await assertClean(page, w, 'workspace: templates', PAYLOADS.length);
    console.log(`figure: workspace: ${w.cspViolations.length} CSP-blocked loads, 0 foreign requests`);
    await context.close();
  });

  it('the Outlook task pane runs no payload from the email or the conversation', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 900 } });
    await context.route(OFFICE_JS_URL, (route) =>
      route.fulfill({
        contentType: 'text/javascript',
        body: officeStandInScript({ subject: PAYLOADS.slice(0, 5).join(' '), bodyHtml: `${PAYLOADS.join('<br>')}<p><a href="${link.url}">Clicca qui per discuterne</a></p>`, bodyText: `${PAYLOADS.join('\n')}\n${link.url}` }),
      }),
    );
    await context.addCookies(cookiesOf(asGuest));
    const page = await context.newPage();
    const w: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
    await watch(context, page, (url) => sameServer(url) || url === OFFICE_JS_URL, w);
    await page.goto(`${server.url}/addins/outlook/taskpane.html`);
    await page.getByTestId('composer').waitFor();
    await page.locator('.bubble .text').filter({ hasText: `deep ${PAYLOADS.length}` }).first().waitFor();
    await page.getByTestId('toggle-body').click();
    await assertBodyFrame(page);
    await assertClean(page, w, 'Outlook task pane', PAYLOADS.length);
    await context.close();
  });

  it('the extension popup and compose panel show payload subjects, messages and drafts as text', async function () {
    if (!existsSync(path.join(extensionDir, 'manifest.json'))) throw new Error('extension/.output is missing: run `npm run build -w extension` (npm test does it first)');
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'chatpro-inject-ext-'));
    const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    });
    try {
      const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
      const extensionId = new URL(worker.url()).host;
      // A real extension token for Piero, handed over as the server hands it (URL fragment).
      const connect = await asPiero.raw('GET', `/extension/connect?redirect=${encodeURIComponent(`chrome-extension://${extensionId}/connected.html`)}`);
      const token = decodeURIComponent(/#token=(.+)$/.exec(connect.headers.get('location') ?? '')![1]!);
      await worker.evaluate(
        ([url, t, name, email]) => (globalThis as unknown as { chrome: any }).chrome.storage.local.set({ server: url, token: t, user: { name, email } }),
        [server.url, token, piero.name, piero.email],
      );
      const page = await context.newPage();
      const w: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
      await watch(context, page, (url) => sameServer(url) || url.startsWith(`chrome-extension://${extensionId}/`), w);
      await page.goto(`chrome-extension://${extensionId}/popup.html`);
      await page.locator(`[data-context-id="${main.id}"]`).waitFor();
      await page.waitForTimeout(300);
      await assertClean(page, w, 'extension popup', PAYLOADS.length);

      // The panel in a Gmail compose window (a fixture page), on a draft whose subject and body are payloads.
      await context.route('https://mail.google.com/**', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: readFileSync(path.resolve(import.meta.dirname, '../fixtures/gmail-compose.html'), 'utf8') }));
      const gmail = await context.newPage();
      const wg: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
      await watch(context, gmail, (url) => sameServer(url) || url.startsWith('https://mail.google.com/') || url.startsWith(`chrome-extension://${extensionId}/`), wg);
      await gmail.goto('https://mail.google.com/mail/u/0/?compose=new#inbox');
      const dialog = gmail.locator('[role=dialog]');
      await dialog.getByTestId('chatpro-toggle').waitFor();
      const subject = PAYLOADS.slice(0, 40).map(storable).join(' ').slice(0, 500);
      await dialog.locator('input[name=subjectbox]').fill(subject);
      await dialog.locator('[g_editable]').evaluate((el, text) => {
        el.textContent = text;
      }, PAYLOADS.map(storable).join('\n'));
      await dialog.getByTestId('chatpro-toggle').click();
      await dialog.getByTestId('chatpro-url').waitFor();
      const contextId = await dialog.getByTestId('chatpro-panel').getAttribute('data-context-id');
      // The draft's subject reached the server as text (the extension may shorten it).
      expect(subject).to.include((await asPiero.get(`/api/contexts/${contextId}`)).body.subject.slice(0, 100));
      await gmail.waitForTimeout(300);
      await assertClean(gmail, wg, 'extension panel (Gmail compose)', PAYLOADS.length);
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
    const total = checked.reduce((n, c) => n + c.payloads, 0);
    console.log(`figure: script injection: ${PAYLOADS.length} payloads × ${checked.length} surfaces (${checked.map((c) => c.surface).join('; ')}) = ${total} payload renderings, 0 dialogs, 0 injected elements, 0 foreign requests`);
  });

  it('serves every HTML page with a CSP without inline scripts', async () => {
    const anonymous = new TestClient(server.url);
    const login = await anonymous.follow('/auth/dev/login?audience=external');
    const pages: [string, Response][] = [];
    const get = async (p: string, client: TestClient = anonymous) => {
      const res = await client.raw('GET', p);
      await res.arrayBuffer();
      pages.push([p, res]);
    };
    for (const p of ['/', '/app', '/app/templates/x', `/c/${link.token}`, '/c/not-a-token-at-all-000000', '/addins/outlook/taskpane.html', '/addins/outlook/commands.html', '/addins/outlook/signin.html', '/addins/outlook/signed-in.html', '/mail/unsubscribe?t=bad', '/auth/nope/callback', '/extension/connect?redirect=chrome-extension://abcdefghijklmnopabcdefghijklmnop/x', '/no/such/page', '/api/me']) {
      await get(p);
    }
    const devPage = await anonymous.raw('GET', new URL(login.url).pathname);
    await devPage.arrayBuffer();
    expect(devPage.status).to.equal(200);
    pages.push(['dev IdP sign-in page', devPage]);
    for (const [p, res] of pages) {
      const csp = res.headers.get('content-security-policy') ?? '';
      const script = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? /(?:^|;)\s*default-src ([^;]*)/.exec(csp)?.[1];
      expect(script, `${p} (${res.status}): ${csp}`).to.be.a('string');
      expect(script, `${p}: ${csp}`).to.not.match(/unsafe-inline|unsafe-eval|\*|https?:(?!\/\/appsforoffice\.microsoft\.com)/);
      if (p.startsWith('/addins/outlook/')) expect(script).to.include('https://appsforoffice.microsoft.com');
      // Express's own 404 page has the stricter default-src 'none'.
      expect(csp, p).to.match(/object-src 'none'|^default-src 'none'$/);
    }
    console.log(`figure: CSP: ${pages.length} HTML routes checked, none allows inline or foreign scripts (Office.js's origin on the add-in pages only)`);
  });

  it('shows no CSP violation on normal use of the guest page, workspace, task pane, sign-in pages', async () => {
    const db = server.database.db;
    const normal = await makeContext(db, piero, { kind: 'email', subject: 'Preventivo', bodyHtml: '<p style="color:#333">Buongiorno, <b>in allegato</b> il preventivo.</p><img src="data:image/png;base64,iVBORw0KGgo=" alt="">' });
    const normalLink = (await asPiero.post(`/api/contexts/${normal.id}/links`, { showBody: true })).body as { url: string; token: string };
    const guest = new TestClient(server.url);
    await guest.signIn('external', 'normale@customer.test', { name: 'Cliente', link: normalLink.token });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route(OFFICE_JS_URL, (route) => route.fulfill({ contentType: 'text/javascript', body: officeStandInScript({ subject: 'Preventivo', bodyHtml: `<a href="${normalLink.url}">chat</a>`, bodyText: normalLink.url }) }));
    const w: Watch = { dialogs: [], foreign: [], cspViolations: [], errors: [] };
    // Signed out: the sign-in page and the development provider's page.
    let page = await context.newPage();
    await watch(context, page, (url) => sameServer(url) || url === OFFICE_JS_URL, w);
    await page.goto(normalLink.url);
    await page.getByTestId('sign-in').waitFor();
    await page.click('[data-provider="dev"]');
    await page.locator('#any-email').waitFor();
    await page.close();
    await context.addCookies(cookiesOf(guest));
    page = await context.newPage();
    watchPage(page, w);
    await page.goto(normalLink.url);
    await page.getByTestId('composer').waitFor();
    await page.fill('.composer textarea', 'Buongiorno');
    await page.click('.composer button[type="submit"]');
    await page.locator('.bubble .text', { hasText: 'Buongiorno' }).waitFor();
    await page.getByTestId('menu').click();
    await page.getByTestId('go-body').click();
    await page.frameLocator('iframe.body-frame').locator('text=preventivo').first().waitFor();
    await page.goto(`${server.url}/addins/outlook/taskpane.html`);
    await page.getByTestId('composer').waitFor();
    await page.getByTestId('toggle-body').click();
    await page.frameLocator('iframe.body-frame').locator('text=preventivo').first().waitFor();
    await context.addCookies(cookiesOf(asPiero));
    await page.goto(`${server.url}/app`);
    await page.getByTestId('message-list').waitFor();
    await page.locator(`[data-testid="context-item"][data-id="${normal.id}"] a`).click();
    await page.getByTestId('context-view').waitFor();
    await page.frameLocator('iframe.body-frame').locator('text=preventivo').first().waitFor();
    await page.waitForTimeout(300);
    expect(w.cspViolations).to.deep.equal([]);
    expect(w.dialogs).to.deep.equal([]);
    expect(w.errors).to.deep.equal([]);
    console.log(`figure: CSP on normal use: 0 violations on the guest sign-in, dev IdP, guest chat and body, task pane, workspace pages`);
    await context.close();
  });
});
