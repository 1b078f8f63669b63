import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeOrg, makeUser } from '../../server/src/testing/factories.ts';
import { ask, connectSocket } from '../../server/src/testing/socket.ts';
import { startTestServer } from '../../server/src/testing/testServer.ts';
import { artifactPath, CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../support/browser.ts';

const extensionDir = path.resolve(import.meta.dirname, '../../extension/.output/chrome-mv3');
const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../fixtures', name), 'utf8');
const WHATSAPP = 'https://web.whatsapp.com/send';

/** The extension APIs, inside the service worker's `evaluate` callbacks. */
declare const chrome: any;

describe('browser extension in Chromium', function () {
  this.timeout(120_000);
  let server: RunningServer;
  let context: BrowserContext;
  let worker: Worker;
  let extensionId: string;
  let userDataDir: string;
  let asPiero: TestClient;
  let piero: Awaited<ReturnType<typeof makeUser>>;

  before(async function () {
    requireChromium();
    if (!existsSync(path.join(extensionDir, 'manifest.json'))) throw new Error('extension/.output is missing: run `npm run build -w extension` (npm test does it first)');
    server = await startTestServer({ kind: 'pglite', dataDir: null });
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    piero = await makeUser(db, org, { name: 'Piero Fanti' });
    await makeUser(db, org, { name: 'Daniele Sala' });
    asPiero = new TestClient(server.url);
    await asPiero.signIn('internal', piero.email);

    userDataDir = mkdtempSync(path.join(tmpdir(), 'chatpro-ext-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    });
    // The mail sites are fixtures: the content script runs because the URLs match.
    await context.route('https://mail.google.com/**', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: fixture('gmail-compose.html') }));
    await context.route('https://outlook.office.com/**', (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: fixture('outlook-compose.html') }));
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    extensionId = new URL(worker.url()).host;
    await worker.evaluate((url) => chrome.storage.local.set({ server: url }), server.url);
    await worker.evaluate(() => {
      const g = globalThis as any;
      g.__openedTabs = [];
      // Without the tabs permission (not needed) the browser hides a tab's URL from the extension:
      // record what the extension asks to open instead.
      const create = chrome.tabs.create.bind(chrome.tabs);
      chrome.tabs.create = (props: { url?: string }, ...rest: unknown[]) => (g.__openedTabs.push(props.url), create(props, ...rest));
    });
  });
  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  const extensionPage = (file: string) => `chrome-extension://${extensionId}/${file}`;
  const serverContexts = async () => (await asPiero.get('/api/contexts')).body.items as { id: string; subject: string; unread: number }[];

  /**
   * The tabs the extension opens: a tab made by `tabs.create` starts loading before Playwright can
   * route it (and WhatsApp Web is not reachable here), so the test checks the URL the extension
   * asked for, not the page.
   */
  async function tabOpened(expected: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const opened: string[] = await worker.evaluate(() => (globalThis as any).__openedTabs ?? []);
      if (opened.includes(expected)) return;
      if (Date.now() > deadline) throw new Error(`No tab opened with ${expected}; saw ${opened.join(', ') || 'none'}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The `href`s of the ChatPro buttons in a compose body. */
  const buttonsIn = (body: ReturnType<Page['locator']>) => body.locator('table[data-chatpro-button] a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));

  it('signs in from the options page through the server and keeps a token', async () => {
    const options = await context.newPage();
    await options.goto(extensionPage('options.html'));
    await options.getByTestId('sign-in').waitFor();
    expect(await options.getByTestId('server').inputValue()).to.equal(server.url);
    const [tab] = await Promise.all([context.waitForEvent('page'), options.getByTestId('sign-in').click()]);
    await tab.waitForURL(/\/dev-oidc\//);
    await tab.click(`button[data-email="${piero.email}"]`);
    await options.getByTestId('signed-in').waitFor();
    expect(await options.getByTestId('signed-in').textContent()).to.contain('Piero Fanti');
    const stored = await worker.evaluate(() => chrome.storage.local.get(['token', 'user']));
    expect(stored.token).to.match(/^cpx_/);
    expect((await asPiero.get('/api/extension/tokens')).body.items).to.have.length(1);
    await options.screenshot({ path: artifactPath('extension-options.png') });
    await options.close();
  });

  it('puts Gestisci chat in each Gmail compose window; the panel creates the context and inserts the button once', async () => {
    const page = await context.newPage();
    await page.goto('https://mail.google.com/mail/u/0/?compose=new#inbox');
    const toggles = page.getByTestId('chatpro-toggle');
    await page.waitForFunction(() => document.querySelectorAll('[data-chatpro-send]').length === 2);
    await toggles.nth(1).waitFor();
    // The host page's hostile CSS does not reach the control.
    expect(await toggles.first().evaluate((b) => getComputedStyle(b).fontSize)).to.equal('13px');

    // The new-message dialog (second control): subject, recipients and body go to the server.
    const dialog = page.locator('[role=dialog]');
    const dialogToggle = dialog.getByTestId('chatpro-toggle');
    await dialog.locator('[g_editable]').click();
    await page.keyboard.press('End');
    await dialogToggle.click();
    const url = (await dialog.getByTestId('chatpro-url').textContent())!.trim();
    expect(url).to.match(new RegExp(`^${server.url}/c/[A-Za-z0-9_-]+$`));
    const contextId = await dialog.getByTestId('chatpro-panel').getAttribute('data-context-id');
    const created = await asPiero.get(`/api/contexts/${contextId}`);
    expect(created.body).to.deep.include({ kind: 'email', subject: 'Sopralluogo cantiere' });
    expect(created.body.email).to.deep.include({ to: ['mario@cliente.test'], cc: ['ufficio@cliente.test'] });
    expect((await asPiero.get(`/api/contexts/${contextId}/links`)).body.items.map((l: { url: string }) => l.url)).to.deep.equal([url]);
    expect(await buttonsIn(dialog.locator('[g_editable]'))).to.deep.equal([url]);
    await page.screenshot({ path: artifactPath('extension-gmail-panel.png') });

    // A second click on the same draft reuses the context and adds no second button.
    await dialogToggle.click(); // closes
    await dialogToggle.click(); // opens again
    await dialog.getByTestId('chatpro-note').filter({ hasText: 'già attiva' }).waitFor();
    expect(await dialog.getByTestId('chatpro-panel').getAttribute('data-context-id')).to.equal(contextId);
    expect(await buttonsIn(dialog.locator('[g_editable]'))).to.deep.equal([url]);
    expect((await serverContexts()).filter((c) => c.id === contextId)).to.have.length(1);

    // What Gmail's editor registered is what it sends.
    await dialogToggle.click(); // closes the panel
    await dialog.locator('.aoO').click();
    const sent = await page.evaluate(() => (window as unknown as { __sent: { html: string }[] }).__sent);
    expect(sent.at(-1)!.html).to.contain(`href="${url}"`).and.contain('Clicca qui per discuterne');

    // Editing the link from the panel.
    await dialogToggle.click();
    await dialog.getByTestId('chatpro-note').waitFor();
    await dialog.getByTestId('chatpro-show-body').check();
    await dialog.getByTestId('chatpro-save').click();
    await dialog.getByTestId('chatpro-note').filter({ hasText: 'Salvato' }).waitFor();
    const links = (await asPiero.get(`/api/contexts/${contextId}/links`)).body.items;
    expect(links[0].showBody).to.equal(true);

    // WhatsApp Web opens with the subject and the link.
    await dialog.getByTestId('chatpro-whatsapp').click();
    await tabOpened(`${WHATSAPP}?text=${encodeURIComponent(`Sopralluogo cantiere\n${url}`)}`);

    await dialog.getByTestId('chatpro-close').click(); // the panel sits over the thread above

    // The inline reply is another draft: its own context, with the thread's subject.
    const reply = page.locator('#reply-1');
    await reply.getByTestId('chatpro-toggle').click();
    const replyUrl = (await reply.getByTestId('chatpro-url').textContent())!.trim();
    expect(replyUrl).to.not.equal(url);
    const replyContext = await reply.getByTestId('chatpro-panel').getAttribute('data-context-id');
    expect((await asPiero.get(`/api/contexts/${replyContext}`)).body.subject).to.equal('Preventivo serramenti 2027');
    expect(await buttonsIn(reply.locator('[g_editable]'))).to.deep.equal([replyUrl]);

    // A compose window opened later gets its control too.
    await page.click('#compose-new');
    await page.waitForFunction(() => document.querySelectorAll('[data-chatpro-send]').length === 3);
    await toggles.nth(2).waitFor();
    await page.close();
  });

  it('puts Gestisci chat in Outlook on the web compose windows', async () => {
    const page = await context.newPage();
    await page.goto('https://outlook.office.com/mail/inbox/id/AAQk');
    const reply = page.locator('#reply');
    await reply.getByTestId('chatpro-toggle').click();
    const url = (await reply.getByTestId('chatpro-url').textContent())!.trim();
    const contextId = await reply.getByTestId('chatpro-panel').getAttribute('data-context-id');
    const created = (await asPiero.get(`/api/contexts/${contextId}`)).body;
    expect(created.subject).to.equal('Ordine finestre via Roma');
    expect(created.email.to).to.deep.equal(['anna@cliente.test']);
    const body = reply.locator('[aria-label="Corpo del messaggio"]');
    expect(await buttonsIn(body)).to.deep.equal([url]);
    await reply.getByTestId('chatpro-toggle').click(); // closes the panel
    await reply.locator('button[aria-label="Invia"]').click();
    const sent = await page.evaluate(() => (window as unknown as { __sent: { html: string }[] }).__sent);
    expect(sent.at(-1)!.html).to.contain(`href="${url}"`);

    await page.click('#new-mail');
    await page.waitForFunction(() => document.querySelectorAll('[data-chatpro-send]').length === 2);
    const fresh = page.locator('.compose').first();
    await fresh.getByTestId('chatpro-toggle').click();
    await fresh.getByTestId('chatpro-url').waitFor();
    expect((await asPiero.get(`/api/contexts/${await fresh.getByTestId('chatpro-panel').getAttribute('data-context-id')}`)).body.subject).to.equal('Consegna infissi');
    await page.screenshot({ path: artifactPath('extension-outlook-panel.png') });
    await page.close();
  });

  it('counts a new external message on the toolbar badge, live, and lists it in the popup', async () => {
    const [ctx] = (await serverContexts()).filter((c) => c.subject === 'Sopralluogo cantiere');
    const link = (await asPiero.get(`/api/contexts/${ctx!.id}/links`)).body.items[0];
    const guest = new TestClient(server.url);
    await guest.signIn('external', 'mario@cliente.test', { name: 'Mario Bianchi', link: link.token });
    const socket = await connectSocket(guest, 'external');
    try {
      const ack = await ask(socket, 'message:send', { linkToken: link.token, clientId: randomUUID().replace(/-/g, ''), body: 'Va bene giovedì?' });
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
    } finally {
      socket.disconnect();
    }
    const badge = async () => worker.evaluate(() => chrome.action.getBadgeText({}));
    const deadline = Date.now() + 15_000;
    while ((await badge()) !== '1' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await badge()).to.equal('1');

    const popup = await context.newPage();
    await popup.goto(extensionPage('popup.html'));
    const row = popup.locator(`[data-context-id="${ctx!.id}"]`);
    await row.waitFor();
    expect(await row.getByTestId('unread').textContent()).to.equal('1');
    expect(await row.textContent()).to.contain('Va bene giovedì?');
    await popup.screenshot({ path: artifactPath('extension-popup.png') });
    await row.getByTestId('whatsapp').click();
    await tabOpened(`${WHATSAPP}?text=${encodeURIComponent(`Sopralluogo cantiere\n${link.url}`)}`);
    await row.locator('a').first().click();
    await tabOpened(`${server.url}/app/c/${ctx!.id}`);
    await popup.close();
  });

  it('signs out from the options page, revoking the token on the server', async () => {
    const options = await context.newPage();
    await options.goto(extensionPage('options.html'));
    await options.getByTestId('sign-out').click();
    await options.getByTestId('sign-in').waitFor();
    expect((await asPiero.get('/api/extension/tokens')).body.items).to.have.length(0);
    expect(await worker.evaluate(() => chrome.storage.local.get('token'))).to.deep.equal({});
    await options.close();
  });
});
