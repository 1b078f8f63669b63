/**
 * Notifications in the internal users' message list: one per notified user for each external
 * message, and an access notification when a guest first signs in through a link.
 */
import { and, desc, eq, inArray, isNotNull, isNull, lt, sql, count } from 'drizzle-orm';
import type { MessageDto, NotificationDto } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { contexts, externalUsers, groupMembers, linkAccesses, messages, notifications } from '../db/schema.ts';
import type { LinkRow } from '../presenters/chat.ts';
import { notifiedUsers } from './chat.ts';

type NotificationRow = typeof notifications.$inferSelect;

async function present(db: Db, rows: NotificationRow[]): Promise<NotificationDto[]> {
  if (rows.length === 0) return [];
  const full = await db
    .select({
      n: notifications,
      subject: contexts.subject,
      body: messages.body,
      extId: externalUsers.id,
      extName: externalUsers.name,
      extEmail: externalUsers.email,
    })
    .from(notifications)
    .innerJoin(contexts, eq(contexts.id, notifications.contextId))
    .leftJoin(messages, eq(messages.id, notifications.messageId))
    .leftJoin(externalUsers, eq(externalUsers.id, notifications.externalUserId))
    .where(sql`${notifications.id} in ${rows.map((r) => r.id)}`)
    .orderBy(desc(notifications.createdAt), desc(notifications.id));
  return full.map((r) => ({
    id: r.n.id,
    kind: r.n.kind,
    contextId: r.n.contextId,
    contextSubject: r.subject,
    groupId: r.n.groupId,
    message: r.n.messageId ? { id: r.n.messageId, body: r.body ?? '', authorName: r.extName ?? '' } : null,
    externalUser: r.extId ? { id: r.extId, name: r.extName!, email: r.extEmail! } : null,
    linkId: r.n.linkId,
    createdAt: r.n.createdAt.toISOString(),
    readAt: r.n.readAt?.toISOString() ?? null,
  }));
}

/**
 * One notification per internal member of the group for each external message, for a tick's
 * messages at once: one read of the members, one insert, one read of what to show.
 */
export async function notifyExternalMessages(
  db: Db,
  items: { message: MessageDto; contextId: string }[],
): Promise<{ userId: string; notification: NotificationDto }[]> {
  const external = items.filter((i) => i.message.author.kind === 'external');
  if (external.length === 0) return [];
  const members = await db
    .select({ groupId: groupMembers.groupId, userId: groupMembers.userId })
    .from(groupMembers)
    .where(and(inArray(groupMembers.groupId, [...new Set(external.map((i) => i.message.groupId))]), isNotNull(groupMembers.userId)));
  const byGroup = new Map<string, string[]>();
  for (const m of members) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m.userId!]);
  const values = external.flatMap(({ message, contextId }) =>
    (byGroup.get(message.groupId) ?? []).map((userId) => ({
      userId,
      kind: 'message' as const,
      contextId,
      groupId: message.groupId,
      messageId: message.id,
      externalUserId: message.author.id,
      // Per row, so that a tick's notifications keep the order of their messages.
      createdAt: sql`clock_timestamp()`,
    })),
  );
  if (values.length === 0) return [];
  const rows = await db.insert(notifications).values(values).returning();
  const dtos = new Map((await present(db, rows)).map((d) => [d.id, d]));
  return rows.map((r) => ({ userId: r.userId, notification: dtos.get(r.id)! }));
}

/**
 * "Notifica accesso": the first time a guest opens a link signed in, the link's notified users
 * learn who came, so that they can add that person to a group. Answers nothing on later visits.
 */
export async function recordAccess(db: Db, link: LinkRow, externalUserId: string): Promise<{ userId: string; notification: NotificationDto }[]> {
  const inserted = await db.insert(linkAccesses).values({ linkId: link.id, externalUserId }).onConflictDoNothing().returning();
  if (inserted.length === 0 || !link.contextId) return [];
  const userIds = await notifiedUsers(db, link, link.contextId);
  if (userIds.length === 0) return [];
  const rows = await db
    .insert(notifications)
    .values(userIds.map((userId) => ({ userId, kind: 'access' as const, contextId: link.contextId!, linkId: link.id, externalUserId })))
    .returning();
  const dtos = await present(db, rows);
  return rows.map((r) => ({ userId: r.userId, notification: dtos.find((d) => d.id === r.id)! }));
}

export async function listNotifications(
  db: Db,
  userId: string,
  opts: { unreadOnly: boolean; limit: number; before?: string | undefined },
): Promise<{ items: NotificationDto[]; unread: number }> {
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        opts.unreadOnly ? isNull(notifications.readAt) : undefined,
        opts.before ? lt(notifications.createdAt, new Date(opts.before)) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(opts.limit);
  const [unread] = await db
    .select({ n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return { items: await present(db, rows), unread: unread!.n };
}

/** Marks one notification read, or every notification of a context (opening it reads them). */
export async function markNotificationsRead(db: Db, userId: string, which: { id?: string; contextId?: string; all?: boolean }): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(
      and(
        eq(notifications.userId, userId),
        isNull(notifications.readAt),
        which.id ? eq(notifications.id, which.id) : undefined,
        which.contextId ? eq(notifications.contextId, which.contextId) : undefined,
      ),
    )
    .returning({ id: notifications.id });
  return rows.length;
}
