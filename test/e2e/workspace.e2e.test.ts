import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { RunningServer } from '@chatpro/server';
import { TestClient } from '../../server/src/testing/client.ts';
import { makeContext, makeOrg, makeTemplate, makeUser } from '../../server/src/testing/factories.ts';
import { startTestServer } from '../../server/src/testing/testServer.ts';
import { artifactPath, launchBrowser } from '../support/browser.ts';

const cid = () => randomUUID().replace(/-/g, '');

describe('workspace in Chromium', function () {
  this.timeout(90_000);
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let contextId: string;
  let templateId: string;

  before(async function () {
    browser = await launchBrowser();
    server = await startTestServer({ kind: 'pglite', dataDir: null });
    const db = server.database.db;
    const org = await makeOrg(db, { name: 'Tweppy Srl' });
    const piero = await makeUser(db, org, { name: 'Piero Fanti' });
    const daniele = await makeUser(db, org, { name: 'Daniele Pezzini' });
    const ctx = await makeContext(db, piero, { kind: 'email', subject: 'Preventivo serramenti', bodyHtml: '<p>Il preventivo richiesto.</p>' }, [piero.id, daniele.id]);
    await makeContext(db, piero, { kind: 'note', subject: 'Verbale riunione', lastActivityAt: new Date(Date.now() - 86400000) });
    contextId = ctx.id;
    templateId = (await makeTemplate(db, piero)).id;
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    await page.goto(`${server.url}/app`);
    await page.click('[data-provider="dev"]');
    await page.click(`button[data-email="${piero.email}"]`);
    await page.getByTestId('message-list').waitFor();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('activates the external conversation, copies the link, and closes it by setting the expiry to today', async () => {
    await page.locator(`[data-testid="context-item"][data-id="${contextId}"] a`).click();
    await page.getByTestId('context-view').waitFor();
    expect(await page.getByTestId('context-subject').textContent()).to.equal('Preventivo serramenti');
    expect(await page.locator('.context-header [data-testid="lock"]').getAttribute('data-active')).to.equal('false');
    await page.getByTestId('actions').click();
    await page.getByTestId('activate-external').click();
    await page.getByTestId('confirm-activate').click();
    await page.getByTestId('link-settings').waitFor();
    await page.locator('.context-header [data-testid="lock"][data-active="true"]').waitFor();
    const url = await page.getByTestId('link-url').inputValue();
    expect(url).to.match(new RegExp(`^${server.url}/c/[A-Za-z0-9_-]{24}$`));
    await page.getByTestId('copy-link').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).to.equal(url);
    expect(await page.getByTestId('whatsapp').getAttribute('href')).to.equal(
      `https://web.whatsapp.com/send?text=${encodeURIComponent(`Preventivo serramenti ${url}`)}`,
    );
    // The message list shows the green lock too.
    await page.locator(`[data-testid="context-item"][data-id="${contextId}"] [data-testid="lock"][data-active="true"]`).waitFor();
    await page.screenshot({ path: artifactPath('workspace-settings.png') });

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date());
    await page.getByTestId('link-expiry').fill(today);
    await page.getByTestId('save-link').click();
    await page.locator('.context-header [data-testid="lock"][data-active="false"]').waitFor();
    // The audit message names who changed what, in the public discussion.
    await page.locator('.system', { hasText: 'Piero Fanti ha modificato la conversazione esterna' }).waitFor();
    expect(await page.locator('.system').last().textContent()).to.include('(chat chiusa)');
    await page.screenshot({ path: artifactPath('workspace-closed.png') });
  });

  it('composes a new email with "Gestisci chat": the button with the link lands in its body', async () => {
    await page.getByTestId('new').click();
    await page.getByTestId('new-context').waitFor();
    await page.getByTestId('manage-chat').click();
    await page.getByTestId('chat-on').check();
    await page.getByTestId('new-subject').fill('Offerta nuova <script>x</script>');
    await page.getByTestId('new-body').fill('Buongiorno,\nle inviamo la nostra offerta.');
    await page.screenshot({ path: artifactPath('workspace-new-email.png') });
    await page.getByTestId('save-context').click();
    await page.getByTestId('link-settings').waitFor();
    const url = await page.getByTestId('link-url').inputValue();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const body = (await page.evaluate((cid) => fetch(`/api/contexts/${cid}`).then((r) => r.json()), id)) as { bodyHtml: string; subject: string };
    expect(body.subject).to.equal('Offerta nuova <script>x</script>');
    expect(body.bodyHtml).to.include('<p>le inviamo la nostra offerta.</p>');
    expect(body.bodyHtml).to.include(`href="${url}"`).and.include('Clicca qui per discuterne');
    expect(await page.getByTestId('context-subject').textContent()).to.equal('Offerta nuova <script>x</script>');
  });

  it('a guest through a template link creates a note that appears live in the message list', async () => {
    await page.goto(`${server.url}/app/templates/${templateId}`);
    await page.getByTestId('template-preview').waitFor();
    await page.getByTestId('generate').click();
    await page.getByTestId('snippet').waitFor();
    const url = await page.getByTestId('link-url').inputValue();
    expect(await page.getByTestId('snippet').inputValue()).to.include(`href="${url}"`);
    await page.screenshot({ path: artifactPath('workspace-template.png') });
    const before = await page.getByTestId('context-item').count();
    const token = url.split('/c/')[1]!;
    const guest = new TestClient(server.url);
    await guest.signIn('external', 'cliente@sito.test', { name: 'Cliente dal sito' });
    const sent = await guest.post(`/api/guest/${token}/messages`, { clientId: cid(), body: 'Vorrei informazioni sui vostri servizi' });
    expect(sent.status).to.equal(201);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="context-item"]').length === n + 1, before);
    const first = page.getByTestId('context-item').first();
    expect(await first.locator('.subject').textContent()).to.equal('Richiesta da sito');
    expect(await first.locator('.last').textContent()).to.include('Cliente dal sito: Vorrei informazioni');
    await first.getByTestId('badge').waitFor();
    await page.getByTestId('bell').click();
    await page.getByTestId('notifications').waitFor();
    await page.screenshot({ path: artifactPath('workspace-message-list.png') });
    // Opening it shows the guest's group with the message, and reads the badge.
    await page.getByTestId('notifications').locator('li').first().locator('button').click();
    await page.getByTestId('context-view').waitFor();
    await page.locator('[data-testid="group-tab"][data-kind="external"]').click();
    await page.locator('.bubble .text', { hasText: 'Vorrei informazioni sui vostri servizi' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="context-item"] [data-testid="badge"]'));
    await page.screenshot({ path: artifactPath('workspace-context.png') });
  });
});
