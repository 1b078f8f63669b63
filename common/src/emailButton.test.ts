import { expect } from 'chai';
import { chatButtonHtml } from './emailButton.ts';

describe('chatButtonHtml', () => {
  it('is a one-cell table with inline styles linking to the URL, and no script', () => {
    const html = chatButtonHtml('https://chat.example.com/c/AbCdEfGhIjKlMnOpQrStUv');
    expect(html).to.match(/^<table role="presentation"/);
    expect(html).to.include('<a href="https://chat.example.com/c/AbCdEfGhIjKlMnOpQrStUv" target="_blank" rel="noopener" style="');
    expect(html).to.include('>Clicca qui per discuterne</a>');
    expect(html).to.not.match(/<script|<style|class=|onclick/i);
  });

  it('escapes the URL and the label', () => {
    const html = chatButtonHtml('https://chat.example.com/c/x?a=1&b="2"', '<b>Discuss</b> & "go"');
    expect(html).to.include('href="https://chat.example.com/c/x?a=1&amp;b=%222%22"');
    expect(html).to.include('>&lt;b&gt;Discuss&lt;/b&gt; &amp; &quot;go&quot;</a>');
  });

  it('refuses URLs that are not http(s)', () => {
    expect(() => chatButtonHtml('javascript:alert(1)')).to.throw(TypeError);
    expect(() => chatButtonHtml('not a url')).to.throw(TypeError);
  });
});
