/**
 * Notifications in the internal users' message list: one per internal member of the group for
 * each external message (written with the message itself), and an access notification when a
 * guest first signs in through a link.
 */
import { and, desc, eq, isNull, lt, sql, count } from 'drizzle-orm';
import type { MessageDto, NotificationDto } from '@chatpro/common';
import type { Db, Tx } from '../db/index.ts';
import { contexts, externalUsers, linkAccesses, messages, notifications } from '../db/schema.ts';
import type { LinkRow } from '../presenters/chat.ts';
import { presentNotification } from '../presenters/index.ts';
import { notifiedUsers } from './chat.ts';
import { isoTimeSql } from './time.ts';

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
  return full.map((r) =>
    presentNotification(r.n, { subject: r.subject, body: r.body, externalUser: r.extId ? { id: r.extId, name: r.extName!, email: r.extEmail! } : null }),
  );
}

/**
 * The notifications of one message, as the statement that stored it read them back: each row's
 * id, user and time (toISOString's form, which the list answers too).
 */
export interface NotifiedRow {
  id: string;
  userId: string;
  createdAt: string;
}

/**
 * SQL: inserts a notification for each internal member of the group of each external message of
 * `messages` (a relation of id, group_id, context_id, author_external_id and order_key), in order,
 * each with its own clock time, and returns them. Run in the statement or transaction that stores
 * the messages: a message is never stored without the notifications it makes, whatever happens to
 * the process after its commit.
 */
export const insertNotificationsSql = (messages: string) => `
    insert into notifications (user_id, kind, context_id, group_id, message_id, external_user_id, created_at)
    select gm.user_id, 'message', m.context_id, m.group_id, m.id, m.author_external_id, clock_timestamp()
    from ${messages} m
    join group_members gm on gm.group_id = m.group_id and gm.user_id is not null
    where m.author_external_id is not null
    order by m.order_key, gm.user_id
    returning id, user_id, message_id, created_at`;

/** SQL: a NotifiedRow[] as JSON, of the rows `n` returned by insertNotificationsSql. */
export const notifiedJsonSql = `json_agg(json_build_object(
      'id', n.id, 'userId', n.user_id, 'createdAt', ${isoTimeSql('n.created_at')}
    ) order by n.created_at, n.id)`;

/** The `notification:new` of each notified user for an external message, as the list presents them. */
export function presentMessageNotifications(
  message: MessageDto,
  contextId: string,
  notified: NotifiedRow[] | string | null,
  about: { subject: string; externalName: string; externalEmail: string },
): { userId: string; notification: NotificationDto }[] {
  // JSON arrives parsed from node-postgres and drizzle, as text through PGlite's wire protocol.
  const rows: NotifiedRow[] = typeof notified === 'string' ? (JSON.parse(notified) as NotifiedRow[]) : (notified ?? []);
  const externalUser = { id: message.author.id!, name: about.externalName, email: about.externalEmail };
  return rows.map((r) => ({
    userId: r.userId,
    notification: presentNotification(
      { id: r.id, kind: 'message', contextId, groupId: message.groupId, messageId: message.id, linkId: null, createdAt: r.createdAt, readAt: null },
      { subject: about.subject, body: message.body, externalUser },
    ),
  }));
}

/**
 * The notifications of one external message stored in `tx` (the path of a message with files,
 * a guest's first message, a replay): one statement that inserts them and reads what they show.
 */
export async function notifyMessage(tx: Tx, message: MessageDto, contextId: string): Promise<{ userId: string; notification: NotificationDto }[]> {
  if (message.author.kind !== 'external' || !message.author.id) return [];
  const result = await tx.execute(sql`
    with one as (
      select ${message.id}::uuid as id, ${message.groupId}::uuid as group_id, ${contextId}::uuid as context_id,
        ${message.author.id}::uuid as author_external_id, 0 as order_key
    ),
    n as (${sql.raw(insertNotificationsSql('one'))})
    select (select ${sql.raw(notifiedJsonSql)} from n) as notified, c.subject, e.name as external_name, e.email as external_email
    from contexts c, external_users e
    where c.id = ${contextId} and e.id = ${message.author.id}`);
  const [row] = (result as unknown as { rows: { notified: NotifiedRow[] | string | null; subject: string; external_name: string; external_email: string }[] }).rows;
  if (!row) return [];
  return presentMessageNotifications(message, contextId, row.notified, { subject: row.subject, externalName: row.external_name, externalEmail: row.external_email });
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
