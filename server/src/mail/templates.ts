/**
 * The emails and pages of mail, as pure functions from data to subject, HTML and text. Every
 * external string is escaped here; the markup is table-based with inline styles so that common
 * mail clients (Outlook's Word engine included) render it, and never has script.
 */
import { chatButtonHtml } from '@chatpro/common';
import { convert } from 'html-to-text';
import { escapeHtml } from '../http/html.ts';
import { formatDateTime } from '../services/time.ts';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** A header value on one line, without control characters. */
export const headerText = (value: string, max = 250) =>
  // eslint-disable-next-line no-control-regex
  value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);

/** Plain text of an email body for the text/plain part: paragraphs, lists, and links as "text [url]". */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'table', format: 'dataTable' },
    ],
  }).trim();
}

const FONT = 'font-family:Arial,Helvetica,sans-serif;';

/** The frame of every HTML email: a centred 600-pixel table on a light background. */
function layout(title: string, inner: string): string {
  return (
    '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>${escapeHtml(title)}</title></head>` +
    `<body style="margin:0;padding:0;background-color:#f4f5f7;">` +
    '<table role="presentation" width="100%" border="0" cellpadding="0" cellspacing="0" style="background-color:#f4f5f7;"><tr><td align="center" style="padding:24px 8px;">' +
    '<table role="presentation" width="600" border="0" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background-color:#ffffff;border-radius:8px;">' +
    `<tr><td style="padding:24px;${FONT}font-size:15px;line-height:22px;color:#1f2328;">${inner}</td></tr>` +
    '</table></td></tr></table></body></html>'
  );
}

/** Chat text as HTML: escaped, line breaks kept. */
const chatTextHtml = (body: string) => escapeHtml(body).replace(/\n/g, '<br>');

export interface DigestMessage {
  authorName: string;
  body: string;
  createdAt: Date;
  attachments: string[];
}

export interface GuestDigest {
  guestName: string;
  organisation: string;
  /** The conversation's subject as the guest sees it (the link's subject). */
  subject: string;
  chatUrl: string;
  unsubscribeUrl: string;
  /** True when replying to the email reaches the chat. */
  replyByEmail: boolean;
  /** The newest unseen messages, oldest first (at most 10). */
  messages: DigestMessage[];
  /** How many unseen messages there are in all (may be more than `messages`). */
  total: number;
}

