/**
 * Who may read and write a group. Internal users: every viewer of the group's context (groups
 * are "pubblico internamente"). External users: only the groups they are members of, and they
 * write only while the link they came through is open.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { chatLinks, contexts, groupMembers, groups } from '../db/schema.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { ExternalActor, InternalActor } from '../http/auth.ts';
import type { GroupRow } from '../presenters/chat.ts';
import { isViewer } from './contextPolicy.ts';

export type ChatActor = InternalActor | ExternalActor;

export interface GroupAccess {
  group: Pick<GroupRow, 'id' | 'contextId' | 'kind'>;
  /** For a guest: the link whose expiry decides whether they may write. */
  link: { id: string; expiresAt: Date; showBody: boolean } | null;
}

export const linkClosed = () => new AppError(403, 'link_closed', 'Questa chat è chiusa: il link è scaduto');

/** Follows merges to the live group: a client holding an old id lands where the messages went. */
async function liveGroup(db: Db, groupId: string): Promise<GroupRow | null> {
  let id: string | null = groupId;
  for (let hops = 0; id && hops < 20; hops++) {
    const [g]: GroupRow[] = await db.select().from(groups).where(eq(groups.id, id));
    if (!g) return null;
    if (!g.mergedInto) return g;
    id = g.mergedInto;
  }
  return null;
}

export async function authorizeGroup(db: Db, actor: ChatActor, groupId: string): Promise<GroupAccess> {
  const row = await liveGroup(db, groupId);
  if (!row) throw notFound('Group');
  // Only what the checks need: sockets cache this per group for as long as they live.
  const group = { id: row.id, contextId: row.contextId, kind: row.kind };
  if (actor.kind === 'internal') {
    const [context] = await db.select({ orgId: contexts.orgId }).from(contexts).where(eq(contexts.id, group.contextId));
    if (!context || context.orgId !== actor.orgId) throw notFound('Group');
    if (!(await isViewer(db, actor.id, group.contextId))) throw new AppError(403, 'forbidden', 'You are not a viewer of this context');
    return { group, link: null };
  }
  const [member] = await db
    .select({ linkId: groupMembers.linkId })
    .from(groupMembers)
    .where(and(eq(groupMembers.groupId, group.id), eq(groupMembers.externalUserId, actor.id)));
  // A guest never learns whether a group they are not in exists.
  if (!member) throw notFound('Group');
  const [link] = member.linkId
    ? await db.select({ id: chatLinks.id, expiresAt: chatLinks.expiresAt, showBody: chatLinks.showBody }).from(chatLinks).where(eq(chatLinks.id, member.linkId))
    : [];
  return { group, link: link ?? { id: '', expiresAt: new Date(0), showBody: false } };
}

export function assertCanWrite(access: GroupAccess, now = Date.now()): void {
  if (access.link && now >= access.link.expiresAt.getTime()) throw linkClosed();
}
