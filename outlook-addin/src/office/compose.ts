/**
 * The compose side: one ChatPro chat per draft, remembered in the draft's custom properties (they
 * travel with the item, so reopening the draft reuses the chat), and the button inserted at the
 * cursor: the shared markup in HTML drafts, the plain link in text drafts.
 */
import { chatButtonHtml, chatButtonText } from '@chatpro/common/emailButton';
import { officeCall } from './async.ts';
import type { ChatProApi } from './chatpro.ts';

export const DRAFT_CONTEXT_ID = 'chatproContextId';
export const DRAFT_LINK_URL = 'chatproLinkUrl';
const NO_SUBJECT = '(senza oggetto)';

type Draft = Pick<Office.MessageCompose, 'body' | 'subject' | 'loadCustomPropertiesAsync'>;

/** The draft's chat link: reused when the draft has one, else a new context and link. */
export async function draftChatLink(item: Draft, chatpro: ChatProApi): Promise<string> {
  const props = await officeCall<Office.CustomProperties>((cb) => item.loadCustomPropertiesAsync(cb));
  const known: unknown = props.get(DRAFT_LINK_URL);
  if (typeof known === 'string' && known) return known;
  const subject = (await officeCall<string>((cb) => item.subject.getAsync(cb))).trim();
  const bodyHtml = await officeCall<string>((cb) => item.body.getAsync(Office.CoercionType.Html, cb));
  const { contextId, link } = await chatpro.createEmailChat({ subject: subject || NO_SUBJECT, bodyHtml });
  props.set(DRAFT_CONTEXT_ID, contextId);
  props.set(DRAFT_LINK_URL, link.url);
  await officeCall<void>((cb) => props.saveAsync(cb));
  return link.url;
}

/** Inserts the "Clicca qui per discuterne" button at the cursor. Answers the draft's format. */
export async function insertChatLink(item: Pick<Office.MessageCompose, 'body'>, url: string): Promise<'html' | 'text'> {
  const type = await officeCall<Office.CoercionType>((cb) => item.body.getTypeAsync(cb));
  if (type === Office.CoercionType.Html) {
    await officeCall<void>((cb) => item.body.setSelectedDataAsync(chatButtonHtml(url), { coercionType: Office.CoercionType.Html }, cb));
    return 'html';
  }
  await officeCall<void>((cb) => item.body.setSelectedDataAsync(chatButtonText(url), { coercionType: Office.CoercionType.Text }, cb));
  return 'text';
}
