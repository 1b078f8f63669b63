/**
 * Groups and messages. The send path is one insert that takes the group's next sequence number
 * in the same transaction (a row lock on that group only); reads walk the (group, seq) index.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { AuthorDto, GroupDto, MemberDto, MessageDto, NotificationDto } from '@chatpro/common';
import type { Db, Tx } from '../db/index.ts';
import {
  attachments,
  chatLinkNotify,
  contexts,
  contextViewers,
  externalUsers,
  groupMembers,
  groups,
  messages,
  noteTemplates,
  users,
} from '../db/schema.ts';
import { AppError, badRequest, notFound } from '../http/errors.ts';
import { presentGroup, presentMessage, type GroupRow, type LinkRow } from '../presenters/chat.ts';
import { notifyMessage } from './notifications.ts';
import { isoTimeSql } from './time.ts';

export interface Author {
  kind: 'internal' | 'external' | 'system';
  id: string | null;
  name: string;
}

export const authorDto = (a: Author): AuthorDto => ({ kind: a.kind, id: a.id, name: a.name });

/** The public discussion of a context, made on first use. */
export async function ensurePublicGroup(db: Db | Tx, contextId: string): Promise<GroupRow> {
  const [existing] = await db
    .select()
    .from(groups)
    .where(and(eq(groups.contextId, contextId), eq(groups.kind, 'public')));
  if (existing) return existing;
  await db.insert(groups).values({ contextId, kind: 'public', name: '' }).onConflictDoNothing();
  const [row] = await db
    .select()
    .from(groups)
    .where(and(eq(groups.contextId, contextId), eq(groups.kind, 'public')));
  return row!;
}

