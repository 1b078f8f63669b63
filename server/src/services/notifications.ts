/**
 * Notifications in the internal users' message list: one per notified user for each external
 * message, and an access notification when a guest first signs in through a link.
 */
import { and, desc, eq, isNull, lt, sql, count } from 'drizzle-orm';
import type { MessageDto, NotificationDto } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { contexts, externalUsers, linkAccesses, messages, notifications } from '../db/schema.ts';
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
 * One notification per internal member of the group for each external message, for a round of
 * messages at once, in one statement whatever their number: the members are found, the rows
 * inserted (in the order of their messages, each with its own clock time) and what the list shows
 * of them read back together. The message's text and author come from the message itself.
 */
export async function notifyExternalMessages(
  db: Db,
  items: { message: MessageDto; contextId: string }[],
): Promise<{ userId: string; notification: NotificationDto }[]> {
  const external = items.filter((i) => i.message.author.kind === 'external');
  if (external.length === 0) return [];
  const input = JSON.stringify(
    external.map(({ message, contextId }, idx) => ({ idx, group_id: message.groupId, context_id: contextId, message_id: message.id, external_user_id: message.author.id })),
  );
  const result = await db.execute(sql`
    with input as (
      select * from json_to_recordset(${input}::json)
        as x(idx integer, group_id uuid, context_id uuid, message_id uuid, external_user_id uuid)
    ),
    inserted as (
      insert into notifications (user_id, kind, context_id, group_id, message_id, external_user_id, created_at)
      select gm.user_id, 'message', i.context_id, i.group_id, i.message_id, i.external_user_id, clock_timestamp()
      from input i join group_members gm on gm.group_id = i.group_id and gm.user_id is not null
      order by i.idx, gm.user_id
      returning id, user_id, context_id, group_id, message_id, external_user_id, created_at
    )
    select n.id, n.user_id, n.context_id, n.group_id, n.message_id, n.created_at, c.subject, e.id as ext_id, e.name as ext_name, e.email as ext_email
    from inserted n
    join contexts c on c.id = n.context_id
    left join external_users e on e.id = n.external_user_id
    order by n.created_at, n.id`);
  const rows = (result as unknown as { rows: InsertedNotification[] }).rows;
  const messagesById = new Map(external.map((i) => [i.message.id, i.message]));
  return rows.map((r) => {
    const message = messagesById.get(r.message_id)!;
    return {
      userId: r.user_id,
      notification: {
        id: r.id,
        kind: 'message',
        contextId: r.context_id,
        contextSubject: r.subject,
        groupId: r.group_id,
        message: { id: message.id, body: message.body, authorName: r.ext_name ?? message.author.name },
        externalUser: r.ext_id ? { id: r.ext_id, name: r.ext_name!, email: r.ext_email! } : null,
        linkId: null,
        createdAt: (r.created_at instanceof Date ? r.created_at : new Date(r.created_at)).toISOString(),
        readAt: null,
      },
    };
  });
}

interface InsertedNotification {
  id: string;
  user_id: string;
  context_id: string;
  group_id: string;
  message_id: string;
  created_at: Date | string;
  subject: string;
  ext_id: string | null;
  ext_name: string | null;
  ext_email: string | null;
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
