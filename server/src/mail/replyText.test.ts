import { expect } from 'chai';
import { stripReply } from './replyText.ts';

describe('reply text: quoted history and signatures removed', () => {
  it('Gmail (Italian), with the attribution wrapped over two lines', () => {
    const body = [
      'Va bene, ci vediamo giovedì alle 10.',
      '',
      'Grazie,',
      'Mario',
      '',
      'Il giorno mar 14 gen 2025 alle ore 10:32 Piero Fanti via ChatPro <',
      'reply+0123456789abcdef0123456789abcdef.0123456789abcdef0123@reply.tweppy.test> ha',
      'scritto:',
      '',
      '> Buongiorno Mario,',
      '> le confermo il preventivo.',
      '>',
    ].join('\r\n');
    expect(stripReply(body)).to.equal('Va bene, ci vediamo giovedì alle 10.\n\nGrazie,\nMario');
  });

  it('Gmail (English) with a "-- " signature', () => {
    const body = [
      'Sounds good.',
      '',
      '-- ',
      'Mario Rossi',
      'Rossi Serramenti S.r.l. | +39 055 123456',
      '',
      'On Tue, Jan 14, 2025 at 10:32 AM ChatPro <chatpro@tweppy.test> wrote:',
      '> Hello',
    ].join('\n');
    expect(stripReply(body)).to.equal('Sounds good.');
  });

  it('Outlook desktop (English) with "-----Original Message-----"', () => {
    const body = [
      'Perfect, thanks.',
      '',
      'Mario',
      '',
      '-----Original Message-----',
      'From: ChatPro <chatpro@tweppy.test>',
      'Sent: Tuesday, January 14, 2025 10:32 AM',
      'To: Mario Rossi <mario@customer.test>',
      'Subject: Piero Fanti ti ha scritto',
      '',
      'Buongiorno Mario',
    ].join('\r\n');
    expect(stripReply(body)).to.equal('Perfect, thanks.\n\nMario');
  });

  it('Outlook on the web (Italian): rule, then Da/Inviato/A/Oggetto, and the mobile line', () => {
    const body = [
      'Sì, confermo l’ordine.',
      '',
      'Scarica Outlook per iOS',
      '________________________________',
      'Da: ChatPro <chatpro@tweppy.test>',
      'Inviato: martedì 14 gennaio 2025 10:32',
      'A: Mario Rossi <mario@customer.test>',
      'Oggetto: Nuovi messaggi',
      '',
      'Testo precedente',
    ].join('\r\n');
    expect(stripReply(body)).to.equal('Sì, confermo l’ordine.');
  });

  it('Outlook without a rule: a From/Sent header block', () => {
    const body = ['Ok per me.', '', 'From: Piero Fanti <piero@tweppy.test>', 'Sent: 14 January 2025 10:32', 'Subject: re'].join('\n');
    expect(stripReply(body)).to.equal('Ok per me.');
  });

  it('Apple Mail (Italian): "Inviato da iPhone" and a quoted attribution', () => {
    const body = [
      'Arrivo alle 11.',
      '',
      'Inviato da iPhone',
      '',
      '> Il giorno 14 gen 2025, alle ore 10:32, Piero Fanti <reply+abc.def@reply.tweppy.test> ha scritto:',
      '> ',
      '> Ci vediamo domani?',
    ].join('\n');
    expect(stripReply(body)).to.equal('Arrivo alle 11.');
  });

  it('Apple Mail (English) "On … at …, … wrote:" unquoted, and "Sent from my iPhone"', () => {
    const body = ['Yes.', '', 'Sent from my iPhone', '', 'On 14 Jan 2025, at 10:32, Piero Fanti <piero@tweppy.test> wrote:', '', '> ok?'].join('\n');
    expect(stripReply(body)).to.equal('Yes.');
  });

  it('keeps inline answers between quoted lines and plain text without quotes', () => {
    expect(stripReply('> Quante finestre?\n10 finestre\n> Di che colore?\nBianche\n')).to.equal('10 finestre\nBianche');
    expect(stripReply('Il preventivo va bene.\nIl ritiro è lunedì.')).to.equal('Il preventivo va bene.\nIl ritiro è lunedì.');
    expect(stripReply('\n\n> only quoted\n')).to.equal('');
  });
});