export async function groupMembersOf(db: Db | Tx, groupIds: string[]): Promise<Map<string, MemberDto[]>> {
  const result = new Map<string, MemberDto[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const rows = await db
    .select({
      groupId: groupMembers.groupId,
      lastReadSeq: groupMembers.lastReadSeq,
      userId: users.id,
      userName: users.name,
      userEmail: users.email,
      extId: externalUsers.id,
      extName: externalUsers.name,
      extEmail: externalUsers.email,
    })
    .from(groupMembers)
    .leftJoin(users, eq(users.id, groupMembers.userId))
    .leftJoin(externalUsers, eq(externalUsers.id, groupMembers.externalUserId))
    .where(inArray(groupMembers.groupId, groupIds))
    .orderBy(asc(groupMembers.joinedAt));
  for (const r of rows) {
    const member: MemberDto | null = r.userId
      ? { kind: 'internal', id: r.userId, name: r.userName!, email: r.userEmail!, lastReadSeq: r.lastReadSeq }
      : r.extId
        ? { kind: 'external', id: r.extId, name: r.extName!, email: r.extEmail!, lastReadSeq: r.lastReadSeq }
        : null;
    if (member) result.get(r.groupId)!.push(member);
  }
  return result;
}

export async function readGroup(db: Db | Tx, groupId: string): Promise<GroupDto> {
  const [g] = await db.select().from(groups).where(eq(groups.id, groupId));
  if (!g) throw notFound('Group');
  const members = await groupMembersOf(db, [g.id]);
  return presentGroup(g, members.get(g.id)!);
}

/** Every live group of a context: the public discussion first, then the others, oldest first. */
export async function listGroups(db: Db, contextId: string): Promise<GroupDto[]> {
  await ensurePublicGroup(db, contextId);
  const rows = await db
    .select()
    .from(groups)
    .where(and(eq(groups.contextId, contextId), isNull(groups.mergedInto)))
    .orderBy(sql`${groups.kind} = 'public' desc`, asc(groups.createdAt));
  const members = await groupMembersOf(
    db,
    rows.map((g) => g.id),
  );
  return rows.map((g) => presentGroup(g, members.get(g.id)!));
}

/** The internal users a link notifies: its list, or every viewer of the context when empty. */
export async function notifiedUsers(db: Db | Tx, link: LinkRow, contextId: string): Promise<string[]> {
  const listed = await db.select({ userId: chatLinkNotify.userId }).from(chatLinkNotify).where(eq(chatLinkNotify.linkId, link.id));
  if (listed.length > 0) return listed.map((r) => r.userId);
  const viewers = await db.select({ userId: contextViewers.userId }).from(contextViewers).where(eq(contextViewers.contextId, contextId));
  return viewers.map((r) => r.userId);
}

/** The live group a guest writes in through a link, if they have written before. */
export async function findGuestGroup(db: Db | Tx, linkId: string, externalUserId: string): Promise<GroupRow | null> {
  const [row] = await db
    .select({ group: groups })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(and(eq(groupMembers.externalUserId, externalUserId), eq(groupMembers.linkId, linkId), isNull(groups.mergedInto)))
    // Added to another group later ("aggiungi esterno"): the newest membership is the one shown.
    .orderBy(desc(groupMembers.joinedAt))
    .limit(1);
  return row?.group ?? null;
}

export interface OpenedGroup {
  group: GroupRow;
  created: boolean;
  /** Set when a template link made a new note for this guest. */
  createdContextId: string | null;
  internalMemberIds: string[];
}

/**
 * The guest's group for a link, made on their first message: in the link's context, or in a
 * new note made from the link's template. Members: the link's notify list (or all viewers) and
 * the guest. Serialized per (link, guest) so that two first messages make one group.
 */
export async function openGuestGroup(tx: Tx, link: LinkRow, guest: { id: string; name: string }): Promise<OpenedGroup> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${link.id}:${guest.id}`}, 0))`);
  const existing = await findGuestGroup(tx, link.id, guest.id);
  if (existing) return { group: existing, created: false, createdContextId: null, internalMemberIds: [] };
  let contextId = link.contextId;
  let createdContextId: string | null = null;
  let internal: string[];
  if (!contextId) {
    const [template] = await tx.select().from(noteTemplates).where(eq(noteTemplates.id, link.templateId!));
    if (!template) throw notFound('Template');
    const participants = (await tx.select({ userId: chatLinkNotify.userId }).from(chatLinkNotify).where(eq(chatLinkNotify.linkId, link.id))).map(
      (r) => r.userId,
    );
    // A configuration without participants reaches whoever made it, else the whole organisation.
    internal = participants.length > 0 ? participants : link.createdBy ? [link.createdBy] : (await tx.select({ id: users.id }).from(users).where(eq(users.orgId, link.orgId))).map((u) => u.id);
    const [note] = await tx
      .insert(contexts)
      .values({
        orgId: link.orgId,
        kind: 'note',
        subject: template.subject,
        bodyHtml: template.bodyHtml,
        templateId: template.id,
        createdBy: null,
      })
      .returning({ id: contexts.id });
    contextId = note!.id;
    createdContextId = contextId;
    if (internal.length > 0) await tx.insert(contextViewers).values(internal.map((userId) => ({ contextId: contextId!, userId })));
  } else {
    internal = await notifiedUsers(tx, link, contextId);
  }
  const [group] = await tx.insert(groups).values({ contextId, kind: 'external', name: guest.name, linkId: link.id }).returning();
  await tx.insert(groupMembers).values([
    ...internal.map((userId) => ({ groupId: group!.id, userId })),
    { groupId: group!.id, externalUserId: guest.id, linkId: link.id },
  ]);
  return { group: group!, created: true, createdContextId, internalMemberIds: internal };
}

export interface StoredMessage {
  message: MessageDto;
  /** False when the client id had been used already: the earlier message is answered. */
  created: boolean;
  contextId: string;
  /** The notifications the message made (stored with it), for whom to tell live; none when not created. */
  notifications: { userId: string; notification: NotificationDto }[];
}

