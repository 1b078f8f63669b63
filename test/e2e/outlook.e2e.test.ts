import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chatButtonHtml } from '@chatpro/common';
import type { RunningServer } from '@chatpro/server';
import { validateUnifiedManifest, validateXmlManifest } from '../../outlook-addin/manifest/validate.ts';
import { COMMAND_FUNCTIONS } from '../../outlook-addin/src/commands/names.ts';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../../server/src/testing/factories.ts';
import { ask, connectSocket, next, type ChatSocket } from '../../server/src/testing/socket.ts';
import { startTestServer } from '../../server/src/testing/testServer.ts';
import { artifactPath, launchBrowser } from '../support/browser.ts';
import { OFFICE_JS_URL, officeStandInScript, type StandInItem } from '../support/officeStandIn.ts';

const addinDist = path.resolve(import.meta.dirname, '../../outlook-addin/dist');
const cid = () => randomUUID().replace(/-/g, '');

/** An email as Outlook shows it: the reader's reply on top, the message with the button quoted below. */
function outlookEmail(url: string): StandInItem {
  return {
    subject: 'R: Preventivo serramenti 2027',
    bodyHtml: `<html><body><div class="WordSection1"><p class="MsoNormal">Grazie, ne parliamo in chat.<o:p></o:p></p>
      <div id="divRplyFwdMsg"><b>Da:</b> Piero Fanti &lt;piero@tweppy.test&gt;<br><b>Oggetto:</b> Preventivo serramenti 2027</div>
      <blockquote><p>Buongiorno, in allegato il preventivo.</p>${chatButtonHtml(url)}</blockquote></div></body></html>`,
    bodyText: `Grazie, ne parliamo in chat.\n\n> Buongiorno, in allegato il preventivo.\n> Clicca qui per discuterne: ${url}`,
  };
}

