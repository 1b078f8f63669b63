/**
 * "Non ricevere più email per questa conversazione": a signed link per group member that works
 * without signing in. Opening it asks for a confirmation (link scanners of mail services open
 * every link); confirming, or a one-click POST (RFC 8058), turns the member's emails off.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { chatLinks, groupMembers, groups, guestEmailQueue } from '../db/schema.ts';
import { signId, verifyId } from './signing.ts';

const SIG_LENGTH = 32;

export const unsubscribeToken = (secret: string, memberId: string) => signId(secret, 'unsubscribe', memberId, SIG_LENGTH);

export const unsubscribeUrl = (publicUrl: string, secret: string, memberId: string) =>
  `${publicUrl}/mail/unsubscribe?token=${unsubscribeToken(secret, memberId)}`;

export interface Subscription {
  memberId: string;
  groupId: string;
  externalUserId: string;
  /** The conversation's subject as the guest knows it. */
  subject: string;
  optedOut: boolean;
}

/** The external membership a token names, when the token is genuine and the member still exists. */
export async function findSubscription(db: Db, secret: string, token: string): Promise<Subscription | null> {
  const memberId = verifyId(secret, 'unsubscribe', token, SIG_LENGTH);
  if (!memberId) return null;
  const [row] = await db
    .select({
      groupId: groupMembers.groupId,
      externalUserId: groupMembers.externalUserId,
      optedOut: groupMembers.emailOptOut,
      subject: chatLinks.subject,
      groupName: groups.name,
    })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .leftJoin(chatLinks, eq(chatLinks.id, groupMembers.linkId))
    .where(eq(groupMembers.id, memberId));
  if (!row?.externalUserId) return null;
  return { memberId, groupId: row.groupId, externalUserId: row.externalUserId, subject: row.subject ?? row.groupName, optedOut: row.optedOut };
}

/** Turns the member's offline emails off and drops the one pending. */
export async function optOut(db: Db, subscription: Subscription): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(groupMembers).set({ emailOptOut: true }).where(eq(groupMembers.id, subscription.memberId));
    await tx
      .update(guestEmailQueue)
      .set({ dueAt: null, firstSeq: null, pendingSince: null })
      .where(and(eq(guestEmailQueue.groupId, subscription.groupId), eq(guestEmailQueue.externalUserId, subscription.externalUserId)));
  });
}
