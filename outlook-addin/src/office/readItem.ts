/** Read mode: the ChatPro link of the open email, looked for in its HTML body, then its text body. */
import { officeCall } from './async.ts';
import { findChatLink, type FoundLink } from './links.ts';

type ReadItem = Pick<Office.MessageRead, 'body'>;

export async function findLinkInItem(item: ReadItem, publicUrl: string): Promise<FoundLink | null> {
  const html = await officeCall<string>((cb) => item.body.getAsync(Office.CoercionType.Html, cb));
  const found = findChatLink(html, publicUrl);
  if (found) return found;
  // Some messages only have a text part, and some clients convert links on the way to HTML.
  const text = await officeCall<string>((cb) => item.body.getAsync(Office.CoercionType.Text, cb));
  return findChatLink(text, publicUrl);
}

/** Subject and body of the open email, to start a chat on it. */
export async function readEmail(item: Pick<Office.MessageRead, 'body' | 'subject'>): Promise<{ subject: string; bodyHtml: string }> {
  const bodyHtml = await officeCall<string>((cb) => item.body.getAsync(Office.CoercionType.Html, cb));
  return { subject: (item.subject ?? '').trim() || '(senza oggetto)', bodyHtml };
}
