/**
 * Card JSON types. Cards themselves are typed with googleapis' own typings of the
 * `google.apps.card.v1` Card: the Workspace add-on card is the same message that Google Chat's
 * `cardsV2` uses, and `@googleapis/chat` is the googleapis package that publishes it
 * (`@googleapis/gmail` has no card types). The response envelopes an add-on answers with
 * (`action.navigations`, `renderActions`, `hostAppAction`) appear in no googleapis package (they
 * are documented only in the add-ons RPC reference), so the subset used here is declared below.
 */
import type { chat_v1 } from '@googleapis/chat';

export type Card = chat_v1.Schema$GoogleAppsCardV1Card;
export type CardSection = chat_v1.Schema$GoogleAppsCardV1Section;
export type Widget = chat_v1.Schema$GoogleAppsCardV1Widget;
export type Button = chat_v1.Schema$GoogleAppsCardV1Button;
export type OnClick = chat_v1.Schema$GoogleAppsCardV1OnClick;
export type CardActionSpec = chat_v1.Schema$GoogleAppsCardV1Action;
export type OpenLink = chat_v1.Schema$GoogleAppsCardV1OpenLink;

/** One step on the card stack. */
export type Navigation = { pushCard: Card } | { updateCard: Card } | { popToRoot: true } | { pop: true };

/** What a widget action or trigger does in the add-on's own UI. */
export interface RenderAction {
  navigations?: Navigation[];
  notification?: { text: string };
  link?: OpenLink;
}

export type DraftContentType = 'TEXT' | 'MUTABLE_HTML' | 'IMMUTABLE_HTML';

/** Gmail's UpdateDraftActionMarkup, body part only. */
export interface UpdateDraftActionMarkup {
  updateBody: {
    insertContents: { content: string; contentType: DraftContentType }[];
    type: 'IN_PLACE_INSERT' | 'INSERT_AT_START' | 'INSERT_AT_END';
  };
}

export interface HostAppAction {
  gmailAction: { updateDraftActionMarkup: UpdateDraftActionMarkup };
}

/** Answer to a trigger (homepage, contextual, compose): the card to show. */
export interface TriggerResponse {
  action: { navigations: Navigation[] };
}

/** Answer to a widget action: change the card stack, notify, open a link, or act on the host app. */
export interface ActionResponse {
  renderActions: { action?: RenderAction; hostAppAction?: HostAppAction };
}
