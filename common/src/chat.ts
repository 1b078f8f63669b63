/**
 * Contracts of the chat: ChatPro links, groups, messages, notifications, and the socket.io event
 * maps. The server validates every payload with these schemas; clients type their calls with them.
 */
import { z } from 'zod';
import { Uuid, type AttachmentDto } from './api.ts';
import { MAX_SUBJECT_LENGTH } from './constants.ts';

export const MAX_MESSAGE_LENGTH = 10_000;
export const MAX_MESSAGE_ATTACHMENTS = 10;
export const MESSAGE_PAGE_SIZE = 200;

/** A ChatPro link token: 128 random bits or more, base64url. */
export const LinkToken = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/, 'is not a ChatPro link token');

/** "Scadenza": a calendar day (the link closes when that day starts, Europe/Rome) or an exact instant. */
export const Expiry = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

export const LinkCreate = z.strictObject({
  subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH).optional(),
  showBody: z.boolean().default(false),
  expiresAt: Expiry.optional(),
  notifyUserIds: z.array(Uuid).max(200).default([]),
});
export type LinkCreate = z.infer<typeof LinkCreate>;

export const LinkUpdate = z
  .strictObject({
    subject: z.string().trim().min(1).max(MAX_SUBJECT_LENGTH).optional(),
    showBody: z.boolean().optional(),
    expiresAt: Expiry.optional(),
    notifyUserIds: z.array(Uuid).max(200).optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');
export type LinkUpdate = z.infer<typeof LinkUpdate>;

export const ClientId = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a client-made id (8-64 of A-Z a-z 0-9 _ -)');
const Body = z.string().max(MAX_MESSAGE_LENGTH, `must be at most ${MAX_MESSAGE_LENGTH} characters`);

export const MessageSend = z
  .strictObject({
    /** The group to write to; a guest may instead name the link they came through. */
    groupId: Uuid.optional(),
    linkToken: LinkToken.optional(),
    clientId: ClientId,
    body: Body.default(''),
    attachmentIds: z.array(Uuid).max(MAX_MESSAGE_ATTACHMENTS).default([]),
  })
  .refine((m) => Boolean(m.groupId) !== Boolean(m.linkToken), { message: 'name either groupId or linkToken', path: ['groupId'] })
  .refine((m) => m.body.trim().length > 0 || m.attachmentIds.length > 0, { message: 'a message needs text or an attachment', path: ['body'] });
export type MessageSend = z.infer<typeof MessageSend>;

export const ChatJoin = z
  .strictObject({
    groupId: Uuid.optional(),
    linkToken: LinkToken.optional(),
    sinceSeq: z.number().int().min(0).default(0),
  })
  .refine((m) => Boolean(m.groupId) !== Boolean(m.linkToken), { message: 'name either groupId or linkToken', path: ['groupId'] });
export type ChatJoin = z.infer<typeof ChatJoin>;

export const MessagesSince = z.strictObject({
  groupId: Uuid,
  sinceSeq: z.number().int().min(0),
  limit: z.number().int().min(1).max(MESSAGE_PAGE_SIZE).default(MESSAGE_PAGE_SIZE),
});
export const MessagesQuery = z.strictObject({
  since: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MESSAGE_PAGE_SIZE).default(MESSAGE_PAGE_SIZE),
});
export const GroupCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  memberIds: z.array(Uuid).max(200).default([]),
});
export const GroupMerge = z.strictObject({
  /** Two or more live groups of one context; the oldest receives the others. */
  groupIds: z.array(Uuid).min(2).max(50),
});
export const MemberAdd = z.strictObject({ externalUserId: Uuid });

export const ContextWatch = z.strictObject({ contextId: Uuid });
export const Typing = z.strictObject({ groupId: Uuid, typing: z.boolean() });
export const ReadUpTo = z.strictObject({ groupId: Uuid, seq: z.number().int().min(0) });