function senders(messages: DigestMessage[]): string {
  const names = [...new Set(messages.map((m) => m.authorName))];
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} e ${names.at(-1)}`;
}

/** The offline notification of a guest: who wrote, what (escaped), and the button back to the chat. */
export function guestDigestEmail(d: GuestDigest): RenderedEmail {
  const who = senders(d.messages);
  const subject = headerText(
    d.total === 1 ? `${who} ti ha scritto su «${d.subject}»` : `${d.total} nuovi messaggi da ${who} su «${d.subject}»`,
  );
  const older = d.total - d.messages.length;
  const intro =
    d.total === 1
      ? `${who} di ${d.organisation} ti ha scritto nella conversazione «${d.subject}».`
      : `Hai ${d.total} nuovi messaggi da ${who} di ${d.organisation} nella conversazione «${d.subject}».`;
  const rows = d.messages
    .map(
      (m) =>
        '<tr><td style="padding:12px 0;border-top:1px solid #e5e7eb;">' +
        `<div style="${FONT}font-size:13px;color:#57606a;"><b style="color:#1f2328;">${escapeHtml(m.authorName)}</b> · ${escapeHtml(formatDateTime(m.createdAt))}</div>` +
        (m.body ? `<div style="${FONT}font-size:15px;line-height:22px;color:#1f2328;padding-top:4px;">${chatTextHtml(m.body)}</div>` : '') +
        (m.attachments.length
          ? `<div style="${FONT}font-size:13px;color:#57606a;padding-top:4px;">Allegati: ${m.attachments.map(escapeHtml).join(', ')}</div>`
          : '') +
        '</td></tr>',
    )
    .join('');
  const replyNote = d.replyByEmail
    ? 'Puoi anche rispondere a questa email: la tua risposta arriverà nella chat.'
    : 'Per rispondere, apri la conversazione: le risposte a questa email non arrivano nella chat.';
  const html = layout(
    subject,
    `<p style="margin:0 0 12px 0;">Ciao ${escapeHtml(d.guestName)},</p>` +
      `<p style="margin:0 0 12px 0;">${escapeHtml(intro)}</p>` +
      (older > 0 ? `<p style="margin:0 0 8px 0;color:#57606a;font-size:13px;">…e ${older} messaggi precedenti.</p>` : '') +
      `<table role="presentation" width="100%" border="0" cellpadding="0" cellspacing="0">${rows}</table>` +
      chatButtonHtml(d.chatUrl, 'Apri la conversazione') +
      `<p style="margin:0 0 12px 0;color:#57606a;font-size:13px;">${escapeHtml(replyNote)}</p>` +
      `<p style="margin:16px 0 0 0;color:#8c959f;font-size:12px;">Ricevi questa email perché partecipi a una conversazione ChatPro con ${escapeHtml(d.organisation)}. ` +
      `<a href="${escapeHtml(d.unsubscribeUrl)}" style="color:#8c959f;">Non ricevere più email per questa conversazione</a>.</p>`,
  );
  const text = [
    `Ciao ${d.guestName},`,
    '',
    intro,
    ...(older > 0 ? ['', `…e ${older} messaggi precedenti.`] : []),
    '',
    ...d.messages.flatMap((m) => [
      `${m.authorName} · ${formatDateTime(m.createdAt)}`,
      ...(m.body ? [m.body] : []),
      ...(m.attachments.length ? [`Allegati: ${m.attachments.join(', ')}`] : []),
      '',
    ]),
    `Apri la conversazione: ${d.chatUrl}`,
    '',
    replyNote,
    '',
    '-- ',
    `Non ricevere più email per questa conversazione: ${d.unsubscribeUrl}`,
  ].join('\n');
  return { subject, html, text };
}

/**
 * A context's email as sent from the workspace: its (sanitized) body with the "Clicca qui per
 * discuterne" button after it, unless the body carries that button already.
 */
export function contextEmail(input: { subject: string; bodyHtml: string; chatUrl: string | null }): RenderedEmail {
  const hasButton = input.chatUrl !== null && input.bodyHtml.includes(escapeHtml(input.chatUrl));
  const button = input.chatUrl && !hasButton ? chatButtonHtml(input.chatUrl) : '';
  const subject = headerText(input.subject, 500);
  const html = layout(subject, `<div>${input.bodyHtml}</div>${button}`);
  const bodyText = htmlToText(input.bodyHtml);
  const text = input.chatUrl && !bodyText.includes(input.chatUrl) ? `${bodyText}\n\nClicca qui per discuterne: ${input.chatUrl}`.trim() : bodyText;
  return { subject, html, text };
}

export interface InvitationDetails {
  subject: string;
  bodyHtml: string;
  start: Date;
  end: Date;
  timeZone: string;
  location: string;
  organizerName: string;
  chatUrl: string;
}

/** The readable part of an event invitation; the calendar part is the .ics beside it. */
export function invitationEmail(d: InvitationDetails): RenderedEmail {
  const when = `${formatDateTime(d.start, 'it-IT', d.timeZone)} – ${formatDateTime(d.end, 'it-IT', d.timeZone)} (${d.timeZone})`;
  const subject = headerText(`Invito: ${d.subject}`, 500);
  const detail = (label: string, value: string) =>
    `<tr><td style="${FONT}font-size:14px;color:#57606a;padding:2px 12px 2px 0;vertical-align:top;">${label}</td><td style="${FONT}font-size:14px;color:#1f2328;padding:2px 0;">${escapeHtml(value)}</td></tr>`;
  const html = layout(
    subject,
    `<p style="margin:0 0 12px 0;">${escapeHtml(d.organizerName)} ti invita a <b>${escapeHtml(d.subject)}</b>.</p>` +
      '<table role="presentation" border="0" cellpadding="0" cellspacing="0" style="margin:0 0 12px 0;">' +
      detail('Quando', when) +
      (d.location ? detail('Dove', d.location) : '') +
      '</table>' +
      (d.bodyHtml ? `<div>${d.bodyHtml}</div>` : '') +
      `<p style="margin:12px 0 0 0;">Per parlarne prima o dopo l’evento, apri la chat:</p>` +
      chatButtonHtml(d.chatUrl),
  );
  const body = d.bodyHtml ? htmlToText(d.bodyHtml) : '';
  const text = [
    `${d.organizerName} ti invita a ${d.subject}.`,
    '',
    `Quando: ${when}`,
    ...(d.location ? [`Dove: ${d.location}`] : []),
    ...(body ? ['', body] : []),
    '',
    `Clicca qui per discuterne: ${d.chatUrl}`,
  ].join('\n');
  return { subject, html, text };
}

/** The small pages of the unsubscribe link (no sign-in): confirm, done, or a bad link. */
export function unsubscribePage(state: { kind: 'confirm'; subject: string; token: string } | { kind: 'done'; subject: string } | { kind: 'invalid' }): string {
  const page = (title: string, inner: string) =>
    `<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>` +
    `<body style="${FONT}max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328;line-height:1.5;"><h1 style="font-size:1.4rem;">${escapeHtml(title)}</h1>${inner}</body></html>`;
  if (state.kind === 'invalid') return page('Link non valido', '<p>Questo link per annullare l’iscrizione non è valido.</p>');
  if (state.kind === 'done') {
    return page(
      'Iscrizione annullata',
      `<p>Non riceverai più email per i nuovi messaggi della conversazione «${escapeHtml(state.subject)}».</p><p>Puoi sempre aprire la chat dal suo link.</p>`,
    );
  }
  return page(
    'Annulla iscrizione',
    `<p>Vuoi smettere di ricevere email per i nuovi messaggi della conversazione «${escapeHtml(state.subject)}»?</p>` +
      `<form method="post" action="?token=${encodeURIComponent(state.token)}"><button type="submit" style="${FONT}font-size:1rem;padding:.6rem 1.2rem;">Annulla iscrizione</button></form>`,
  );
}
