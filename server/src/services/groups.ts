/**
 * Groups made by internal users: "Crea gruppo", "unisci gruppi" and "aggiungi esterno". Each is
 * recorded in the context's public discussion.
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { GroupDto, MessageDto } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { chatLinks, externalUsers, groupMembers, groups, linkAccesses, messageSeqHistory, messages, users } from '../db/schema.ts';
import { AppError, badRequest, notFound } from '../http/errors.ts';
import type { InternalActor } from '../http/auth.ts';
import { messagesSince, readGroup, systemMessage } from './chat.ts';


export interface GroupChange {
  group: GroupDto;
  audit: MessageDto;
  /** Groups that no longer exist on their own (merged away). */
  merged: string[];
}

/** "Crea gruppo": an internal group of chosen viewers of the context (the creator always in). */
export async function createInternalGroup(db: Db, actor: InternalActor, contextId: string, input: { name: string; memberIds: string[] }): Promise<GroupChange> {
  const ids = [...new Set([actor.id, ...input.memberIds])];
  const known = await db.select({ id: users.id, name: users.name }).from(users).where(and(eq(users.orgId, actor.orgId), inArray(users.id, ids)));
  if (known.length !== ids.length) throw badRequest('Some members are not members of your organisation');
  return db.transaction(async (tx) => {
    const [group] = await tx.insert(groups).values({ contextId, kind: 'internal', name: input.name, createdBy: actor.id }).returning();
    await tx.insert(groupMembers).values(ids.map((userId) => ({ groupId: group!.id, userId })));
    const audit = await systemMessage(tx, contextId, `${actor.name} ha creato il gruppo «${input.name}» con ${known.map((u) => u.name).sort((a, b) => a.localeCompare(b)).join(', ')}.`);
    return { group: await readGroup(tx, group!.id), audit, merged: [] };
  });
}

/**
 * "Unisci gruppi": the oldest group receives the messages of the others, appended after its own
 * in time order with new sequence numbers (so that its members' resume points stay valid); the
 * old positions are kept so that members of the merged groups resume exactly. Every member of
 * every group becomes a member of the result and sees the whole history.
 */
export async function mergeGroups(db: Db, actor: InternalActor, contextId: string, groupIds: string[]): Promise<GroupChange> {
  const unique = [...new Set(groupIds)];
  if (unique.length < 2) throw badRequest('Choose at least two groups to merge');
  return db.transaction(async (tx) => {
    // Lock in a fixed order: two merges of overlapping groups wait for each other, never deadlock.
    const locked = await tx.select().from(groups).where(inArray(groups.id, unique)).orderBy(asc(groups.id)).for('update');
    if (locked.length !== unique.length || locked.some((g) => g.contextId !== contextId || g.mergedInto)) {
      throw notFound('Group');
    }
    if (locked.some((g) => g.kind === 'public')) throw badRequest('The public discussion cannot be merged');
    const ordered = [...locked].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    const target = ordered[0]!;
    const sources = ordered.slice(1);
    const sourceIds = sources.map((g) => g.id);
    const moving = await tx
      .select({ id: messages.id, groupId: messages.groupId, seq: messages.seq, clientId: messages.clientId })
      .from(messages)
      .where(inArray(messages.groupId, sourceIds))
      .orderBy(asc(messages.createdAt), asc(messages.groupId), asc(messages.seq));
    if (moving.length > 0) {
      await tx.insert(messageSeqHistory).values(moving.map((m) => ({ messageId: m.id, groupId: m.groupId, seq: m.seq })));
      const taken = new Set(
        (await tx.select({ clientId: messages.clientId }).from(messages).where(eq(messages.groupId, target.id))).map((r) => r.clientId),
      );
      const moves = moving.map((m, i) => {
        // Client ids are unique per group; a clash between merged groups gets a suffix.
        let clientId = m.clientId;
        if (taken.has(clientId)) clientId = `${clientId.slice(0, 40)}-m${m.groupId.slice(0, 8)}`;
        taken.add(clientId);
        return { id: m.id, seq: target.lastSeq + i + 1, client_id: clientId };
      });
      // One statement for the whole move; the new numbers are above every existing one, so the
      // (group, seq) index never sees a clash along the way.
      await tx.execute(sql`
        update ${messages} as m
           set group_id = ${target.id}, seq = u.seq, client_id = u.client_id
          from jsonb_to_recordset(${JSON.stringify(moves)}::jsonb) as u(id uuid, seq int, client_id text)
         where m.id = u.id`);
    }
    await tx
      .update(groups)
      .set({ lastSeq: target.lastSeq + moving.length, kind: sources.some((g) => g.kind === 'external') ? 'external' : target.kind })
      .where(eq(groups.id, target.id));
    await tx.update(groups).set({ mergedInto: target.id }).where(inArray(groups.id, sourceIds));
    // Members of the merged groups join the result; they keep the link they came through.
    const members = await tx.select().from(groupMembers).where(inArray(groupMembers.groupId, sourceIds));
    for (const m of members) {
      await tx
        .insert(groupMembers)
        .values({ groupId: target.id, userId: m.userId, externalUserId: m.externalUserId, linkId: m.linkId, lastReadSeq: 0 })
        .onConflictDoNothing();
    }
    const names = ordered.map((g) => `«${g.name || 'gruppo'}»`).join(', ');
    const audit = await systemMessage(tx, contextId, `${actor.name} ha unito i gruppi ${names}.`);
    return { group: await readGroup(tx, target.id), audit, merged: sourceIds };
  });
}

