/** Gmail API message fixtures (`users.messages.get`, format=full): base64url bodies, nested parts. */
import type { GmailMessage } from '../gmailMessage.ts';

type Part = NonNullable<GmailMessage['payload']>;

export const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

const textPart = (mimeType: 'text/plain' | 'text/html', text: string, partId: string): Part => ({
  partId,
  mimeType,
  filename: '',
  headers: [{ name: 'Content-Type', value: `${mimeType}; charset="UTF-8"` }],
  body: { size: Buffer.byteLength(text), data: b64url(text) },
});

export interface Envelope {
  id: string;
  threadId?: string;
  subject: string;
  from: string;
  to: string;
  cc?: string;
}

const headersOf = (e: Envelope, contentType: string) => [
  { name: 'From', value: e.from },
  { name: 'To', value: e.to },
  ...(e.cc ? [{ name: 'Cc', value: e.cc }] : []),
  { name: 'Subject', value: e.subject },
  { name: 'Date', value: 'Mon, 12 Jan 2026 10:00:00 +0100' },
  { name: 'Content-Type', value: contentType },
];

/** A multipart/alternative message with a plain and an HTML version. */
export function alternativeMessage(e: Envelope, plain: string, html: string): GmailMessage {
  return {
    id: e.id,
    threadId: e.threadId ?? e.id,
    labelIds: ['INBOX'],
    snippet: plain.slice(0, 100),
    payload: {
      partId: '',
      mimeType: 'multipart/alternative',
      filename: '',
      headers: headersOf(e, 'multipart/alternative; boundary="b1"'),
      body: { size: 0 },
      parts: [textPart('text/plain', plain, '0'), textPart('text/html', html, '1')],
    },
  };
}

/** A single-part plain text message (a reply quoting an earlier one, say). */
export function plainMessage(e: Envelope, plain: string): GmailMessage {
  return {
    id: e.id,
    threadId: e.threadId ?? e.id,
    snippet: '',
    payload: { ...textPart('text/plain', plain, ''), headers: headersOf(e, 'text/plain; charset="UTF-8"') },
  };
}

/** A message forwarded as an attachment: multipart/mixed holding a note and the original (message/rfc822), plus a PDF. */
export function forwardedMessage(e: Envelope, note: string, original: GmailMessage): GmailMessage {
  return {
    id: e.id,
    threadId: e.threadId ?? e.id,
    snippet: note,
    payload: {
      partId: '',
      mimeType: 'multipart/mixed',
      filename: '',
      headers: headersOf(e, 'multipart/mixed; boundary="m1"'),
      body: { size: 0 },
      parts: [
        textPart('text/plain', note, '0'),
        {
          partId: '1',
          mimeType: 'message/rfc822',
          filename: '',
          headers: [{ name: 'Content-Type', value: 'message/rfc822' }],
          body: { size: 1234 },
          parts: [original.payload!],
        },
        { partId: '2', mimeType: 'application/pdf', filename: 'offerta.pdf', headers: [], body: { attachmentId: 'ANGjdJ8', size: 52000 } },
      ],
    },
  };
}
