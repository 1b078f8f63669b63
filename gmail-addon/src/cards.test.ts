import { expect } from 'chai';
import type { AddonConversation } from '@chatpro/common';
import { composeCard, conversationCard, insertIntoDraft, noLinkCard, pushCard, updateCard, type CardContext } from './cards/build.ts';

const endpoints = {
  refresh: 'https://chat.example.com/addons/gmail/refresh',
  send: 'https://chat.example.com/addons/gmail/send',
  start: 'https://chat.example.com/addons/gmail/start',
  insertButton: 'https://chat.example.com/addons/gmail/insert-button',
};
const it_: CardContext = { locale: 'it', timeZone: 'Europe/Rome', endpoints };
const en: CardContext = { locale: 'en', timeZone: 'Europe/London', endpoints };
const TOKEN = 'Ab-_cdEFghIJklMNopQRst';

const conversation: Extract<AddonConversation, { status: 'ok' }> = {
  status: 'ok',
  subject: 'Preventivo <serramenti>',
  url: `https://chat.example.com/c/${TOKEN}`,
  token: TOKEN,
  active: true,
  expiresAt: '2026-02-11T23:00:00.000Z',
  writable: true,
  messages: [
    { id: 'm1', authorKind: 'internal', authorName: 'Piero Fanti', mine: false, body: 'Ecco il preventivo\nA presto', attachmentNames: ['preventivo.pdf', 'foto.jpg'], createdAt: '2026-01-12T09:05:00.000Z' },
    { id: 'm2', authorKind: 'external', authorName: 'Mario Rossi', mine: true, body: 'Grazie <3 & ciao', attachmentNames: [], createdAt: '2026-01-12T09:30:00.000Z' },
  ],
};

const send = (clientId: string, label = 'Invia') => ({
  text: label,
  type: 'FILLED',
  onClick: { action: { function: endpoints.send, parameters: [{ key: 'token', value: TOKEN }, { key: 'clientId', value: clientId }], loadIndicator: 'SPINNER' } },
});
const footer = (open = 'Apri chat completa', refresh = 'Aggiorna') => ({
  widgets: [
    {
      buttonList: {
        buttons: [
          { text: open, onClick: { openLink: { url: `https://chat.example.com/c/${TOKEN}`, openAs: 'FULL_SIZE', onClose: 'NOTHING' } } },
          { text: refresh, onClick: { action: { function: endpoints.refresh, parameters: [{ key: 'token', value: TOKEN }], loadIndicator: 'SPINNER' } } },
        ],
      },
    },
  ],
});

describe('Gmail add-on cards', () => {
  it('shows the conversation in Italian: subject, messages with author, time, text and attachments, Invia, Apri chat completa, Aggiorna', () => {
    expect(conversationCard(conversation, it_, 'client-123')).to.deep.equal({
      name: 'conversation',
      header: { title: 'Preventivo &lt;serramenti&gt;', subtitle: 'Chat attiva fino al 12/02/2026' },
      sections: [
        {
          widgets: [
            { decoratedText: { topLabel: 'Piero Fanti · 12/01/2026, 10:05', text: 'Ecco il preventivo<br>A presto', wrapText: true, bottomLabel: 'Allegati: preventivo.pdf, foto.jpg' } },
            { decoratedText: { topLabel: 'Tu · 12/01/2026, 10:30', text: 'Grazie &lt;3 &amp; ciao', wrapText: true } },
          ],
        },
        { widgets: [{ textInput: { name: 'message', label: 'Messaggio', type: 'MULTIPLE_LINE' } }, { buttonList: { buttons: [send('client-123')] } }] },
        footer(),
      ],
    });
  });

  it('speaks English for an English locale, in the user’s time zone', () => {
    const card = conversationCard({ ...conversation, messages: [] }, en, 'c2');
    expect(card.header).to.deep.equal({ title: 'Preventivo &lt;serramenti&gt;', subtitle: 'Chat open until 11/02/2026' });
    expect(card.sections![0]).to.deep.equal({ widgets: [{ textParagraph: { text: 'No messages yet: write the first one.' } }] });
    expect(card.sections![1]!.widgets![1]).to.deep.equal({ buttonList: { buttons: [send('c2', 'Send')] } });
    expect(card.sections![2]).to.deep.equal(footer('Open full chat', 'Refresh'));
  });

  it('makes an expired chat read-only with a notice', () => {
    const card = conversationCard({ ...conversation, active: false, writable: false, expiresAt: '2026-01-19T23:00:00.000Z' }, it_, 'c3');
    expect(card.header!.subtitle).to.equal('Chat chiusa');
    expect(card.sections![1]).to.deep.equal({
      widgets: [{ textParagraph: { text: 'Questa chat è chiusa: il link è scaduto il 20/01/2026. Puoi leggere i messaggi ma non scriverne di nuovi.' } }],
    });
    expect(JSON.stringify(card)).to.not.include('textInput');
  });

  it('says when an email has no link, offering internal users to start a chat', () => {
    expect(noLinkCard(it_, false)).to.deep.equal({
      name: 'no-link',
      header: { title: 'Nessuna chat ChatPro' },
      sections: [{ widgets: [{ textParagraph: { text: 'Questa email non contiene un link ChatPro.' } }] }],
    });
    expect(noLinkCard(it_, true).sections![0]!.widgets!.slice(1)).to.deep.equal([
      { textParagraph: { text: 'Puoi avviare una chat su questa email: i destinatari la apriranno dal link.' } },
      { buttonList: { buttons: [{ text: 'Avvia chat su questa email', type: 'FILLED', onClick: { action: { function: endpoints.start, parameters: [], loadIndicator: 'SPINNER' } } }] } },
    ]);
  });

  it('offers the compose button to internal users only', () => {
    expect(composeCard(it_, true, 'Clicca qui per discuterne')).to.deep.equal({
      name: 'compose',
      header: { title: 'ChatPro' },
      sections: [
        {
          widgets: [
            { textParagraph: { text: 'Inserisci nella bozza il pulsante che apre una chat ChatPro su questa email.' } },
            {
              buttonList: {
                buttons: [
                  { text: 'Inserisci "Clicca qui per discuterne"', type: 'FILLED', onClick: { action: { function: endpoints.insertButton, parameters: [], loadIndicator: 'SPINNER' } } },
                ],
              },
            },
          ],
        },
      ],
    });
    expect(JSON.stringify(composeCard(it_, false, 'x'))).to.include('Solo i membri').and.not.include('insert-button');
  });

  it('wraps cards and draft updates in the add-on response envelopes', () => {
    const card = noLinkCard(it_, false);
    expect(pushCard(card)).to.deep.equal({ action: { navigations: [{ pushCard: card }] } });
    expect(updateCard(card, 'Fatto')).to.deep.equal({ renderActions: { action: { navigations: [{ updateCard: card }], notification: { text: 'Fatto' } } } });
    expect(insertIntoDraft('<table></table>')).to.deep.equal({
      renderActions: {
        hostAppAction: {
          gmailAction: { updateDraftActionMarkup: { updateBody: { insertContents: [{ content: '<table></table>', contentType: 'MUTABLE_HTML' }], type: 'IN_PLACE_INSERT' } } },
        },
      },
    });
  });
});
