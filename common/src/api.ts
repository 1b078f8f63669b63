/**
 * HTTP contracts of the internal API: one zod schema per body or query, used by the server to
 * validate and by the clients for their types.
 */
import { z } from 'zod';
import {
  CONTEXT_KINDS,
  DEFAULT_PAGE_SIZE,
  MAX_BODY_HTML_LENGTH,
  MAX_EXPIRY_DAYS,
  MAX_PAGE_SIZE,
  MAX_SUBJECT_LENGTH,
} from './constants.ts';

export const Uuid = z.uuid({ error: 'must be a UUID' });

const Subject = z.string().trim().min(1, 'must not be empty').max(MAX_SUBJECT_LENGTH);
const BodyHtml = z.string().max(MAX_BODY_HTML_LENGTH);
const EmailAddress = z.email({ error: 'must be an email address' }).max(320);

export const EmailFields = z.strictObject({
  from: EmailAddress.optional(),
  to: z.array(EmailAddress).max(500).default([]),
  cc: z.array(EmailAddress).max(500).default([]),
});

/** IANA time zone such as Europe/Rome; checked against the runtime's own list. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as Europe/Rome');

export const EventFields = z
  .strictObject({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    timeZone: TimeZone.default('Europe/Rome'),
    location: z.string().max(500).default(''),
    invite: z.boolean().default(false),
    attendees: z.array(EmailAddress).max(500).default([]),
  })
  .refine((e) => Date.parse(e.end) >= Date.parse(e.start), {
    message: 'must not end before it starts',
    path: ['end'],
  });

export const ContextCreate = z
  .strictObject({
    kind: z.enum(CONTEXT_KINDS),
    subject: Subject,
    bodyHtml: BodyHtml.default(''),
    email: EmailFields.optional(),
    event: EventFields.optional(),
    viewerIds: z.array(Uuid).max(500).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.kind !== 'email' && c.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'only an email has email fields' });
    if (c.kind !== 'event' && c.event) ctx.addIssue({ code: 'custom', path: ['event'], message: 'only an event has event fields' });
    if (c.kind === 'event' && !c.event) ctx.addIssue({ code: 'custom', path: ['event'], message: 'an event needs start and end' });
  });
export type ContextCreate = z.infer<typeof ContextCreate>;

export const ContextUpdate = z
  .strictObject({
    subject: Subject.optional(),
    bodyHtml: BodyHtml.optional(),
    email: EmailFields.optional(),
    event: EventFields.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');
export type ContextUpdate = z.infer<typeof ContextUpdate>;

export const ViewerAdd = z.strictObject({ userId: Uuid });

export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(200).optional(),
});

export const TemplateCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  subject: Subject,
  bodyHtml: BodyHtml.default(''),
});
export const TemplateUpdate = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    subject: Subject.optional(),
    bodyHtml: BodyHtml.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');

const ExpiryDays = z.number().int().min(1).max(MAX_EXPIRY_DAYS);
export const ProfileOptionsUpdate = z
  .strictObject({
    chatExpiryDays: ExpiryDays.optional(),
    templateChatExpiryDays: ExpiryDays.optional(),
    locale: z.enum(['it', 'en']).optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');

export const IdParam = z.strictObject({ id: Uuid });
export const TemplateFromContext = z.strictObject({ name: z.string().trim().min(1).max(200) });

// Shapes the server presents. Clients read these; the server's presenters build them.
export interface UserDto {
  id: string;
  email: string;
  name: string;
}
export interface AttachmentDto {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  url: string;
  createdAt: string;
}
export interface ContextDto {
  id: string;
  kind: (typeof CONTEXT_KINDS)[number];
  subject: string;
  bodyHtml: string;
  email: { from: string | null; to: string[]; cc: string[] } | null;
  event: { start: string; end: string; timeZone: string; location: string; invite: boolean; attendees: string[] } | null;
  viewers: UserDto[];
  attachments: AttachmentDto[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  lastActivityAt: string;
}
export interface ContextSummaryDto {
  id: string;
  kind: (typeof CONTEXT_KINDS)[number];
  subject: string;
  lastActivityAt: string;
  /** Newest message written by a person, in any group of the context. */
  lastMessage: { body: string; authorName: string; createdAt: string } | null;
  /** Unread notifications of the caller for this context (the badge). */
  unread: number;
  /** A ChatPro link of the context is open (the green lock). */
  chatActive: boolean;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface TemplateDto {
  id: string;
  name: string;
  subject: string;
  bodyHtml: string;
  createdAt: string;
  updatedAt: string;
}
export interface ProfileOptionsDto {
  chatExpiryDays: number;
  templateChatExpiryDays: number;
  locale: 'it' | 'en';
}
export type MeDto =
  | { kind: 'internal'; user: UserDto; organisation: { id: string; name: string } }
  | { kind: 'external'; externalUser: { id: string; email: string; name: string; provider: string } }
  | { kind: 'anonymous' };
export interface ProviderDto {
  id: string;
  label: string;
}
