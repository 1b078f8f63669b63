import { expect } from 'chai';
import { chatButtonHtml, chatButtonText } from '@chatpro/common/emailButton';
import { fakeChatPro } from '../testing/fakeChatPro.ts';
import { installOffice, mailItem, uninstallOffice } from '../testing/officeMock.ts';
import { OfficeCallError } from './async.ts';
import { DRAFT_CONTEXT_ID, DRAFT_LINK_URL, draftChatLink, insertChatLink } from './compose.ts';
import { findLinkInItem } from './readItem.ts';

const URL_ = 'https://chat.tweppy.example/c/Vq3b7XgH2kLmN9pQrStUvW';

/** The item as the add-in sees it: `Office.context.mailbox.item` of an office-addin-mock Office. */
function officeItem(opts: Parameters<typeof mailItem>[0]) {
  const { item, log } = mailItem(opts);
  const office = installOffice({ context: { mailbox: { item } } });
  return { item: office.context.mailbox.item, log };
}

describe('outlook-addin: compose insertion', () => {
  afterEach(uninstallOffice);

  it('inserts the shared HTML button in an HTML draft, with setSelectedDataAsync as HTML', async () => {
    const { item, log } = officeItem({ bodyType: 'html' });
    expect(await insertChatLink(item, URL_)).to.equal('html');
    expect(log.inserted).to.deep.equal([{ data: chatButtonHtml(URL_), coercionType: 'html' }]);
  });

  it('inserts the plain link in a text draft', async () => {
    const { item, log } = officeItem({ bodyType: 'text' });
    expect(await insertChatLink(item, URL_)).to.equal('text');
    expect(log.inserted).to.deep.equal([{ data: chatButtonText(URL_), coercionType: 'text' }]);
  });

  it('fails with the Office error when getTypeAsync or setSelectedDataAsync answers Failed', async () => {
    for (const call of ['getTypeAsync', 'setSelectedDataAsync']) {
      const { item, log } = officeItem({ fail: [call] });
      const err = await insertChatLink(item, URL_).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, call).to.be.instanceOf(OfficeCallError);
      expect(log.inserted).to.deep.equal([]);
    }
  });

  it('creates the draft chat once and keeps it in the draft custom properties', async () => {
    const { item, log } = officeItem({ subject: '  Preventivo  ', html: '<p>Buongiorno</p>' });
    const chatpro = fakeChatPro();
    expect(await draftChatLink(item, chatpro)).to.equal(URL_);
    expect(chatpro.created).to.deep.equal([{ subject: 'Preventivo', bodyHtml: '<p>Buongiorno</p>' }]);
    expect(log.saved).to.deep.equal({ [DRAFT_CONTEXT_ID]: 'ctx-1', [DRAFT_LINK_URL]: URL_ });
  });

  it('reuses the chat already recorded on the draft', async () => {
    const { item } = officeItem({ properties: { [DRAFT_CONTEXT_ID]: 'ctx-0', [DRAFT_LINK_URL]: `${URL_}x` } });
    const chatpro = fakeChatPro();
    expect(await draftChatLink(item, chatpro)).to.equal(`${URL_}x`);
    expect(chatpro.created).to.deep.equal([]);
  });

  it('names a draft without subject, and fails when the properties cannot be saved', async () => {
    const { item, log } = officeItem({ subject: '', fail: ['saveAsync'] });
    const chatpro = fakeChatPro();
    const err = await draftChatLink(item, chatpro).catch((e: unknown) => e);
    expect(chatpro.created[0]!.subject).to.equal('(senza oggetto)');
    expect(err).to.be.instanceOf(OfficeCallError);
    expect(log.saved).to.equal(null);
  });
});

describe('outlook-addin: reading the open email', () => {
  afterEach(uninstallOffice);

  it('looks in the HTML body first, then in the text body', async () => {
    const html = officeItem({ html: chatButtonHtml(URL_), text: '' });
    expect((await findLinkInItem(html.item, 'https://chat.tweppy.example'))?.url).to.equal(URL_);
    const text = officeItem({ html: '<p>nessun link</p>', text: chatButtonText(URL_) });
    expect((await findLinkInItem(text.item, 'https://chat.tweppy.example'))?.url).to.equal(URL_);
    const none = officeItem({ html: '<p>nessun link</p>', text: 'nessun link' });
    expect(await findLinkInItem(none.item, 'https://chat.tweppy.example')).to.equal(null);
  });

  it('reports a body that Outlook could not read', async () => {
    const { item } = officeItem({ fail: ['body.getAsync'] });
    const err = await findLinkInItem(item, 'https://chat.tweppy.example').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OfficeCallError);
  });
});
