/**
 * iCalendar invitations (RFC 5545, iTIP METHOD:REQUEST) of event contexts. Times are written in
 * the event's own time zone with a VTIMEZONE built from the runtime's time zone data, so that
 * calendars show the right hour on both sides of a daylight-saving change.
 */

export interface IcsInvitation {
  uid: string;
  /** Grows with every change of the event, so that calendars replace the older copy. */
  sequence: number;
  start: Date;
  end: Date;
  /** IANA name, such as Europe/Rome. */
  timeZone: string;
  summary: string;
  description: string;
  location: string;
  url: string;
  organizer: { name: string; email: string };
  attendees: string[];
  stamp?: Date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset from UTC in minutes of `zone` at `at`. */
function offsetAt(zone: string, at: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, format);
  }
  const name = format
    .formatToParts(new Date(at))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!m) throw new Error(`Unknown time zone offset ${name ?? ''} for ${zone}`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

interface Transition {
  at: number;
  from: number;
  to: number;
}

const DAY = 86_400_000;

/** Every offset change of `zone` between two instants, to the second. */
function transitions(zone: string, from: number, to: number): Transition[] {
  const found: Transition[] = [];
  let before = offsetAt(zone, from);
  for (let t = from; t < to; t += DAY) {
    const after = offsetAt(zone, t + DAY);
    if (after === before) continue;
    let lo = t;
    let hi = t + DAY;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(zone, mid) === before) lo = mid;
      else hi = mid;
    }
    found.push({ at: hi, from: before, to: after });
    before = after;
  }
  return found;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** Wall-clock time of an instant at a fixed offset, as an iCalendar local DATE-TIME. */
function localAtOffset(at: number, offsetMinutes: number): string {
  const d = new Date(at + offsetMinutes * 60_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

const utcStamp = (at: Date) => `${localAtOffset(at.getTime(), 0)}Z`;

/** TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 §3.3.11). */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n?|\n/g, '\\n');
}

/** A parameter value: quoted, without the characters a quoted value may not hold. */
// eslint-disable-next-line no-control-regex
const paramValue = (value: string) => `"${value.replace(/["\u0000-\u001f\u007f]/g, '').slice(0, 200)}"`;

/** Folds a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1). */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > 75) {
      out.push(current);
      current = ' ';
      bytes = 1;
    }
    current += ch;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n');
}

/** The VTIMEZONE of `zone` with every offset change from a year before `from` to a year after `to`. */
export function vtimezone(zone: string, from: Date, to: Date): string[] {
  const start = Date.UTC(from.getUTCFullYear() - 1, 0, 1);
  const end = Date.UTC(to.getUTCFullYear() + 2, 0, 1);
  const initial = offsetAt(zone, start);
  const lines = [
    'BEGIN:VTIMEZONE',
    `TZID:${zone}`,
    // The offset in force before the first change listed.
    'BEGIN:STANDARD',
    'DTSTART:19700101T000000',
    `TZOFFSETFROM:${formatOffset(initial)}`,
    `TZOFFSETTO:${formatOffset(initial)}`,
    'END:STANDARD',
  ];
  for (const t of transitions(zone, start, end)) {
    const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
    lines.push(
      `BEGIN:${kind}`,
      `DTSTART:${localAtOffset(t.at, t.from)}`,
      `TZOFFSETFROM:${formatOffset(t.from)}`,
      `TZOFFSETTO:${formatOffset(t.to)}`,
      `END:${kind}`,
    );
  }
  lines.push('END:VTIMEZONE');
  return lines;
}

export function invitationIcs(e: IcsInvitation): string {
  const local = (at: Date) => localAtOffset(at.getTime(), offsetAt(e.timeZone, at.getTime()));
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Tweppy//ChatPro//IT',
    'CALSCALE:GREGORIAN',
    'METHOD:REQUEST',
    ...vtimezone(e.timeZone, e.start, e.end),
    'BEGIN:VEVENT',
    `UID:${escapeText(e.uid)}`,
    `SEQUENCE:${e.sequence}`,
    `DTSTAMP:${utcStamp(e.stamp ?? new Date())}`,
    `DTSTART;TZID=${e.timeZone}:${local(e.start)}`,
    `DTEND;TZID=${e.timeZone}:${local(e.end)}`,
    `SUMMARY:${escapeText(e.summary)}`,
    `DESCRIPTION:${escapeText(e.description)}`,
    ...(e.location ? [`LOCATION:${escapeText(e.location)}`] : []),
    `URL:${e.url}`,
    `ORGANIZER;CN=${paramValue(e.organizer.name)}:mailto:${e.organizer.email}`,
    ...e.attendees.map((a) => `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:${a}`),
    'STATUS:CONFIRMED',
    'TRANSP:OPAQUE',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(foldLine).join('\r\n')}\r\n`;
}