async function existingByClientId(db: Db | Tx, groupId: string, clientId: string, author: Author): Promise<MessageDto | null> {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.groupId, groupId), eq(messages.clientId, clientId)));
  if (!row) return null;
  const sameAuthor =
    row.authorKind === author.kind && (author.kind === 'internal' ? row.authorUserId === author.id : row.authorExternalId === author.id);
  if (!sameAuthor) throw new AppError(409, 'conflict', 'This client id was used by someone else');
  const files = await db.select().from(attachments).where(eq(attachments.messageId, row.id)).orderBy(asc(attachments.position), asc(attachments.createdAt));
  return presentMessage(row, authorDto(author), files);
}

/**
 * Stores a message: next sequence number and insert in one transaction, attachments claimed by
 * their uploader. A client id seen before answers the stored message instead of a duplicate.
 */
export async function storeMessage(
  db: Db,
  input: { group: Pick<GroupRow, 'id' | 'contextId'>; author: Author; clientId: string; body: string; attachmentIds: string[] },
  tx?: Tx,
): Promise<StoredMessage> {
  const { group, author, clientId } = input;
  const body = input.body.trim();
  const run = async (t: Tx): Promise<StoredMessage> => {
    const earlier = await existingByClientId(t, group.id, clientId, author);
    if (earlier) return { message: earlier, created: false, contextId: group.contextId, notifications: [] };
    const [seqRow] = await t
      .update(groups)
      .set({ lastSeq: sql`${groups.lastSeq} + 1` })
      .where(and(eq(groups.id, group.id), isNull(groups.mergedInto)))
      .returning({ seq: groups.lastSeq });
    if (!seqRow) throw new AppError(409, 'conflict', 'This group was merged into another one; reload the conversation');
    const [row] = await t
      .insert(messages)
      .values({
        groupId: group.id,
        seq: seqRow.seq,
        clientId,
        authorKind: author.kind,
        authorUserId: author.kind === 'internal' ? author.id : null,
        authorExternalId: author.kind === 'external' ? author.id : null,
        body,
      })
      .returning();
    let files: (typeof attachments.$inferSelect)[] = [];
    if (input.attachmentIds.length > 0) {
      const uploader = author.kind === 'internal' ? eq(attachments.uploadedByUserId, author.id!) : eq(attachments.uploadedByExternalId, author.id!);
      files = await t
        .update(attachments)
        .set({ messageId: row!.id, contextId: group.contextId })
        .where(and(inArray(attachments.id, input.attachmentIds), isNull(attachments.messageId), eq(attachments.complete, true), uploader))
        .returning();
      if (files.length !== new Set(input.attachmentIds).size) throw badRequest('Some attachments are unknown, not yours, or already sent');
      // Keep the order the sender listed them in.
      files.sort((a, b) => input.attachmentIds.indexOf(a.id) - input.attachmentIds.indexOf(b.id));
      for (const [position, f] of files.entries()) {
        if (f.position !== position) await t.update(attachments).set({ position }).where(eq(attachments.id, f.id));
        f.position = position;
      }
    }
    const message = presentMessage(row!, authorDto(author), files);
    return { message, created: true, contextId: group.contextId, notifications: await notifyMessage(t, message, group.contextId) };
  };
  if (tx) return run(tx);
  try {
    return await db.transaction(run);
  } catch (err) {
    // Two sends of one client id at once: the loser of the unique index answers the winner's message.
    if ((err as { code?: string; cause?: { code?: string } })?.code === '23505' || (err as { cause?: { code?: string } })?.cause?.code === '23505') {
      const earlier = await existingByClientId(db, group.id, clientId, author);
      if (earlier) return { message: earlier, created: false, contextId: group.contextId, notifications: [] };
    }
    throw err;
  }
}


/**
 * Messages after `sinceSeq`, in order, at most `limit`; `hasMore` says there are others after.
 * One statement that answers the page as one JSON text, attachments included: a resume after
 * a long absence is a few round trips, and neither driver decodes a thousand rows field by field
 * (PGlite's row decoding was most of the cost). The shape is presentMessage's, exactly.
 */
