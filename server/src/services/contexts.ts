/** Contexts (email, note, event) and their viewers. */
import { and, asc, count, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { ContextCreate, ContextUpdate, ContextDto, ContextSummaryDto, Page } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { attachments, chatLinks, contexts, contextViewers, externalUsers, groups, messages, notifications, users } from '../db/schema.ts';
import { badRequest, conflict, notFound } from '../http/errors.ts';
import type { InternalActor } from '../http/auth.ts';
import type { ContextRow } from '../policies/contextPolicy.ts';
import { presentContext, presentContextSummary } from '../presenters/index.ts';

function emailColumns(email: ContextCreate['email']) {
  return email ? { emailFrom: email.from ?? null, emailTo: email.to, emailCc: email.cc } : {};
}

function eventColumns(event: ContextCreate['event']) {
  return event
    ? {
        eventStart: new Date(event.start),
        eventEnd: new Date(event.end),
        eventTimeZone: event.timeZone,
        eventLocation: event.location,
        eventInvite: event.invite,
        eventAttendees: event.attendees,
      }
    : {};
}

/** Checks that every id is a user of the actor's organisation. */
async function assertOrgUsers(db: Db, orgId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.orgId, orgId), inArray(users.id, ids)));
  if (found.length !== new Set(ids).size) throw badRequest('Some viewers are not members of your organisation');
}

export async function createContext(db: Db, actor: InternalActor, input: ContextCreate): Promise<ContextDto> {
  const viewerIds = [...new Set([actor.id, ...input.viewerIds])];
  await assertOrgUsers(db, actor.orgId, viewerIds);
  const id = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(contexts)
      .values({
        orgId: actor.orgId,
        kind: input.kind,
        subject: input.subject,
        bodyHtml: input.bodyHtml,
        ...(input.kind === 'email' ? { emailFrom: actor.email, emailTo: [], emailCc: [] } : {}),
        ...emailColumns(input.email),
        ...eventColumns(input.event),
        createdBy: actor.id,
      })
      .returning({ id: contexts.id });
    await tx.insert(contextViewers).values(viewerIds.map((userId) => ({ contextId: row!.id, userId })));
    return row!.id;
  });
  return readContext(db, id);
}

export async function readContext(db: Db, id: string): Promise<ContextDto> {
  const [context] = await db.select().from(contexts).where(eq(contexts.id, id));
  if (!context) throw notFound('Context');
  const viewers = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(contextViewers)
    .innerJoin(users, eq(users.id, contextViewers.userId))
    .where(eq(contextViewers.contextId, id))
    .orderBy(asc(users.name));
  const files = await db
    .select()
    .from(attachments)
    // The body's own files; those sent in the chat belong to their messages.
    .where(and(eq(attachments.contextId, id), isNull(attachments.messageId), eq(attachments.complete, true)))
    .orderBy(asc(attachments.createdAt));
  return presentContext(context, viewers, files);
}

