import { expect } from 'chai';
import { addresses, bodyHtml, findChatLink, header } from './gmailMessage.ts';
import { alternativeMessage, b64url, forwardedMessage, plainMessage } from './testing/gmailFixtures.ts';

const PUBLIC = 'https://chat.example.com';
const TOKEN = 'Ab-_cdEFghIJklMNopQRst';
const envelope = { id: '18c1f0a2b3', subject: 'Preventivo serramenti', from: '"Fanti, Piero" <piero@tweppy.test>', to: 'mario@customer.test, Luca <luca@customer.test>' };

describe('Gmail messages', () => {
  it('finds the ChatPro link in the HTML part of a multipart/alternative message', () => {
    const html = `<p>Buongiorno,</p><a href="https://chat.example.com/c/${TOKEN}" style="color:#fff">Clicca qui per discuterne</a>`;
    const message = alternativeMessage(envelope, 'Buongiorno, (nessun link nella versione testo)', html);
    expect(findChatLink(message, PUBLIC)).to.deep.equal({ token: TOKEN, url: `${PUBLIC}/c/${TOKEN}` });
  });

  it('decodes base64url bodies (the - and _ alphabet), not plain base64', () => {
    const text = `ÿ¿>>?? https://chat.example.com/c/${TOKEN}`;
    expect(b64url(text)).to.match(/[-_]/);
    expect(findChatLink(plainMessage(envelope, text), PUBLIC)?.token).to.equal(TOKEN);
  });

  it('finds a link quoted in a plain-text reply, and in a message forwarded as message/rfc822', () => {
    const quoted = plainMessage(envelope, `Grazie!\n\nIl giorno lun 12 gen 2026 Piero ha scritto:\n> Ecco il link:\n> https://chat.example.com/c/${TOKEN}\n`);
    expect(findChatLink(quoted, PUBLIC)?.token).to.equal(TOKEN);
    const original = alternativeMessage(envelope, 'vedi', `<a href="https:&#x2F;&#x2F;chat.example.com&#x2F;c&#x2F;${TOKEN}">chat</a>`);
    const forwarded = forwardedMessage({ ...envelope, id: 'fwd1', subject: 'Fwd: Preventivo' }, 'Ti inoltro questa email.', original);
    expect(findChatLink(forwarded, PUBLIC)?.token).to.equal(TOKEN);
  });

  it('ignores links to other hosts, too-short tokens and longer look-alike paths', () => {
    const m = (text: string) => plainMessage(envelope, text);
    expect(findChatLink(m(`https://evil.example/c/${TOKEN}`), PUBLIC)).to.equal(null);
    expect(findChatLink(m('https://chat.example.com/c/short'), PUBLIC)).to.equal(null);
    expect(findChatLink(m(`https://chat.example.com.evil.test/c/${TOKEN}`), PUBLIC)).to.equal(null);
    expect(findChatLink(m('nothing here'), PUBLIC)).to.equal(null);
  });

  it('honours a public URL with a path, and matches http as well as https', () => {
    expect(findChatLink(plainMessage(envelope, `http://chat.example.com/chatpro/c/${TOKEN}`), 'https://chat.example.com/chatpro/')).to.deep.equal({
      token: TOKEN,
      url: `https://chat.example.com/chatpro/c/${TOKEN}`,
    });
  });

  it('reads headers, bare addresses and the HTML body (plain text made safe)', () => {
    const message = plainMessage(envelope, 'a < b & c');
    expect(header(message, 'subject')).to.equal('Preventivo serramenti');
    expect(addresses(header(message, 'To'))).to.deep.equal(['mario@customer.test', 'luca@customer.test']);
    expect(addresses(header(message, 'From'))).to.deep.equal(['piero@tweppy.test']);
    expect(bodyHtml(message)).to.equal('<pre style="white-space:pre-wrap">a &lt; b &amp; c</pre>');
    expect(bodyHtml(alternativeMessage(envelope, 'x', '<p>x</p>'))).to.equal('<p>x</p>');
  });
});