export async function messagesSince(db: Db | Tx, groupId: string, sinceSeq: number, limit: number): Promise<{ messages: MessageDto[]; hasMore: boolean }> {
  const result = (await db.execute(sql`
    select coalesce(json_agg(json_build_object(
      'id', m.id,
      'groupId', m.group_id,
      'seq', m.seq,
      'clientId', m.client_id,
      'author', json_build_object(
        'kind', m.author_kind,
        'id', coalesce(m.author_user_id, m.author_external_id),
        'name', case when m.author_kind = 'system' then 'ChatPro' else coalesce(u.name, e.name, '—') end),
      'body', m.body,
      'attachments', coalesce((
        select json_agg(json_build_object(
          'id', a.id,
          'fileName', a.file_name,
          'contentType', a.content_type,
          'size', a.size,
          'url', '/api/attachments/' || a.id,
          'createdAt', ${sql.raw(isoTimeSql('a.created_at'))}) order by a.position, a.created_at)
        from ${attachments} a
        where a.message_id = m.id and a.complete), '[]'::json),
      'createdAt', ${sql.raw(isoTimeSql('m.created_at'))}) order by m.seq), '[]'::json)::text as page
    from (
      select * from ${messages}
      where group_id = ${groupId} and seq > ${sinceSeq}
      order by seq
      limit ${limit + 1}
    ) m
    left join ${users} u on u.id = m.author_user_id
    left join ${externalUsers} e on e.id = m.author_external_id`)) as unknown as { rows: { page: string }[] };
  const rows = JSON.parse(result.rows[0]!.page) as MessageDto[];
  return { messages: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** Records how far a member has read; never moves backwards. */
export async function markRead(db: Db, groupId: string, member: { kind: 'internal' | 'external'; id: string }, seq: number): Promise<number | null> {
  const who = member.kind === 'internal' ? eq(groupMembers.userId, member.id) : eq(groupMembers.externalUserId, member.id);
  const [row] = await db
    .update(groupMembers)
    .set({ lastReadSeq: sql`greatest(${groupMembers.lastReadSeq}, least(${seq}, (select ${groups.lastSeq} from ${groups} where ${groups.id} = ${groupId})))` })
    .where(and(eq(groupMembers.groupId, groupId), who))
    .returning({ lastReadSeq: groupMembers.lastReadSeq });
  return row?.lastReadSeq ?? null;
}

/**
 * The contexts had activity: each one's time becomes its newest message's, never earlier than it
 * was (another process's round may come later with older messages). One statement for any number
 * of them; their row locks are taken in id order first (`locked`, read in full before the
 * update), as the send batch takes its groups', so that two processes' rounds never deadlock.
 */
export async function touchContexts(db: Db, activity: { contextId: string; at: string }[]): Promise<void> {
  if (activity.length === 0) return;
  const latest = new Map<string, string>();
  for (const { contextId, at } of activity) if (!latest.has(contextId) || at > latest.get(contextId)!) latest.set(contextId, at);
  const input = JSON.stringify([...latest].map(([id, at]) => ({ id, at })));
  await db.execute(sql`
    with x as (select * from json_to_recordset(${input}::json) as x(id uuid, at timestamptz)),
    locked as (select c.id from contexts c where c.id in (select id from x) order by c.id for no key update)
    update contexts c set last_activity_at = greatest(c.last_activity_at, x.at)
    from x
    where c.id = x.id and c.id in (select id from locked)`);
}

/** A system message in the context's public discussion (audit of settings, groups). */
export async function systemMessage(tx: Tx, contextId: string, text: string): Promise<MessageDto> {
  const publicGroup = await ensurePublicGroup(tx, contextId);
  const stored = await storeMessage(
    tx as unknown as Db,
    { group: publicGroup, author: { kind: 'system', id: null, name: 'ChatPro' }, clientId: `sys-${randomBytes(12).toString('base64url')}`, body: text, attachmentIds: [] },
    tx,
  );
  return stored.message;
}