function encodeCursor(c: { lastActivityAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([c.lastActivityAt.toISOString(), c.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw badRequest('Invalid cursor');
  }
}

/** The contexts the actor views, newest activity first, keyset-paged. */
export async function listContexts(
  db: Db,
  actor: InternalActor,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<ContextSummaryDto>> {
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const rows = await db
    .select({ context: contexts })
    .from(contextViewers)
    .innerJoin(contexts, eq(contexts.id, contextViewers.contextId))
    .where(
      and(
        eq(contextViewers.userId, actor.id),
        after
          ? or(lt(contexts.lastActivityAt, after.at), and(eq(contexts.lastActivityAt, after.at), lt(contexts.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(desc(contexts.lastActivityAt), desc(contexts.id))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit).map((r) => r.context);
  const last = items.at(-1);
  const extras = await summaryExtras(db, actor.id, items.map((c) => c.id));
  return {
    items: items.map((c) => presentContextSummary(c, extras.get(c.id))),
    nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null,
  };
}

/** Last message, unread badge and lock state of a page of contexts, in three set queries. */
async function summaryExtras(db: Db, userId: string, ids: string[]) {
  const result = new Map<string, Pick<ContextSummaryDto, 'lastMessage' | 'unread' | 'chatActive'>>(
    ids.map((id) => [id, { lastMessage: null, unread: 0, chatActive: false }]),
  );
  if (ids.length === 0) return result;
  const idList = sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `);
  const lastRows = await db.execute<{ context_id: string; body: string; author: string | null; created_at: string | Date }>(sql`
    select distinct on (g.context_id) g.context_id, m.body, coalesce(u.name, e.name) as author, m.created_at
      from ${messages} m
      join ${groups} g on g.id = m.group_id
      left join ${users} u on u.id = m.author_user_id
      left join ${externalUsers} e on e.id = m.author_external_id
     where g.context_id in (${idList}) and m.author_kind <> 'system'
     order by g.context_id, m.created_at desc`);
  for (const r of rowsOf<{ context_id: string; body: string; author: string | null; created_at: string | Date }>(lastRows)) {
    result.get(r.context_id)!.lastMessage = { body: r.body.slice(0, 200), authorName: r.author ?? '', createdAt: new Date(r.created_at).toISOString() };
  }
  const unreadRows = await db
    .select({ contextId: notifications.contextId, n: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), inArray(notifications.contextId, ids)))
    .groupBy(notifications.contextId);
  for (const r of unreadRows) result.get(r.contextId)!.unread = r.n;
  const active = await db
    .selectDistinct({ contextId: chatLinks.contextId })
    .from(chatLinks)
    .where(and(inArray(chatLinks.contextId, ids), gt(chatLinks.expiresAt, new Date())));
  for (const r of active) result.get(r.contextId!)!.chatActive = true;
  return result;
}

/** Rows of a raw query on either driver (node-postgres answers `rows`, PGlite too). */
function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

export async function updateContext(db: Db, context: ContextRow, input: ContextUpdate): Promise<ContextDto> {
  if (input.email && context.kind !== 'email') throw badRequest('Only an email has email fields');
  if (input.event && context.kind !== 'event') throw badRequest('Only an event has event fields');
  await db
    .update(contexts)
    .set({
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      ...(input.bodyHtml !== undefined ? { bodyHtml: input.bodyHtml } : {}),
      ...emailColumns(input.email),
      ...eventColumns(input.event),
      updatedAt: new Date(),
      lastActivityAt: new Date(),
    })
    .where(eq(contexts.id, context.id));
  return readContext(db, context.id);
}

export async function addViewer(db: Db, actor: InternalActor, context: ContextRow, userId: string): Promise<ContextDto> {
  const [user] = await db.select({ orgId: users.orgId }).from(users).where(eq(users.id, userId));
  if (!user || user.orgId !== actor.orgId) throw notFound('User');
  await db.insert(contextViewers).values({ contextId: context.id, userId }).onConflictDoNothing();
  return readContext(db, context.id);
}

export async function removeViewer(db: Db, context: ContextRow, userId: string): Promise<ContextDto> {
  await db.transaction(async (tx) => {
    // Lock the context row so that two concurrent removals cannot both pass the last-viewer check.
    await tx.execute(sql`select id from ${contexts} where ${contexts.id} = ${context.id} for update`);
    const viewers = await tx
      .select({ userId: contextViewers.userId })
      .from(contextViewers)
      .where(eq(contextViewers.contextId, context.id));
    if (!viewers.some((v) => v.userId === userId)) throw notFound('Viewer');
    if (viewers.length === 1) throw conflict('A context keeps at least one viewer', 'last_viewer');
    await tx.delete(contextViewers).where(and(eq(contextViewers.contextId, context.id), eq(contextViewers.userId, userId)));
  });
  return readContext(db, context.id);
}