export interface AuthorDto {
  kind: 'internal' | 'external' | 'system';
  id: string | null;
  name: string;
}
export interface MessageDto {
  id: string;
  groupId: string;
  seq: number;
  clientId: string;
  author: AuthorDto;
  body: string;
  attachments: AttachmentDto[];
  createdAt: string;
}
export interface MemberDto {
  kind: 'internal' | 'external';
  id: string;
  name: string;
  email: string;
  lastReadSeq: number;
}
export interface GroupDto {
  id: string;
  contextId: string;
  kind: 'public' | 'internal' | 'external';
  name: string;
  lastSeq: number;
  members: MemberDto[];
  createdAt: string;
}
export interface LinkDto {
  id: string;
  token: string;
  url: string;
  contextId: string | null;
  templateId: string | null;
  subject: string;
  showBody: boolean;
  expiresAt: string;
  active: boolean;
  notifyUserIds: string[];
  createdAt: string;
  updatedAt: string;
}
export interface NotificationDto {
  id: string;
  kind: 'message' | 'access';
  contextId: string;
  contextSubject: string;
  groupId: string | null;
  message: { id: string; body: string; authorName: string } | null;
  externalUser: { id: string; name: string; email: string } | null;
  linkId: string | null;
  createdAt: string;
  readAt: string | null;
}

/** What a guest's page needs: public part before sign-in, everything after. */
export interface GuestViewDto {
  subject: string;
  active: boolean;
  expiresAt: string;
  organisation: string;
  signedIn: boolean;
  me: { id: string; name: string; email: string } | null;
  /** Present when the link shows the body ("mostra corpo") and the guest has signed in. */
  context: { kind: 'email' | 'note' | 'event'; subject: string; bodyHtml: string; attachments: AttachmentDto[] } | null;
  group: GroupDto | null;
}

export interface ErrorAck {
  ok: false;
  /** `retryAfter`: seconds to wait, when refused for going too fast (`rate_limited`). */
  error: { code: string; message: string; retryAfter?: number };
}
export type Ack<T> = ({ ok: true } & T) | ErrorAck;

export interface ClientToServerEvents {
  /**
   * Opens a group and answers what the client lacks after `sinceSeq`. When the group was merged
   * into another, `group` is the one it lives in now and `remap` gives the new sequence numbers
   * of the messages the client already had.
   */
  'chat:join': (
    payload: z.input<typeof ChatJoin>,
    ack: (res: Ack<{ group: GroupDto | null; messages: MessageDto[]; hasMore: boolean; remap?: { id: string; seq: number }[] }>) => void,
  ) => void;
  'message:send': (payload: z.input<typeof MessageSend>, ack: (res: Ack<{ message: MessageDto }>) => void) => void;
  'messages:since': (payload: z.input<typeof MessagesSince>, ack: (res: Ack<{ messages: MessageDto[]; hasMore: boolean }>) => void) => void;
  /** Hear of the groups and links of a context one views (its "discussioni" screen is open). */
  'context:watch': (payload: z.input<typeof ContextWatch>, ack: (res: Ack<object>) => void) => void;
  typing: (payload: z.input<typeof Typing>) => void;
  read: (payload: z.input<typeof ReadUpTo>, ack?: (res: Ack<object>) => void) => void;
}

/**
 * The events a client may send, with the schema each payload is checked with: the server
 * registers exactly these, and the authorization matrix test has one row for each.
 */
export const CLIENT_EVENT_SCHEMAS = {
  'chat:join': ChatJoin,
  'message:send': MessageSend,
  'messages:since': MessagesSince,
  'context:watch': ContextWatch,
  typing: Typing,
  read: ReadUpTo,
} as const satisfies { [K in keyof ClientToServerEvents]-?: z.ZodType };

export interface ServerToClientEvents {
  /** A new message of a group the socket joined; the socket that sent it has it in its ack instead. */
  'message:new': (message: MessageDto) => void;
  'group:changed': (group: GroupDto) => void;
  typing: (event: { groupId: string; author: AuthorDto; typing: boolean }) => void;
  read: (event: { groupId: string; memberId: string; kind: 'internal' | 'external'; seq: number }) => void;
  'notification:new': (notification: NotificationDto) => void;
  'link:changed': (event: { linkId: string; active: boolean; expiresAt: string }) => void;
}
