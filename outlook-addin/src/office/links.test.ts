import { expect } from 'chai';
import { chatButtonHtml, chatButtonText } from '@chatpro/common/emailButton';
import { decodeEntities, findChatLink } from './links.ts';
import { publicUrlOf } from './publicUrl.ts';

const SERVER = 'https://chat.tweppy.example';
const TOKEN = 'Vq3b7XgH2kLmN9pQrStUvW';
const OLDER = 'AAAAbbbbCCCCddddEEEEff_-';
const URL_ = `${SERVER}/c/${TOKEN}`;
const safelink = (url: string) =>
  `https://eur03.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}&amp;data=05%7C02%7Cpiero%40tweppy.example%7C5c1e&amp;sdata=abc%3D&amp;reserved=0`;

describe('outlook-addin: link detection', () => {
  it('finds the button of an email sent by ChatPro (Outlook desktop HTML, Word markup around it)', () => {
    const html = `<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style><!-- p.MsoNormal {margin:0cm} --></style></head>
      <body lang="IT"><div class="WordSection1"><p class="MsoNormal">Buongiorno Stefania,<o:p></o:p></p>
      <p class="MsoNormal">le scrivo per il preventivo.<o:p></o:p></p>${chatButtonHtml(URL_)}
      <p class="MsoNormal"><o:p>&nbsp;</o:p></p></div></body></html>`;
    expect(findChatLink(html, SERVER)).to.deep.equal({ token: TOKEN, url: URL_ });
  });

  it('finds the link behind Outlook Safe Links, in the href and in the text', () => {
    const html = `<div><table data-chatpro-button="1"><tr><td><a href="${safelink(URL_)}" originalsrc="${URL_}" shash="x">Clicca qui per discuterne</a></td></tr></table></div>`;
    expect(findChatLink(html, SERVER)?.token).to.equal(TOKEN);
    expect(findChatLink(`Clicca qui per discuterne: ${safelink(URL_).replace(/&amp;/g, '&')}`, SERVER)?.token).to.equal(TOKEN);
  });

  it('finds a bare link in a Gmail HTML body, with entities in the href', () => {
    const html = `<div dir="ltr">Ciao,<div>ecco la chat: <a href="https&#58;&#x2F;&#x2F;chat.tweppy.example/c/${TOKEN}?utm_source=x&amp;b=1" target="_blank">https://chat.tweppy.example/c/${TOKEN}</a></div><div><br></div>-- <br><div dir="ltr" class="gmail_signature">Piero</div></div>`;
    expect(findChatLink(html, SERVER)).to.deep.equal({ token: TOKEN, url: URL_ });
  });

  it('finds the link of a forwarded email (Gmail forward, Google redirect wrapper)', () => {
    const html = `<div dir="ltr">Ti giro questa, guarda la chat.<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>Da: <strong class="gmail_sendername">Piero Fanti</strong> &lt;piero@tweppy.example&gt;<br>Date: lun 3 nov 2025<br>Subject: Preventivo<br></div><br><br>
      <a href="https://www.google.com/url?q=${encodeURIComponent(URL_)}&amp;sa=D&amp;source=editors">Clicca qui per discuterne</a></div></div>`;
    expect(findChatLink(html, SERVER)?.token).to.equal(TOKEN);
  });

  it('prefers the newest link: the reply on top of a quoted older conversation', () => {
    const html = `<div>Nuova discussione qui: <a href="${URL_}">${URL_}</a></div>
      <div id="appendonsend"></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>Da:</b> Piero<br><b>Oggetto:</b> R: preventivo</div>
      <blockquote style="border-left:1px solid #ccc">${chatButtonHtml(`${SERVER}/c/${OLDER}`)}</blockquote>`;
    expect(findChatLink(html, SERVER)?.token).to.equal(TOKEN);
  });

  it('finds the link in text bodies: the button text, Outlook "<url>" links, quoted "> " lines', () => {
    expect(findChatLink(`Buongiorno,\n\n${chatButtonText(URL_)}\n\nPiero`, SERVER)?.token).to.equal(TOKEN);
    expect(findChatLink(`Clicca qui per discuterne <${URL_}>.\r\n`, SERVER)?.token).to.equal(TOKEN);
    const quoted = `Va bene, grazie.\n\nIl giorno lun 3 nov, Piero ha scritto:\n> Buongiorno,\n> ${chatButtonText(URL_)}\n> Piero`;
    expect(findChatLink(quoted, SERVER)?.token).to.equal(TOKEN);
    expect(findChatLink(`(vedi ${URL_}).`, SERVER)?.token).to.equal(TOKEN);
  });

  it('ignores other sites, other paths and malformed tokens', () => {
    expect(findChatLink(`<a href="https://evil.example/c/${TOKEN}">x</a>`, SERVER)).to.equal(null);
    expect(findChatLink(`<a href="https://chat.tweppy.example.evil.example/c/${TOKEN}">x</a>`, SERVER)).to.equal(null);
    expect(findChatLink(`${SERVER}/app/c/${TOKEN}`, SERVER)).to.equal(null);
    expect(findChatLink(`${SERVER}/c/short`, SERVER)).to.equal(null);
    expect(findChatLink(`${SERVER}/c/${TOKEN}%3Cscript`, SERVER)).to.equal(null);
    expect(findChatLink('<p>Nessun link qui.</p>', SERVER)).to.equal(null);
    expect(findChatLink('', SERVER)).to.equal(null);
  });

  it('follows a public URL with a port or a path prefix, and tolerates the host in capitals', () => {
    expect(findChatLink(`http://localhost:3000/c/${TOKEN}`, 'http://localhost:3000')?.url).to.equal(`http://localhost:3000/c/${TOKEN}`);
    expect(findChatLink(`https://CHAT.tweppy.example/chatpro/c/${TOKEN}`, 'https://chat.tweppy.example/chatpro')?.token).to.equal(TOKEN);
    expect(findChatLink(`http://localhost:4000/c/${TOKEN}`, 'http://localhost:3000')).to.equal(null);
  });

  it('decodes the entities that may hide a URL, and leaves unknown ones alone', () => {
    expect(decodeEntities('a&amp;b &#x2F;&#47;&colon; &bogus; &#0;')).to.equal('a&b //: &bogus; &#0;');
  });

  it('derives the public URL from the page the server serves', () => {
    expect(publicUrlOf('https://chat.tweppy.example/addins/outlook/taskpane.html?_host_Info=Outlook')).to.equal('https://chat.tweppy.example');
    expect(publicUrlOf('http://localhost:3000/x')).to.equal('http://localhost:3000');
  });
});
