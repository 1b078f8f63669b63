/** Presenters: the one shape of each entity that HTTP answers and socket events carry. */
import type { AttachmentDto, ContextDto, ContextSummaryDto, NotificationDto, TemplateDto, UserDto } from '@chatpro/common';
import type { attachments, contexts, notifications, noteTemplates, users } from '../db/schema.ts';
import { sanitizeBody } from '../services/sanitize.ts';

type User = Pick<typeof users.$inferSelect, 'id' | 'email' | 'name'>;

export const presentUser = (u: User): UserDto => ({ id: u.id, email: u.email, name: u.name });

export const presentAttachment = (a: typeof attachments.$inferSelect): AttachmentDto => ({
  id: a.id,
  fileName: a.fileName,
  contentType: a.contentType,
  size: a.size,
  url: `/api/attachments/${a.id}`,
  createdAt: a.createdAt.toISOString(),
});

export const presentContextSummary = (
  c: typeof contexts.$inferSelect,
  extra: Pick<ContextSummaryDto, 'lastMessage' | 'unread' | 'chatActive'> = { lastMessage: null, unread: 0, chatActive: false },
): ContextSummaryDto => ({
  id: c.id,
  kind: c.kind,
  subject: c.subject,
  lastActivityAt: c.lastActivityAt.toISOString(),
  ...extra,
});

export function presentContext(
  c: typeof contexts.$inferSelect,
  viewers: User[],
  files: (typeof attachments.$inferSelect)[],
): ContextDto {
  return {
    id: c.id,
    kind: c.kind,
    subject: c.subject,
    bodyHtml: sanitizeBody(c.bodyHtml),
    email: c.kind === 'email' ? { from: c.emailFrom, to: c.emailTo ?? [], cc: c.emailCc ?? [] } : null,
    event:
      c.kind === 'event' && c.eventStart && c.eventEnd
        ? {
            start: c.eventStart.toISOString(),
            end: c.eventEnd.toISOString(),
            timeZone: c.eventTimeZone ?? 'Europe/Rome',
            location: c.eventLocation ?? '',
            invite: c.eventInvite ?? false,
            attendees: c.eventAttendees ?? [],
          }
        : null,
    viewers: viewers.map(presentUser),
    attachments: files.map(presentAttachment),
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    lastActivityAt: c.lastActivityAt.toISOString(),
  };
}

export const presentTemplate = (t: typeof noteTemplates.$inferSelect): TemplateDto => ({
  id: t.id,
  name: t.name,
  subject: t.subject,
  bodyHtml: sanitizeBody(t.bodyHtml),
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

type NotificationRow = Pick<typeof notifications.$inferSelect, 'id' | 'kind' | 'contextId' | 'groupId' | 'messageId' | 'linkId' | 'readAt'> & {
  /** A Date from the drivers, or toISOString()'s text from JSON made in the database. */
  createdAt: Date | string;
};

/**
 * A notification of the message list, as the list answers it and `notification:new` tells it:
 * the context's subject, the message's text (by the guest) and the guest it is about.
 */
export function presentNotification(
  n: NotificationRow,
  about: { subject: string; body: string | null; externalUser: { id: string; name: string; email: string } | null },
): NotificationDto {
  return {
    id: n.id,
    kind: n.kind,
    contextId: n.contextId,
    contextSubject: about.subject,
    groupId: n.groupId,
    message: n.messageId ? { id: n.messageId, body: about.body ?? '', authorName: about.externalUser?.name ?? '' } : null,
    externalUser: about.externalUser,
    linkId: n.linkId,
    createdAt: typeof n.createdAt === 'string' ? n.createdAt : n.createdAt.toISOString(),
    readAt: n.readAt?.toISOString() ?? null,
  };
}
