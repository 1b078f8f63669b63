import { expect } from 'chai';
import ICAL from 'ical.js';
import { escapeText, foldLine, invitationIcs } from './ics.ts';

function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const tz of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(tz);
  return { calendar, event: new ICAL.Event(calendar.getFirstSubcomponent('vevent')!) };
}

describe('iCalendar invitations', () => {
  const base = {
    uid: 'ctx-1@chat.tweppy.test',
    sequence: 3,
    timeZone: 'Europe/Rome',
    summary: 'Sopralluogo; cantiere, via Roma',
    description: 'Clicca qui per discuterne: https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx\n\nPortare il metro.',
    location: 'Via Roma 1, Firenze',
    url: 'https://chat.tweppy.test/c/AbCdEfGhIjKlMnOpQrStUvWx',
    organizer: { name: 'Piero "il capo" Fanti', email: 'piero@tweppy.test' },
    attendees: ['mario@customer.test', 'anna@customer.test'],
    stamp: new Date('2025-01-01T00:00:00Z'),
  };

  it('is a REQUEST with a Europe/Rome VTIMEZONE that a parser reads back to the same instants, across DST', () => {
    for (const [start, end, localStart] of [
      ['2025-01-14T09:00:00Z', '2025-01-14T10:30:00Z', '2025-01-14T10:00:00'], // winter, +01:00
      ['2025-07-01T08:00:00Z', '2025-07-01T09:00:00Z', '2025-07-01T10:00:00'], // summer, +02:00
      ['2025-03-29T09:00:00Z', '2025-03-31T08:00:00Z', '2025-03-29T10:00:00'], // across the change
    ] as const) {
      const ics = invitationIcs({ ...base, start: new Date(start), end: new Date(end) });
      expect(ics).to.include('METHOD:REQUEST');
      expect(ics).to.include('BEGIN:VTIMEZONE\r\nTZID:Europe/Rome');
      expect(ics).to.include(`DTSTART;TZID=Europe/Rome:${localStart.replace(/[-:]/g, '')}`);
      const { calendar, event } = parse(ics);
      expect(calendar.getFirstPropertyValue('method')).to.equal('REQUEST');
      expect(event.startDate.zone?.tzid).to.equal('Europe/Rome');
      expect(event.startDate.toJSDate().toISOString()).to.equal(new Date(start).toISOString());
      expect(event.endDate.toJSDate().toISOString()).to.equal(new Date(end).toISOString());
    }
  });

  it('carries the chat link, the escaped text, the organiser and the attendees', () => {
    const ics = invitationIcs({ ...base, start: new Date('2025-05-05T07:00:00Z'), end: new Date('2025-05-05T08:00:00Z') });
    expect(ics.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).to.equal(true);
    const { event, calendar } = parse(ics);
    expect(event.summary).to.equal(base.summary);
    expect(event.description).to.equal(base.description);
    expect(event.description).to.include(base.url);
    expect(event.location).to.equal(base.location);
    expect(event.uid).to.equal(base.uid);
    expect(event.sequence).to.equal(3);
    const vevent = calendar.getFirstSubcomponent('vevent')!;
    expect(vevent.getFirstPropertyValue('url')).to.equal(base.url);
    expect(vevent.getFirstPropertyValue('organizer')).to.equal('mailto:piero@tweppy.test');
    expect(vevent.getFirstProperty('organizer')!.getParameter('cn')).to.equal('Piero il capo Fanti');
    expect(event.attendees.map((a) => a.getFirstValue())).to.deep.equal(['mailto:mario@customer.test', 'mailto:anna@customer.test']);
  });

  it('works in a zone without daylight saving and in one south of the equator', () => {
    for (const [zone, start, local] of [
      ['Asia/Tokyo', '2025-06-01T01:00:00Z', '20250601T100000'],
      ['America/Sao_Paulo', '2025-06-01T13:00:00Z', '20250601T100000'],
      ['Australia/Sydney', '2025-01-10T23:00:00Z', '20250111T100000'],
    ] as const) {
      const ics = invitationIcs({ ...base, timeZone: zone, start: new Date(start), end: new Date(Date.parse(start) + 3600_000) });
      expect(ics).to.include(`DTSTART;TZID=${zone}:${local}`);
      expect(parse(ics).event.startDate.toJSDate().toISOString(), zone).to.equal(new Date(start).toISOString());
    }
  });

  it('escapes TEXT and folds long lines without splitting a character', () => {
    expect(escapeText('a;b,c\\d\ne')).to.equal('a\\;b\\,c\\\\d\\ne');
    const folded = foldLine(`DESCRIPTION:${'è'.repeat(100)}`);
    for (const line of folded.split('\r\n')) expect(Buffer.byteLength(line)).to.be.at.most(75);
    expect(folded.replace(/\r\n /g, '')).to.equal(`DESCRIPTION:${'è'.repeat(100)}`);
  });
});
