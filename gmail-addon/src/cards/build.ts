/**
 * Pure functions from what ChatPro knows to card JSON: no I/O, no clock, no randomness (the
 * caller passes the client id a send will carry), so tests compare the exact JSON.
 */
import type { AddonConversation, AddonMessageView } from '@chatpro/common';
import type { CardLocale } from '../events.ts';
import { s } from './strings.ts';
import type { ActionResponse, Button, Card, CardSection, Navigation, TriggerResponse, Widget } from './types.ts';

/** The full URLs Google calls back (on the HTTP runtime an action's `function` is an endpoint URL). */
export interface AddonEndpoints {
  refresh: string;
  send: string;
  start: string;
  insertButton: string;
}

export interface CardContext {
  locale: CardLocale;
  timeZone: string;
  endpoints: AddonEndpoints;
}

export const MESSAGE_INPUT = 'message';
const PRODUCT = 'ChatPro';

/** Card text accepts a little HTML: user text is escaped, and its line breaks kept. */
export const cardText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');

export function formatTime(iso: string, locale: CardLocale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'it-IT', {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(iso));
}

const formatDay = (iso: string, locale: CardLocale, timeZone: string) =>
  new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'it-IT', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date(iso));

const actionButton = (text: string, url: string, parameters: Record<string, string>, filled = false): Button => ({
  text,
  ...(filled ? { type: 'FILLED' } : {}),
  onClick: {
    action: {
      function: url,
      parameters: Object.entries(parameters).map(([key, value]) => ({ key, value })),
      loadIndicator: 'SPINNER',
    },
  },
});

const linkButton = (text: string, url: string): Button => ({ text, onClick: { openLink: { url, openAs: 'FULL_SIZE', onClose: 'NOTHING' } } });

const paragraph = (text: string): Widget => ({ textParagraph: { text } });

export function messageWidget(m: AddonMessageView, ctx: CardContext): Widget {
  const author = m.mine ? s(ctx.locale, 'conversation.you') : m.authorName;
  return {
    decoratedText: {
      topLabel: `${cardText(author)} · ${formatTime(m.createdAt, ctx.locale, ctx.timeZone)}`,
      text: cardText(m.body) || '—',
      wrapText: true,
      ...(m.attachmentNames.length ? { bottomLabel: cardText(s(ctx.locale, 'conversation.attachments', { names: m.attachmentNames.join(', ') })) } : {}),
    },
  };
}

/** The conversation of a link: subject, last messages, a text input with Invia (when open), Apri chat completa, Aggiorna. */
export function conversationCard(conversation: Extract<AddonConversation, { status: 'ok' }>, ctx: CardContext, clientId: string): Card {
  const { locale } = ctx;
  const token = { token: conversation.token };
  const sections: CardSection[] = [
    {
      widgets: conversation.messages.length ? conversation.messages.map((m) => messageWidget(m, ctx)) : [paragraph(s(locale, 'conversation.empty'))],
    },
  ];
  if (conversation.writable) {
    sections.push({
      widgets: [
        { textInput: { name: MESSAGE_INPUT, label: s(locale, 'input.label'), type: 'MULTIPLE_LINE' } },
        { buttonList: { buttons: [actionButton(s(locale, 'action.send'), ctx.endpoints.send, { ...token, clientId }, true)] } },
      ],
    });
  } else {
    sections.push({ widgets: [paragraph(s(locale, 'conversation.closedNotice', { date: formatDay(conversation.expiresAt, locale, ctx.timeZone) }))] });
  }
  sections.push({
    widgets: [
      {
        buttonList: {
          buttons: [linkButton(s(locale, 'action.openFull'), conversation.url), actionButton(s(locale, 'action.refresh'), ctx.endpoints.refresh, token)],
        },
      },
    ],
  });
  return {
    name: 'conversation',
    header: {
      title: cardText(conversation.subject),
      subtitle: conversation.active
        ? s(locale, 'conversation.expires', { date: formatDay(conversation.expiresAt, locale, ctx.timeZone) })
        : s(locale, 'conversation.closed'),
    },
    sections,
  };
}

/** The open email carries no ChatPro link; an internal user may start a chat on it. */
export function noLinkCard(ctx: CardContext, canStart: boolean): Card {
  const widgets: Widget[] = [paragraph(s(ctx.locale, 'noLink.text'))];
  if (canStart) {
    widgets.push(paragraph(s(ctx.locale, 'noLink.internal')));
    widgets.push({ buttonList: { buttons: [actionButton(s(ctx.locale, 'action.start'), ctx.endpoints.start, {}, true)] } });
  }
  return { name: 'no-link', header: { title: s(ctx.locale, 'noLink.title') }, sections: [{ widgets }] };
}

/** A card with a title and one paragraph: homepage, errors, refusals. */
export function noticeCard(title: string, text: string): Card {
  return { name: 'notice', header: { title: cardText(title) }, sections: [{ widgets: [paragraph(text)] }] };
}

export const homepageCard = (locale: CardLocale): Card => noticeCard(PRODUCT, s(locale, 'homepage.text'));

/** Shown while composing: the button that inserts "Clicca qui per discuterne" (internal users only). */
export function composeCard(ctx: CardContext, internal: boolean, buttonLabel: string): Card {
  if (!internal) return noticeCard(PRODUCT, s(ctx.locale, 'internalOnly.text'));
  return {
    name: 'compose',
    header: { title: PRODUCT },
    sections: [
      {
        widgets: [
          paragraph(s(ctx.locale, 'compose.text')),
          { buttonList: { buttons: [actionButton(s(ctx.locale, 'action.insertButton', { label: buttonLabel }), ctx.endpoints.insertButton, {}, true)] } },
        ],
      },
    ],
  };
}

export const pushCard = (card: Card): TriggerResponse => ({ action: { navigations: [{ pushCard: card }] } });

export function updateCard(card: Card, notification?: string): ActionResponse {
  const navigations: Navigation[] = [{ updateCard: card }];
  return { renderActions: { action: { navigations, ...(notification ? { notification: { text: notification } } : {}) } } };
}

export const notify = (text: string): ActionResponse => ({ renderActions: { action: { notification: { text } } } });

/** Inserts HTML where the cursor is in the draft; MUTABLE_HTML so the user can still edit around it. */
export function insertIntoDraft(html: string): ActionResponse {
  return {
    renderActions: {
      hostAppAction: {
        gmailAction: {
          updateDraftActionMarkup: { updateBody: { insertContents: [{ content: html, contentType: 'MUTABLE_HTML' }], type: 'IN_PLACE_INSERT' } },
        },
      },
    },
  };
}
