/**
 * What the Gmail add-on (`@chatpro/gmail-addon`) needs from the server, as ports the server
 * implements. The add-on never imports server code: it is handed an object of this shape.
 * Schemas check what crosses the boundary (identities from Google, posts from a card).
 */
import { z } from 'zod';
import { ClientId, LinkToken, MAX_MESSAGE_LENGTH } from './chat.ts';
import { MAX_BODY_HTML_LENGTH, MAX_SUBJECT_LENGTH } from './constants.ts';

/** A Google account as a verified ID token names it. */
export const GoogleIdentity = z.strictObject({
  sub: z.string().min(1).max(255),
  email: z.email().max(320),
  emailVerified: z.boolean(),
  name: z.string().max(200).default(''),
});
export type GoogleIdentity = z.infer<typeof GoogleIdentity>;

/** The person using the add-on: a member of an organisation, or a guest. */
export interface AddonUser {
  kind: 'internal' | 'external';
  id: string;
  name: string;
  email: string;
}

export interface AddonMessageView {
  id: string;
  authorKind: 'internal' | 'external' | 'system';
  authorName: string;
  /** Written by the user looking at the card. */
  mine: boolean;
  body: string;
  attachmentNames: string[];
  createdAt: string;
}

/** A ChatPro link's conversation as one user sees it from Gmail. */
export type AddonConversation =
  | {
      status: 'ok';
      subject: string;
      /** The guest page of the link (`/c/<token>`): "Apri chat completa". */
      url: string;
      token: string;
      active: boolean;
      expiresAt: string;
      /** Oldest first, at most the limit asked for. */
      messages: AddonMessageView[];
      /** False when the link has expired: the card is read-only. */
      writable: boolean;
    }
  /** An internal user who does not view the link's context, or a template link seen by an internal user. */
  | { status: 'forbidden'; subject: string; url: string };

export const AddonPost = z.strictObject({
  token: LinkToken,
  clientId: ClientId,
  body: z.string().trim().min(1, 'must not be empty').max(MAX_MESSAGE_LENGTH),
});
export type AddonPost = z.infer<typeof AddonPost>;

/**
 * The email a context is made for: a draft being composed (key `draft:<id>` or `thread:<id>`)
 * or an open message ("Avvia chat su questa email", key `message:<id>`). Keys are per user:
 * Gmail's ids are ids in one mailbox.
 */
export const EmailContextRequest = z.strictObject({
  key: z.string().min(3).max(300).regex(/^(draft|thread|message|compose):[A-Za-z0-9_-]+$/, 'is not a Gmail key'),
  subject: z.string().trim().max(MAX_SUBJECT_LENGTH).default(''),
  bodyHtml: z.string().max(MAX_BODY_HTML_LENGTH).default(''),
  from: z.email().max(320).optional(),
  to: z.array(z.email().max(320)).max(500).default([]),
  cc: z.array(z.email().max(320)).max(500).default([]),
});
export type EmailContextRequest = z.input<typeof EmailContextRequest>;

export interface EmailLink {
  token: string;
  url: string;
  contextId: string;
  /** False when an earlier context for the same key was reused. */
  created: boolean;
}

/** Errors the ports raise carry one of these codes; the add-on shows a card for each. */
export const ADDON_ERROR_CODES = ['link_not_found', 'link_closed', 'forbidden', 'not_found', 'validation_failed'] as const;

export interface GmailAddonPorts {
  /** The internal user with this Google identity (or verified email / organisation domain), else the external user, made on first use. */
  resolveUser(identity: GoogleIdentity): Promise<AddonUser>;
  /** The conversation of a link for this user; null when no link has this token. */
  conversation(user: AddonUser, token: string, limit: number): Promise<AddonConversation | null>;
  /** Posts through the one send path (stored, broadcast, notified). */
  post(user: AddonUser, input: AddonPost): Promise<AddonMessageView>;
  /** The link made earlier by this internal user for this email key, if any. */
  findEmailLink(user: AddonUser, key: string): Promise<EmailLink | null>;
  /** Makes (or reuses) an email context for the key and an active link with the user's default expiry. Internal users only. */
  emailLink(user: AddonUser, request: EmailContextRequest): Promise<EmailLink>;
}
