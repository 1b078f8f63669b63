import { expect } from 'chai';
import { chatButtonHtml, chatButtonText } from './emailButton.ts';

describe('chat button markup', () => {
  it('is a table-based link with inline styles, escaped, and no script', () => {
    const html = chatButtonHtml('https://chat.example.com/c/AbC?x=1&y="2"');
    expect(html).to.include('href="https://chat.example.com/c/AbC?x=1&amp;y=%222%22"');
    expect(html).to.include('>Clicca qui per discuterne</a>');
    expect(html).to.match(/^<table role="presentation"/);
    expect(html).to.not.match(/<script|on\w+=/i);
    expect(chatButtonHtml('https://x.test/c/t', '<b>Discuss</b>')).to.include('&lt;b&gt;Discuss&lt;/b&gt;');
  });
  it('refuses a link that is not http(s)', () => {
    expect(() => chatButtonHtml('javascript:alert(1)')).to.throw(/http/);
    expect(() => chatButtonText('nope')).to.throw(/URL/);
    expect(chatButtonText('https://x.test/c/t')).to.equal('Clicca qui per discuterne: https://x.test/c/t');
  });
});
