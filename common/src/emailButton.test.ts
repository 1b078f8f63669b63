import { expect } from 'chai';
import { chatButtonHtml } from './emailButton.ts';

describe('the "Clicca qui per discuterne" button', () => {
  it('is a table with inline styles and the link, with no script, class or style block', () => {
    const html = chatButtonHtml('https://chat.example/c/AbCdEfGhIjKlMnOpQrStUv');
    expect(html).to.match(/^<table role="presentation"[^>]*>/);
    expect(html).to.include('href="https://chat.example/c/AbCdEfGhIjKlMnOpQrStUv"');
    expect(html).to.include('>Clicca qui per discuterne</a>');
    expect(html).to.include('bgcolor="#1a73e8"');
    expect(html).to.not.match(/<script|<style|class=|javascript:/i);
  });

  it('escapes the link and the label', () => {
    const html = chatButtonHtml('https://chat.example/c/x?a=1&b="2"', '<b>Parliamone</b> & "poi"');
    expect(html).to.include('href="https://chat.example/c/x?a=1&amp;b=%222%22"');
    expect(html).to.include('&lt;b&gt;Parliamone&lt;/b&gt; &amp; &quot;poi&quot;</a>');
  });

  it('refuses anything but an absolute http(s) URL', () => {
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>', '/c/relative', 'mailto:x@y.z', '']) {
      expect(() => chatButtonHtml(bad), bad).to.throw(TypeError);
    }
  });
});
