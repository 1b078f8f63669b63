/**
 * The open Gmail message, read with the Gmail API as the user (their OAuth token plus the
 * per-message access token Gmail hands the add-on), and what ChatPro needs from it: the ChatPro
 * link it carries, and its headers and HTML for "Avvia chat su questa email".
 */
import type { gmail_v1 } from '@googleapis/gmail';

export type GmailMessage = gmail_v1.Schema$Message;
type Part = gmail_v1.Schema$MessagePart;

export const DEFAULT_GMAIL_API_ROOT_URL = 'https://gmail.googleapis.com/';

export async function readGmailMessage(opts: { rootUrl: string; messageId: string; userOAuthToken: string; accessToken: string }): Promise<GmailMessage> {
  // Loaded on first use, like the token verifier's library.
  const { gmail } = await import('@googleapis/gmail');
  const api = gmail({
    version: 'v1',
    rootUrl: opts.rootUrl,
    retry: false,
    timeout: 15_000,
    headers: { Authorization: `Bearer ${opts.userOAuthToken}`, 'X-Goog-Gmail-Access-Token': opts.accessToken },
  });
  const res = await api.users.messages.get({ userId: 'me', id: opts.messageId, format: 'full' });
  return res.data;
}

const decode = (data: string) => Buffer.from(data, 'base64url').toString('utf8');

/** Every text part of the message in order, nested multiparts and forwarded messages (message/rfc822) included. */
export function textParts(message: GmailMessage): { mimeType: string; text: string }[] {
  const out: { mimeType: string; text: string }[] = [];
  const walk = (part: Part | undefined, depth: number) => {
    if (!part || depth > 20) return;
    const mimeType = (part.mimeType ?? '').toLowerCase();
    if ((mimeType === 'text/html' || mimeType === 'text/plain') && part.body?.data) out.push({ mimeType, text: decode(part.body.data) });
    for (const child of part.parts ?? []) walk(child, depth + 1);
  };
  walk(message.payload ?? undefined, 0);
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The HTML entities that can stand inside an href in a quoted or forwarded message. */
const unescapeHtml = (s: string) =>
  s
    .replace(/&#x2f;|&#47;|&sol;/gi, '/')
    .replace(/&#x3a;|&#58;|&colon;/gi, ':')
    .replace(/&amp;/gi, '&');

/**
 * The first ChatPro link (`<publicUrl>/c/<token>`) in the message: in its HTML or plain text,
 * in a quoted reply or a forwarded message. http and https both match (mail clients rewrite).
 */
export function findChatLink(message: GmailMessage, publicUrl: string): { token: string; url: string } | null {
  const base = new URL(publicUrl);
  const path = base.pathname.replace(/\/+$/, '');
  const pattern = new RegExp(`https?://${escapeRegex(base.host)}${escapeRegex(path)}/c/([A-Za-z0-9_-]{22,128})(?![A-Za-z0-9_-])`, 'i');
  const texts = [...textParts(message).map((p) => p.text), message.snippet ?? ''];
  for (const text of texts) {
    const match = pattern.exec(unescapeHtml(text));
    if (match) return { token: match[1]!, url: `${publicUrl.replace(/\/+$/, '')}/c/${match[1]!}` };
  }
  return null;
}

export function header(message: GmailMessage, name: string): string {
  const lower = name.toLowerCase();
  return message.payload?.headers?.find((h) => h.name?.toLowerCase() === lower)?.value ?? '';
}

/** Bare addresses out of a header such as `"Rossi, Maria" <maria@example.com>, luca@example.com`. */
export function addresses(value: string): string[] {
  const found = value.match(/[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g) ?? [];
  return [...new Set(found.map((a) => a.toLowerCase()))];
}

/** The message's HTML body, or its plain text made into safe HTML. */
export function bodyHtml(message: GmailMessage): string {
  const parts = textParts(message);
  const html = parts.find((p) => p.mimeType === 'text/html');
  if (html) return html.text;
  const plain = parts.find((p) => p.mimeType === 'text/plain');
  if (!plain) return '';
  const escaped = plain.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<pre style="white-space:pre-wrap">${escaped}</pre>`;
}
