import { expect } from 'chai';
import { contextEmail, guestDigestEmail, headerText, invitationEmail, unsubscribePage } from './templates.ts';

const EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>&"\'';

describe('email templates', () => {
  const digest = {
    guestName: EVIL,
    organisation: `Org ${EVIL}`,
    subject: `Preventivo ${EVIL}`,
    chatUrl: 'https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx',
    unsubscribeUrl: 'https://chat.tweppy.test/mail/unsubscribe?token=abc.def',
    replyByEmail: true,
    messages: [
      { authorName: `Piero ${EVIL}`, body: `Prima riga\n${EVIL}`, createdAt: new Date('2025-01-14T09:32:00Z'), attachments: [`file${EVIL}.pdf`] },
      { authorName: 'Daniele Pezzini', body: 'Seconda', createdAt: new Date('2025-01-14T09:33:00Z'), attachments: [] },
    ],
    total: 12,
  };

  it('escapes every external string of the offline notification', () => {
    const { subject, html, text } = guestDigestEmail(digest);
    expect(html).to.not.include('<script');
    expect(html).to.not.include('<img');
    expect(html).to.include('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).to.include('Prima riga<br>&lt;script&gt;');
    expect(html).to.include('file&lt;script&gt;');
    expect(html).to.include('href="https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx"');
    expect(html).to.include('href="https://chat.tweppy.test/mail/unsubscribe?token=abc.def"');
    expect(html).to.include('…e 10 messaggi precedenti.');
    expect(html).to.include('14/01/2025, 10:32');
    expect(subject).to.equal(`12 nuovi messaggi da Piero ${EVIL} e Daniele Pezzini su «Preventivo ${EVIL}»`);
    expect(text).to.include('Apri la conversazione: https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx');
    expect(text).to.include('Puoi anche rispondere a questa email');
    expect(text).to.include('https://chat.tweppy.test/mail/unsubscribe?token=abc.def');
  });

  it('speaks of one sender and one message, and says when replies do not reach the chat', () => {
    const one = guestDigestEmail({ ...digest, guestName: 'Mario', messages: [digest.messages[1]!], total: 1, replyByEmail: false });
    expect(one.subject).to.equal(`Daniele Pezzini ti ha scritto su «Preventivo ${EVIL}»`);
    expect(one.text).to.include('le risposte a questa email non arrivano nella chat');
  });

  it('puts the chat button into the context email once, with a text part that carries the link', () => {
    const url = 'https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx';
    const { html, text, subject } = contextEmail({ subject: 'Offerta\r\nBcc: x@evil.test', bodyHtml: '<p>Buongiorno,<br>ecco l’offerta.</p>', chatUrl: url });
    expect(subject).to.equal('Offerta Bcc: x@evil.test');
    expect(html).to.include('<p>Buongiorno,<br>ecco l’offerta.</p>');
    expect(html.match(/Clicca qui per discuterne/g)).to.have.length(1);
    expect(html).to.include(`href="${url}"`);
    expect(html).to.match(/<table role="presentation"/);
    expect(html).to.not.match(/<script|<style/i);
    expect(text).to.equal(`Buongiorno,\necco l’offerta.\n\nClicca qui per discuterne: ${url}`);
    // A body that carries the button already does not get a second one.
    const again = contextEmail({ subject: 's', bodyHtml: html, chatUrl: url });
    expect(again.html.match(/Clicca qui per discuterne/g)).to.have.length(1);
    const plain = contextEmail({ subject: 's', bodyHtml: '<p>Solo testo</p>', chatUrl: null });
    expect(plain.html).to.not.include('Clicca qui');
    expect(plain.text).to.equal('Solo testo');
  });

  it('writes the invitation in the event’s time zone, escaped, with the chat link', () => {
    const { html, text, subject } = invitationEmail({
      subject: `Sopralluogo ${EVIL}`,
      bodyHtml: '',
      start: new Date('2025-03-30T08:00:00Z'),
      end: new Date('2025-03-30T09:00:00Z'),
      timeZone: 'Europe/Rome',
      location: `Via Roma 1 ${EVIL}`,
      organizerName: 'Piero Fanti',
      chatUrl: 'https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx',
    });
    expect(subject).to.equal(`Invito: Sopralluogo ${EVIL}`);
    expect(html).to.not.include('<script');
    // 30 March 2025 is the first day of summer time in Rome: 08:00Z is 10:00 there.
    expect(text).to.include('30/03/2025, 10:00 – 30/03/2025, 11:00 (Europe/Rome)');
    expect(text).to.include('Clicca qui per discuterne: https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx');
  });

  it('builds the unsubscribe pages with the subject escaped and a form that posts the token', () => {
    const confirm = unsubscribePage({ kind: 'confirm', subject: EVIL, token: 'abc.def' });
    expect(confirm).to.include('<form method="post" action="?token=abc.def">');
    expect(confirm).to.not.include('<script>');
    expect(unsubscribePage({ kind: 'done', subject: 'x' })).to.include('Iscrizione annullata');
    expect(unsubscribePage({ kind: 'invalid' })).to.include('Link non valido');
  });

  it('keeps header values on one line', () => {
    expect(headerText('a\r\nb\tc\u0000d')).to.equal('a b c d');
  });
});