describe('Outlook add-in in Chromium', function () {
  this.timeout(90_000);
  let server: RunningServer;
  let browser: Browser;
  let asPiero: TestClient;
  let pieroSocket: ChatSocket;
  let piero: Awaited<ReturnType<typeof makeUser>>;
  let link: { id: string; token: string; url: string };

  before(async function () {
    browser = await launchBrowser();
    if (!existsSync(path.join(addinDist, 'taskpane.html'))) throw new Error('outlook-addin/dist is missing: run `npm run build -w outlook-addin` (npm test does it first)');
    server = await startTestServer({ kind: 'pglite', dataDir: null });
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    piero = await makeUser(db, org, { name: 'Piero Fanti' });
    const context = await makeContext(db, piero, { kind: 'email', subject: 'Preventivo serramenti 2027', bodyHtml: '<p>Buongiorno, in allegato il <b>preventivo</b>.</p>' });
    asPiero = new TestClient(server.url);
    await asPiero.signIn('internal', piero.email);
    link = (await asPiero.post(`/api/contexts/${context.id}/links`, { showBody: true })).body;
    pieroSocket = await connectSocket(asPiero);
  });
  after(async () => {
    pieroSocket?.disconnect();
    await browser?.close();
    await server?.close();
  });

  /** A browser context whose pages get the stand-in Office host (popups included). */
  async function outlookContext(item: StandInItem | null): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 360, height: 720 } });
    await context.route(OFFICE_JS_URL, (route) => route.fulfill({ contentType: 'text/javascript', body: officeStandInScript(item) }));
    return context;
  }

  async function signInInDialog(page: Page, trigger: () => Promise<void>, email: string, name: string) {
    const [popup] = await Promise.all([page.waitForEvent('popup'), trigger()]);
    await popup.getByTestId('sign-in-dialog').waitFor();
    await popup.click('[data-provider="dev"]');
    await popup.fill('#any-email input[name="email"]', email);
    await popup.fill('#any-email input[name="name"]', name);
    await Promise.all([popup.waitForEvent('close'), popup.click('#any-email button[type="submit"]')]);
  }

  it('finds the link in the email, signs the reader in through the dialog, and chats live beside it', async () => {
    const context = await outlookContext(outlookEmail(link.url));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/addins/outlook/taskpane.html`);

    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('subject').textContent()).to.equal('Preventivo serramenti 2027');
    await signInInDialog(page, () => page.getByTestId('sign-in-button').click(), 'stefania@customer.test', 'Stefania Nardu');

    // Signed in: the conversation of this email, with its body on demand.
    await page.getByTestId('composer').waitFor();
    expect(await page.getByTestId('subject').textContent()).to.equal('Preventivo serramenti 2027');
    await page.getByTestId('toggle-body').click();
    await page.frameLocator('iframe.body-frame').locator('text=preventivo').first().waitFor();
    await page.getByTestId('toggle-body').click();

    // The reader writes; Piero, on an internal socket, receives it.
    const groupMade = next(pieroSocket, 'group:changed');
    const received = next(pieroSocket, 'notification:new');
    await page.fill('.composer textarea', 'Buongiorno, quando potete montare?');
    await page.click('.composer button[type="submit"]');
    const group = await groupMade;
    expect((await received).message.body).to.equal('Buongiorno, quando potete montare?');
    const joined = await ask(pieroSocket, 'chat:join', { groupId: group.id, sinceSeq: 0 });
    expect(joined.messages.map((m: { body: string; author: { name: string } }) => [m.author.name, m.body])).to.deep.equal([
      ['Stefania Nardu', 'Buongiorno, quando potete montare?'],
    ]);

    // Piero answers: the pane shows it without reloading.
    await ask(pieroSocket, 'message:send', { groupId: group.id, clientId: cid(), body: 'La settimana prossima, martedì.' });
    await page.locator('.bubble.theirs .text', { hasText: 'martedì' }).waitFor();
    expect(await page.locator('.bubble .text').allTextContents()).to.deep.equal(['Buongiorno, quando potete montare?', 'La settimana prossima, martedì.']);
    expect(await page.getByTestId('export').getAttribute('href')).to.equal(`${server.url}/api/guest/${link.token}/export`);
    await page.screenshot({ path: artifactPath('outlook-taskpane.png') });
    expect(pageErrors).to.deep.equal([]);
    await context.close();
  });

  it('on an email without a link, lets an internal user sign in and start a chat on it', async () => {
    const context = await outlookContext({ subject: 'Ordine 4411', bodyHtml: '<p>Confermiamo l’ordine 4411.</p>', bodyText: 'Confermiamo l’ordine 4411.' });
    const page = await context.newPage();
    await page.goto(`${server.url}/addins/outlook/taskpane.html`);
    await page.getByTestId('no-link').waitFor();
    await signInInDialog(page, () => page.getByTestId('sign-in-internal').click(), piero.email, 'Piero Fanti');
    await page.getByTestId('start-chat').click();
    const url = await page.getByTestId('link-url').inputValue();
    expect(url).to.match(new RegExp(`^${server.url}/c/[A-Za-z0-9_-]{22,}$`));
    const contexts = await asPiero.get('/api/contexts');
    expect(contexts.body.items.map((c: { subject: string }) => c.subject)).to.include('Ordine 4411');
    // The preference for new messages is kept in the roaming settings.
    await page.getByTestId('auto-insert').check();
    expect(await page.evaluate(() => (window as unknown as { Office: { context: { roamingSettings: { get(k: string): unknown } } } }).Office.context.roamingSettings.get('chatpro.autoInsert'))).to.equal(true);
    await page.screenshot({ path: artifactPath('outlook-taskpane-no-link.png') });
    await context.close();
  });

  it('serves the manifests for its own public URL, and lets Office frame the pages', async () => {
    const json = await asPiero.get('/addins/outlook/manifest.json');
    expect(json.status).to.equal(200);
    expect(json.body.extensions[0].runtimes[0].code.page).to.equal(`${server.url}/addins/outlook/taskpane.html`);
    expect(await validateUnifiedManifest(json.body)).to.deep.equal([]);
    const xml = await asPiero.get('/addins/outlook/manifest.xml');
    expect(xml.headers.get('content-type')).to.match(/xml/);
    expect(await validateXmlManifest(xml.text, { functionNames: COMMAND_FUNCTIONS })).to.deep.equal([]);
    const zip = await asPiero.raw('GET', '/addins/outlook/app-package.zip');
    expect(zip.headers.get('content-type')).to.equal('application/zip');
    expect(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString()).to.equal('PK');
    const pane = await asPiero.get('/addins/outlook/taskpane.html');
    expect(pane.status).to.equal(200);
    expect(pane.text).to.include('https://appsforoffice.microsoft.com/lib/1/hosted/office.js');
    expect(pane.headers.get('x-frame-options')).to.equal(null);
    expect(pane.headers.get('content-security-policy')).to.match(/frame-ancestors 'self' .*https:\/\/\*\.office\.com/);
    expect((await asPiero.get('/addins/outlook/commands.js')).status).to.equal(200);
  });
});
