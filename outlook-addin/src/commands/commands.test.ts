import { expect } from 'chai';
import { chatButtonHtml } from '@chatpro/common/emailButton';
import { ApiError } from '@chatpro/web/api';
import { fakeChatPro } from '../testing/fakeChatPro.ts';
import { commandEvent, installOffice, mailItem, uninstallOffice } from '../testing/officeMock.ts';
import { onNewMessageCompose } from './autoInsert.ts';
import { insertChatButton } from './insertButton.ts';

const URL_ = 'https://chat.tweppy.example/c/Vq3b7XgH2kLmN9pQrStUvW';

function officeItem(opts: Parameters<typeof mailItem>[0] = {}) {
  const { item, log } = mailItem(opts);
  const office = installOffice({ context: { mailbox: { item } } });
  return { item: office.context.mailbox.item, log };
}

describe('outlook-addin: compose command "Inserisci Clicca qui per discuterne"', () => {
  afterEach(uninstallOffice);

  it('creates the chat and inserts the button, then completes', async () => {
    const { item, log } = officeItem({ subject: 'Preventivo' });
    const event = commandEvent();
    await insertChatButton(event, { item, chatpro: fakeChatPro(), signIn: () => Promise.reject(new Error('not expected')) });
    expect(log.inserted.map((i) => i.data)).to.deep.equal([chatButtonHtml(URL_)]);
    expect(log.notifications).to.deep.equal([]);
    expect(event.calls).to.equal(1);
  });

  it('signs a signed-out user in through the dialog first', async () => {
    const { item, log } = officeItem();
    let signedIn = false;
    const signedOut = fakeChatPro('anonymous');
    const chatpro = { ...signedOut, me: () => (signedIn ? fakeChatPro().me() : signedOut.me()) };
    const event = commandEvent();
    await insertChatButton(event, {
      item,
      chatpro,
      signIn: async () => {
        signedIn = true;
      },
    });
    expect(log.inserted).to.have.length(1);
    expect(event.calls).to.equal(1);
  });

  const failures: [string, Parameters<typeof mailItem>[0], Partial<ReturnType<typeof fakeChatPro>>, RegExp][] = [
    ['Outlook cannot tell the body type', { fail: ['getTypeAsync'] }, {}, /Outlook non ha completato/],
    ['Outlook refuses the insertion', { fail: ['setSelectedDataAsync'] }, {}, /Outlook non ha completato/],
    ['the custom properties cannot be loaded', { fail: ['loadCustomPropertiesAsync'] }, {}, /Outlook non ha completato/],
    ['the server is unreachable', {}, { me: () => Promise.reject(new TypeError('Failed to fetch')) }, /non è raggiungibile/],
    ['the server refuses the chat', {}, { createEmailChat: () => Promise.reject(new ApiError(403, 'forbidden', 'no')) }, /forbidden/],
  ];
  for (const [what, itemOpts, server, message] of failures) {
    it(`tells the user and still completes when ${what}`, async () => {
      const { item, log } = officeItem(itemOpts);
      const event = commandEvent();
      await insertChatButton(event, { item, chatpro: { ...fakeChatPro(), ...server }, signIn: async () => {} });
      expect(log.notifications).to.have.length(1);
      expect(log.notifications[0]!.type).to.equal('errorMessage');
      expect(log.notifications[0]!.message).to.match(message);
      expect(event.calls).to.equal(1);
    });
  }

  it('completes when the sign-in is cancelled, and when even the notification fails', async () => {
    const { item, log } = officeItem({ fail: ['replaceAsync'] });
    const event = commandEvent();
    await insertChatButton(event, { item, chatpro: fakeChatPro('anonymous'), signIn: async () => {} });
    expect(log.inserted).to.deep.equal([]);
    expect(log.notifications[0]!.message).to.match(/Accedi a ChatPro/);
    expect(event.calls).to.equal(1);
  });
});

describe('outlook-addin: event-based activation on a new message', () => {
  afterEach(uninstallOffice);

  it('does nothing but complete when the preference is off', async () => {
    const { item, log } = officeItem();
    const chatpro = fakeChatPro();
    const event = commandEvent();
    await onNewMessageCompose(event, { item, chatpro, autoInsertEnabled: () => false });
    expect(log.inserted).to.deep.equal([]);
    expect(chatpro.created).to.deep.equal([]);
    expect(event.calls).to.equal(1);
  });

  it('inserts the button when the preference is on', async () => {
    const { item, log } = officeItem({ bodyType: 'text' });
    const event = commandEvent();
    await onNewMessageCompose(event, { item, chatpro: fakeChatPro(), autoInsertEnabled: () => true });
    expect(log.inserted.map((i) => i.coercionType)).to.deep.equal(['text']);
    expect(event.calls).to.equal(1);
  });

  it('asks a signed-out user to sign in from the task pane, and completes', async () => {
    const { item, log } = officeItem();
    const event = commandEvent();
    await onNewMessageCompose(event, { item, chatpro: fakeChatPro('anonymous'), autoInsertEnabled: () => true });
    expect(log.inserted).to.deep.equal([]);
    expect(log.notifications.map((n) => n.type)).to.deep.equal(['informationalMessage']);
    expect(event.calls).to.equal(1);
  });

  it('completes after a Failed insertion, with an error message', async () => {
    const { item, log } = officeItem({ fail: ['setSelectedDataAsync'] });
    const event = commandEvent();
    await onNewMessageCompose(event, { item, chatpro: fakeChatPro(), autoInsertEnabled: () => true });
    expect(log.notifications.map((n) => n.type)).to.deep.equal(['errorMessage']);
    expect(event.calls).to.equal(1);
  });
});