/** External users who signed in through one of the context's links: those that may be added. */
export async function externalCandidates(db: Db, contextId: string) {
  return db
    .selectDistinct({ id: externalUsers.id, name: externalUsers.name, email: externalUsers.email })
    .from(linkAccesses)
    .innerJoin(chatLinks, eq(chatLinks.id, linkAccesses.linkId))
    .innerJoin(externalUsers, eq(externalUsers.id, linkAccesses.externalUserId))
    .where(eq(chatLinks.contextId, contextId))
    .orderBy(asc(externalUsers.name));
}

/** "Aggiungi esterno": a guest who has already signed in through one of the context's links. */
export async function addExternalMember(db: Db, actor: InternalActor, groupId: string, contextId: string, externalUserId: string): Promise<GroupChange> {
  const [access] = await db
    .select({ linkId: linkAccesses.linkId, name: externalUsers.name, email: externalUsers.email })
    .from(linkAccesses)
    .innerJoin(chatLinks, eq(chatLinks.id, linkAccesses.linkId))
    .innerJoin(externalUsers, eq(externalUsers.id, linkAccesses.externalUserId))
    .where(and(eq(linkAccesses.externalUserId, externalUserId), eq(chatLinks.contextId, contextId)))
    .orderBy(sql`${chatLinks.expiresAt} desc`)
    .limit(1);
  if (!access) throw new AppError(404, 'not_found', 'This person has not signed in through a link of this context');
  return db.transaction(async (tx) => {
    const [group] = await tx.select().from(groups).where(and(eq(groups.id, groupId), isNull(groups.mergedInto))).for('update');
    if (!group || group.contextId !== contextId) throw notFound('Group');
    if (group.kind === 'public') throw badRequest('Guests cannot join the public discussion');
    const inserted = await tx
      .insert(groupMembers)
      .values({ groupId, externalUserId, linkId: access.linkId })
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) throw new AppError(409, 'conflict', `${access.name} is already in this group`);
    if (group.kind === 'internal') await tx.update(groups).set({ kind: 'external' }).where(eq(groups.id, groupId));
    const audit = await systemMessage(tx, contextId, `${actor.name} ha aggiunto ${access.name} (${access.email}) al gruppo «${group.name || 'gruppo'}».`);
    return { group: await readGroup(tx, groupId), audit, merged: [] };
  });
}

/**
 * Resume for a client that knew `fromGroupId` up to `sinceSeq` when that group now lives in
 * `liveGroupId`: every message it lacks, and the new numbers of those it has.
 */
export async function resumeAcrossMerge(db: Db, fromGroupId: string, liveGroupId: string, sinceSeq: number) {
  const known = await db
    .select({ id: messageSeqHistory.messageId })
    .from(messageSeqHistory)
    .where(and(eq(messageSeqHistory.groupId, fromGroupId), sql`${messageSeqHistory.seq} <= ${sinceSeq}`));
  const knownIds = known.map((k) => k.id);
  const remap = knownIds.length
    ? await db.select({ id: messages.id, seq: messages.seq }).from(messages).where(inArray(messages.id, knownIds))
    : [];
  const knownSet = new Set(knownIds);
  const missing: MessageDto[] = [];
  let since = 0;
  for (;;) {
    const page = await messagesSince(db, liveGroupId, since, 200);
    missing.push(...page.messages.filter((m) => !knownSet.has(m.id)));
    if (!page.hasMore || page.messages.length === 0) return { messages: missing, hasMore: false, remap };
    since = page.messages.at(-1)!.seq;
    // A long history comes in pages: the client asks for the rest by the live group's numbers.
    if (missing.length >= 200) return { messages: missing, hasMore: true, remap };
  }
}
