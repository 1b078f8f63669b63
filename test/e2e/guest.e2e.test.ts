import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { unzip } from '../../server/src/testing/zip.ts';
import { schema, type RunningServer } from '@chatpro/server';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../../server/src/testing/factories.ts';
import { ask, connectSocket, next, type ChatSocket } from '../../server/src/testing/socket.ts';
import { TcpProxy } from '../../server/src/testing/proxy.ts';
import { startTestServer } from '../../server/src/testing/testServer.ts';
import { artifactPath, launchBrowser } from '../support/browser.ts';

const cid = () => randomUUID().replace(/-/g, '');


describe('guest page in Chromium', function () {
  this.timeout(90_000);
  let server: RunningServer;
  let browser: Browser;
  let asPiero: TestClient;
  let pieroSocket: ChatSocket;
  let link: { id: string; token: string; url: string };
  let piero: Awaited<ReturnType<typeof makeUser>>;
  // The browser reaches the server through a proxy that the test can cut: a real network drop.
  const proxy = new TcpProxy();

  before(async function () {
    browser = await launchBrowser();
    const port = await proxy.listen();
    server = await startTestServer({ kind: 'pglite', dataDir: null }, { PUBLIC_URL: `http://localhost:${port}` });
    proxy.setTarget(server.port);
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    piero = await makeUser(db, org, { name: 'Piero Fanti' });
    const context = await makeContext(db, piero, {
      kind: 'email',
      subject: 'Preventivo serramenti 2027',
      bodyHtml: '<p>Buongiorno,</p><p>in allegato il <b>preventivo</b> per la fornitura.</p><script>window.__bodyRan = true</script>',
    });
    // Piero talks to the server directly, so that cutting the guest's network leaves him online.
    const viaProxy = new TestClient(server.url);
    await viaProxy.signIn('internal', piero.email);
    asPiero = viaProxy.via(`http://127.0.0.1:${server.port}`);
    const form = new FormData();
    form.append('file', new Blob(['%PDF-1.4 preventivo']), 'preventivo.pdf');
    await asPiero.post(`/api/contexts/${context.id}/attachments`, form);
    link = (await asPiero.post(`/api/contexts/${context.id}/links`, { showBody: true })).body;
    pieroSocket = await connectSocket(asPiero);
  });
  after(async () => {
    pieroSocket?.disconnect();
    await browser?.close();
    await server?.close();
    await proxy.close();
  });

  async function signInAsGuest(page: Page, email: string, name: string) {
    await page.goto(link.url);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('subject').textContent()).to.equal('Preventivo serramenti 2027');
    await page.click('[data-provider="dev"]');
    await page.fill('#any-email input[name="email"]', email);
    await page.fill('#any-email input[name="name"]', name);
    await page.click('#any-email button[type="submit"]');
    await page.waitForURL(link.url);
    await page.getByTestId('composer').waitFor();
  }

  it('signs in, reads the body, chats live with attachments, survives a network drop, exports', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signInAsGuest(page, 'stefania@customer.test', 'Stefania Nardu');

    // The body section, and back to the chat.
    await page.getByTestId('menu').click();
    await page.getByTestId('go-body').click();
    const frame = page.frameLocator('iframe.body-frame');
    await frame.locator('text=preventivo').first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __bodyRan?: boolean }).__bodyRan)).to.equal(undefined);
    expect(await page.locator('.body-files a').textContent()).to.include('preventivo.pdf');
    await page.screenshot({ path: artifactPath('guest-body-desktop.png') });
    await page.getByTestId('menu').click();
    await page.getByTestId('go-chat').click();

    // The first message, with an attachment; Piero receives it live and opens the group.
    const groupMade = next(pieroSocket, 'group:changed');
    const received = next(pieroSocket, 'notification:new');
    await page.getByTestId('file-input').setInputFiles({ name: 'misure.txt', mimeType: 'text/plain', buffer: Buffer.from('finestra 120x140') });
    await page.fill('.composer textarea', 'Buongiorno, allego le misure');
    await page.click('.composer button[type="submit"]');
    const group = await groupMade;
    const notification = await received;
    expect(notification.message.body).to.equal('Buongiorno, allego le misure');
    const joined = await ask(pieroSocket, 'chat:join', { groupId: group.id, sinceSeq: 0 });
    expect(joined.messages[0].attachments[0].fileName).to.equal('misure.txt');
    const file = await asPiero.get(`/api/attachments/${joined.messages[0].attachments[0].id}`);
    expect(file.text).to.equal('finestra 120x140');

    // Piero replies, with script in the text: the guest sees it without reloading, as text.
    await ask(pieroSocket, 'message:send', { groupId: group.id, clientId: cid(), body: 'Grazie! <img src=x onerror="window.__xss=1">' });
    await page.locator('.bubble.theirs .text', { hasText: 'Grazie!' }).waitFor();
    expect(await page.locator('.bubble.theirs .text').last().textContent()).to.equal('Grazie! <img src=x onerror="window.__xss=1">');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).to.equal(undefined);

    // The network drops: Piero writes meanwhile, the guest writes too; nothing lost, nothing twice.
    proxy.setDown(true);
    proxy.cut();
    await page.locator('.dot.offline').waitFor();
    await ask(pieroSocket, 'message:send', { groupId: group.id, clientId: cid(), body: 'Mentre eri offline 1' });
    await ask(pieroSocket, 'message:send', { groupId: group.id, clientId: cid(), body: 'Mentre eri offline 2' });
    await page.fill('.composer textarea', 'Scritto senza rete');
    await page.click('.composer button[type="submit"]');
    await page.getByTestId('pending').waitFor();
    await page.screenshot({ path: artifactPath('guest-offline-desktop.png') });
    const fromGuest = next(pieroSocket, 'message:new', (m: { body: string }) => m.body === 'Scritto senza rete', 30_000);
    proxy.setDown(false);
    await fromGuest;
    await page.locator('.bubble .text', { hasText: 'Mentre eri offline 2' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="pending"]').waitFor({ state: 'detached' });
    const texts = await page.locator('.bubble .text').allTextContents();
    expect(texts).to.deep.equal([
      'Buongiorno, allego le misure',
      'Grazie! <img src=x onerror="window.__xss=1">',
      'Mentre eri offline 1',
      'Mentre eri offline 2',
      'Scritto senza rete',
    ]);
    const stored = await server.database.db.select().from(schema.messages).where(eq(schema.messages.groupId, group.id));
    expect(stored.map((m) => m.seq).sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
    await page.screenshot({ path: artifactPath('guest-chat-desktop.png') });

    // Export from the menu: the zip holds the chat as text and the attachment's bytes.
    await page.getByTestId('menu').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const zip = await unzip(await readFile((await download.path())!));
    const chat = zip.get('chat.txt')!.toString('utf8');
    expect(chat).to.include('Stefania Nardu: Buongiorno, allego le misure [allegati: attachments/misure.txt]');
    expect(chat).to.include('Piero Fanti: Mentre eri offline 2');
    expect(zip.get('attachments/misure.txt')!.toString()).to.equal('finestra 120x140');
    expect(zip.get('attachments/preventivo.pdf')!.toString()).to.equal('%PDF-1.4 preventivo');

    // Phone size.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: artifactPath('guest-chat-phone.png') });
    expect(pageErrors).to.deep.equal([]);

    // Logout returns to the sign-in screen.
    await page.getByTestId('menu').click();
    await page.getByTestId('logout').click();
    await page.getByTestId('sign-in').waitFor();
    await context.close();
  });

  it('shows "link non valido" for an unknown link and "chat chiusa" for an expired one', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    page.on('websocket', (ws) => {
      logs.push(`ws open ${ws.url()}`);
      ws.on('framereceived', (f) => logs.push(`ws < ${String(f.payload).slice(0, 200)}`));
      ws.on('framesent', (f) => logs.push(`ws > ${String(f.payload).slice(0, 200)}`));
      ws.on('close', () => logs.push('ws close'));
    });
    await page.goto(`${server.url}/c/${'x'.repeat(24)}`);
    await page.getByTestId('invalid-link').waitFor();
    expect(await page.locator('h1').textContent()).to.equal('Link non valido');
    await page.screenshot({ path: artifactPath('guest-invalid-phone.png') });

    await signInAsGuest(page, 'closing@customer.test', 'Cliente Chiuso');
    await page.fill('.composer textarea', 'Prima della chiusura');
    await page.click('.composer button[type="submit"]');
    // Stored and acknowledged, not merely pending: only then may the link close.
    await page.locator('[data-testid="message"] .text', { hasText: 'Prima della chiusura' }).waitFor();
    await asPiero.patch(`/api/links/${link.id}`, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    await page.reload();
    await page.getByTestId('closed').waitFor();
    expect(await page.getByTestId('closed').textContent()).to.include('Chat chiusa');
    await page
      .locator('.bubble .text')
      .first()
      .waitFor()
      .catch(async (err: unknown) => {
        await page.screenshot({ path: artifactPath('failure-closed.png') });
        console.log(logs.join('\n'));
        throw err;
      });
    expect(await page.locator('.bubble .text').allTextContents()).to.deep.equal(['Prima della chiusura']);
    expect(await page.locator('.composer').count()).to.equal(0);
    await page.screenshot({ path: artifactPath('guest-closed-phone.png') });
    await asPiero.patch(`/api/links/${link.id}`, { expiresAt: '2099-01-01' });
    await context.close();
  });
});
